/**
 * Named hooks: they read as steps in the report. Before each scenario: check its steps and
 * parameters (nothing touched yet), describe it for the report, restore the VM to its baseline.
 * After it: end the debugger sessions (their transcripts attached), keep a failed VM for
 * post-mortem as a checkpoint named after the scenario, attach the guest outputs and the
 * PowerShell transcript — all redacted.
 *
 * A hook that throws makes the scenario broken (failed for an expectation), with the hook's
 * sentence, in its container and in its result (support/allure-writer.mjs). Cucumber skips the
 * Before hooks after one that threw, so the hooks that only describe the scenario for the report
 * and for a retry come first.
 *
 * What lives longer than a step is a fixture (support/fixtures.ts): the worker's lab, pool seat and
 * debuggers open before the first scenario and end after the last; the scenario's VM lease is
 * registered with the scenario's scope when it is taken, and given back when that scope ends.
 */
import { existsSync } from 'node:fs';
import { After, AfterAll, Before, BeforeAll, type ITestCaseHookParameter, Status } from '@cucumber/cucumber';
import * as allure from 'allure-js-commons';
import { LabCompromisedError, requirementOf } from '../lab/index.js';
import { closeWorker, openWorker, theWorker } from './fixtures.js';
import { allureNarrator } from './narrator.js';
import { keepForPostMortem } from './post-mortem.js';
import { preflight } from './preflight.js';
import { labFilePath, triedBefore } from './runtime.js';
import { readWorldParameters } from './settings.js';
import { budgetOf } from './watchdog.js';
import type { LabWorld } from './world.js';

BeforeAll({ name: 'Open the lab' }, async function () {
  const settings = readWorldParameters(this.parameters);
  await openWorker(labFilePath(settings.lab, settings.requireLabFile), settings.debugger);
});

AfterAll({ name: 'Close the lab' }, async () => {
  await closeWorker();
});

// Defined before every other After hook, so it runs after all of them: the scenario's fixtures
// (its VM lease) end last.
After({ name: 'Give the VM back to the pool' }, async function (this: LabWorld) {
  this.held = undefined;
  await this.fixtures.end();
});

/**
 * When the run was asked to stop (Ctrl-C, SIGTERM: `driverlab run` writes the stop file), no
 * further scenario starts: it is skipped and labelled as never run, and the running ones finish.
 */
Before({ name: 'Start only while the run goes on' }, async () => {
  const stopFile = process.env.DRIVERLAB_STOP_FILE;
  if (!stopFile || !existsSync(stopFile)) return undefined;
  await allure.label('run', 'never ran: the run was interrupted');
  return 'skipped';
});

/** The capability of a feature: its folder under features/ ("verifier" → "Verifier"). */
function capability(uri: string): string {
  const folder = uri.split(/[\\/]/).slice(-2, -1)[0] ?? 'features';
  return folder.charAt(0).toUpperCase() + folder.slice(1);
}

/** The scenario's own title (an outline's, before its examples fill it in). */
function storyOf({ gherkinDocument, pickle }: ITestCaseHookParameter): string {
  const id = pickle.astNodeIds[0];
  for (const child of gherkinDocument.feature?.children ?? []) {
    const scenarios = [child.scenario, ...(child.rule?.children.map((c) => c.scenario) ?? [])];
    const found = scenarios.find((s) => s?.id === id);
    if (found) return found.name;
  }
  return pickle.name;
}

/** The lab time each scenario started at (lab ms). */
const labTimeAtStart = new WeakMap<LabWorld, number>();
/** The media type of the attachment that says how much lab time a scenario took (npm run bench reads it). */
const LAB_TIME_MEDIA_TYPE = 'application/vnd.driverlab.lab-time+json';

Before({ name: 'Describe the scenario for the report' }, async function (this: LabWorld, hook) {
  const lab = theWorker().lab;
  const tags = hook.pickle.tags.map((t) => t.name);
  this.scenario = {
    name: hook.pickle.name,
    uri: hook.pickle.uri,
    tags,
    steps: hook.pickle.steps.map((s) => s.text),
  };
  lab.useNarrator(allureNarrator(lab.redactor));
  lab.takeTranscript();
  labTimeAtStart.set(this, lab.clock.now());
  await allure.epic(capability(hook.pickle.uri));
  await allure.story(storyOf(hook));
  if (!tags.some((t) => t.startsWith('@severity:'))) await allure.severity('normal');
  await allure.parameter('lab', lab.name);
});

/** The line of the scenario (or of an outline's example row) in its feature file. */
function lineOf({ gherkinDocument, pickle }: ITestCaseHookParameter): number | null {
  const [scenarioId, rowId] = pickle.astNodeIds;
  for (const child of gherkinDocument.feature?.children ?? []) {
    const scenarios = [child.scenario, ...(child.rule?.children.map((c) => c.scenario) ?? [])];
    const found = scenarios.find((s) => s?.id === scenarioId);
    if (!found) continue;
    const row = found.examples.flatMap((e) => e.tableBody).find((r) => r.id === rowId);
    return (row ?? found).location.line;
  }
  return null;
}

Before({ name: 'Locate the scenario for a retry' }, async (hook) => {
  const line = lineOf(hook);
  if (line !== null) await allure.label('location', `${hook.pickle.uri.replace(/\\/g, '/')}:${line}`);
});

Before({ name: "Check the scenario's steps and parameters" }, async function (this: LabWorld, { pickle }) {
  await preflight(this, pickle);
});

Before({ name: 'Lease a VM and restore it to its baseline' }, async function (this: LabWorld, { pickle }) {
  const requirement = requirementOf(
    pickle.tags.map((t) => t.name),
    pickle.steps.map((s) => s.text),
  );
  // A malformed @budget tag is refused here, before any VM is leased.
  const worker = theWorker();
  const budgetMs = budgetOf(
    pickle.tags.map((t) => t.name),
    worker.lab.timeouts.scenario,
  );
  // A retry of a broken scenario goes to another VM when the lab has one.
  const tried = triedBefore(pickle.uri, pickle.location?.line);
  const given: string[] = [];
  for (;;) {
    const held = await worker.leaseVm(this.fixtures, requirement, [...tried, ...given]);
    this.held = held;
    const vm = held.vm;
    try {
      await worker.debuggers.restoreForScenario(this, vm);
    } catch (error) {
      // A VM that cannot be made ready is out of the run; the scenario moves to another one.
      if (!(error instanceof LabCompromisedError) || !held.fromPool) throw error;
      given.push(vm.name);
      const reason = error.message.replace(/\.$/, '');
      await held.quarantine(`failed its health check: ${reason}`);
      await allure.logStep(`${vm.describe()} is quarantined for this run: ${reason}`, allure.Status.BROKEN);
      await held.giveBack();
      this.held = undefined;
      if (given.length >= worker.lab.vms().length) throw error;
      continue;
    }
    this.watchdog.arm(this, budgetMs);
    // Allure's own `host` label names the machine driverlab runs on; the VM gets a label of its own.
    await allure.label('vm', vm.name);
    // Which VM a scenario ran on must not change its history.
    await allure.parameter('VM', vm.name, { excluded: true });
    return;
  }
});

After(
  { name: 'Attach the guest outputs and the PowerShell transcript' },
  async function (this: LabWorld, { result }) {
    // The lab time the scenario took, restore included (npm run bench compares it with its floor).
    const started = labTimeAtStart.get(this);
    if (started !== undefined) {
      const labTimeMs = Math.round(theWorker().lab.clock.now() - started);
      await this.attach(JSON.stringify({ labTimeMs }), {
        mediaType: LAB_TIME_MEDIA_TYPE,
        fileName: 'lab time.json',
      });
    }
    const guest = this.evidence.guestTranscript();
    if (guest !== null) await this.evidence.text('guest outputs.txt', guest);
    const entries = theWorker().lab.takeTranscript();
    if (entries.length === 0) return;
    // A passed scenario keeps what each operation answered; a failed or broken one also keeps the
    // scripts sent, which is what a lab engineer needs to replay them by hand.
    const full = result?.status !== Status.PASSED;
    const text = entries
      .map(
        (e, i) =>
          `### ${i + 1}. ${e.operation} on ${e.subject} — ${e.outcome} in ${Math.round(e.wallMs)} ms${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}\n${full ? `${e.script}\n` : ''}--- stdout ---\n${e.stdout.trim()}\n--- stderr ---\n${e.stderr.trim() || '(empty)'}\n${e.error ? `--- error ---\n${e.error}\n` : ''}`,
      )
      .join('\n');
    await this.evidence.text(
      full ? 'powershell transcript (with scripts).txt' : 'powershell transcript.txt',
      text,
    );
  },
);

After({ name: 'Keep a failed VM for post-mortem' }, async function (this: LabWorld, { result }) {
  if (result?.status !== Status.FAILED || !this.hasVm) return;
  await keepForPostMortem(this);
});

After({ name: 'End the debugger sessions' }, async function (this: LabWorld, { result }) {
  try {
    await this.debugging.close();
    // The VM's own session: what it printed during the scenario, when the scenario used it or failed.
    const used = this.crashes.examinedLive || result?.status !== Status.PASSED;
    const live = used && this.hasVm ? theWorker().debuggers.scenarioTranscript(this.vm) : null;
    if (live !== null) await this.evidence.text('kd transcript (live debugger).txt', live);
  } finally {
    await this.crashes.close();
  }
});

// Defined last, so it runs first after the scenario: the budget covers the steps, not the hooks.
After({ name: 'Stop the watchdog' }, function (this: LabWorld) {
  this.watchdog.disarm();
});
