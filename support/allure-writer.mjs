// The Allure formatter of a run: allure-cucumberjs's reporter with a results writer that writes
// what allure-js's FileSystemWriter writes, in fewer files and without flushing each one to the
// disk. allure-js calls fsync for each result, container and attachment, in Cucumber's coordinator
// process, which also hands scenarios to the workers; on this kind of 2-core machine creating a
// file costs ~0.2 ms of system time and renaming one into place as much again, so every file is a
// cost the whole run waits on.
// - A result or container is written under a temporary name, then renamed into place: a reader
//   (the HTML report, the run summary) never sees half of one.
// - An attachment is written in place: only a result written after it names it, so a reader that
//   follows the results never sees half of one; a crash in the middle leaves a file no result names.
// - The hooks of a scenario go into one container, where allure-js writes one container per hook
//   (ten per scenario here): the same befores and afters, in the same order, around the same result.
// A result a crashed process leaves is whole or absent; only a crash of the machine itself could
// lose its last files, and a run cut short that way is run again.
// Plain JavaScript: Cucumber loads formatters by path, before any TypeScript loader is set up.
import { randomUUID } from 'node:crypto';
import { copyFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import AllureCucumberReporter from 'allure-cucumberjs/reporter';
import { getMessageAndTraceFromError } from 'allure-js-commons/sdk';
import { FileSystemWriter } from 'allure-js-commons/sdk/reporter';

const NOISE_LABELS = new Set(['language', 'framework', 'thread']);

export class ResultsWriter extends FileSystemWriter {
  /** Containers held back while a scenario's hooks are written (holdGroups), or null. */
  #held = null;

  writeAttachment(distFileName, content) {
    this.#inPlace(distFileName, (path) => writeFileSync(path, content));
  }

  writeAttachmentFromPath(distFileName, from) {
    this.#inPlace(distFileName, (path) => copyFileSync(from, path));
  }

  writeGroup(result) {
    if (this.#held) this.#held.push(result);
    else this.#publishJson(`${result.uuid}-container.json`, result);
  }

  /** From now until releaseGroups, containers are held back, to be written together. */
  holdGroups() {
    this.#held ??= [];
  }

  /**
   * Writes the containers held since holdGroups: those around the same results as one container
   * (the first one's uuid, every before and after in the order they came).
   */
  releaseGroups() {
    const held = this.#held ?? [];
    this.#held = null;
    const merged = new Map();
    for (const group of held) {
      const key = JSON.stringify([...(group.children ?? [])].sort());
      const into = merged.get(key);
      if (!into) {
        merged.set(key, { ...group, befores: [...(group.befores ?? [])], afters: [...(group.afters ?? [])] });
        continue;
      }
      delete into.name;
      into.befores.push(...(group.befores ?? []));
      into.afters.push(...(group.afters ?? []));
    }
    for (const group of merged.values()) this.#publishJson(`${group.uuid}-container.json`, group);
  }

  writeResult(result) {
    // allure-js labels every result with the language, the framework and the worker thread: noise
    // for a driver team, so they never reach the results.
    const labels = result.labels?.filter((l) => !NOISE_LABELS.has(l.name));
    this.#publishJson(`${result.uuid}-result.json`, labels ? { ...result, labels } : result);
  }

  #publishJson(name, value) {
    this.#publish(name, (temp) => writeFileSync(temp, JSON.stringify(value), 'utf-8'));
  }

  /** Writes `name` in the results folder in place; a write that fails leaves no part of it. */
  #inPlace(name, write) {
    const path = this.buildPath(name);
    try {
      write(path);
    } catch (error) {
      rmSync(path, { force: true });
      throw error;
    }
  }

  /** Writes `name` in the results folder under a temporary name, then renames it into place. */
  #publish(name, write) {
    const path = this.buildPath(name);
    const temp = join(dirname(path), `.allure-write-${randomUUID()}.tmp`);
    try {
      write(temp);
      renameSync(temp, path);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }
}

/**
 * allure-cucumberjs's reporter, writing through ResultsWriter into the run's `resultsDir`.
 *
 * A Before or After hook that throws is marked in the scenario's container (broken, or failed for
 * an expectation), but allure-cucumberjs takes the scenario's status from its steps only: a
 * throwing Before hook left the scenario `skipped` (its steps never ran) and a throwing After hook
 * left it `passed`. Here the hook also becomes a step of the scenario, with the hook's status and
 * sentence, so the scenario's status is the worst of its hooks and steps, as Cucumber's is.
 */
export default class AllureReporter extends AllureCucumberReporter {
  constructor(options) {
    const argv = options.parsedArgvOptions ?? {};
    const writer = new ResultsWriter({ resultsDir: argv.resultsDir ?? './allure-results' });
    super({ ...options, parsedArgvOptions: { ...argv, writer } });
    this.#writer = writer;
  }

  #writer;

  /** A scenario's end writes its result and its hooks' containers: the containers as one. */
  onTestCaseFinished(data) {
    this.#writer.holdGroups();
    try {
      super.onTestCaseFinished(data);
    } finally {
      this.#writer.releaseGroups();
    }
  }

  onTestStepFinished(data) {
    super.onTestStepFinished(data);
    const step = this.testStepMap.get(data.testStepId);
    if (!step?.hookId) return;
    const status = this.parseStatus(data.testStepResult);
    if (status !== 'failed' && status !== 'broken') return;
    const testUuid = this.testResultUuids.get(data.testCaseStartedId);
    if (!testUuid) return;
    const kind = this.beforeHooks[step.hookId] ? 'Before' : 'After';
    const error = this.exceptionToError(data.testStepResult.message, data.testStepResult.exception);
    const stop = Date.now();
    this.allureRuntime.updateTest(testUuid, (result) => {
      result.steps.push({
        name: `${kind} hook: ${this.getHookName(step.hookId)}`,
        status,
        stage: 'finished',
        statusDetails: error ? getMessageAndTraceFromError(error) : {},
        steps: [],
        attachments: [],
        parameters: [],
        start: stop,
        stop,
      });
    });
  }
}
