// The Allure formatter of a run: allure-cucumberjs's reporter with a results writer that writes
// what allure-js's FileSystemWriter writes, the same way — each file under a temporary name, then
// renamed into place, so a reader (the HTML report, the run summary) never sees half a file — but
// without flushing every file to the disk. allure-js calls fsync for each result, container and
// attachment, in Cucumber's coordinator process, which also hands scenarios to the workers: on a
// 2-core machine that held the coordinator ~40 ms per scenario and made the 200-scenario bench
// ~3 s slower. A result a crashed process leaves is whole or absent; only a crash of the machine
// itself could lose its last files, and a run cut short that way is run again.
// Plain JavaScript: Cucumber loads formatters by path, before any TypeScript loader is set up.
import { randomUUID } from 'node:crypto';
import { copyFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import AllureCucumberReporter from 'allure-cucumberjs/reporter';
import { getMessageAndTraceFromError } from 'allure-js-commons/sdk';
import { FileSystemWriter } from 'allure-js-commons/sdk/reporter';

const NOISE_LABELS = new Set(['language', 'framework', 'thread']);

export class ResultsWriter extends FileSystemWriter {
  writeAttachment(distFileName, content) {
    this.#publish(distFileName, (temp) => writeFileSync(temp, content));
  }

  writeAttachmentFromPath(distFileName, from) {
    this.#publish(distFileName, (temp) => copyFileSync(from, temp));
  }

  writeGroup(result) {
    this.#publishJson(`${result.uuid}-container.json`, result);
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
