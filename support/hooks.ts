/**
 * Named hooks: they read as steps in the report. Before each scenario: check its steps and
 * parameters (nothing touched yet), describe it for the report, restore the VM to its baseline.
 * After it: end the debugger sessions (their transcripts attached), keep a failed VM for
 * post-mortem as a checkpoint named after the scenario, attach the guest outputs and the
 * PowerShell transcript — all redacted.
 *
 * A Before hook that fails would leave the scenario `skipped` in Allure, so the hooks hand their
 * error to the scenario's first step (world.refused), which reports it: broken, with its sentence.
 */
import { existsSync } from 'node:fs';
import { After, AfterAll, Before, BeforeAll, type ITestCaseHookParameter, Status } from '@cucumber/cucumber';
import * as allure from 'allure-js-commons';
import type { Vm } from '../lab/ports.js';
import { recordedSteps } from './catalog.js';
import { detachAll, restoreForScenario, scenarioTranscript } from './debuggers.js';
import { allureNarrator } from './narrator.js';
import { keepForPostMortem } from './post-mortem.js';
import { preflight } from './preflight.js';
import { closeLab, labFilePath, openLab, theLab, workerIndex } from './runtime.js';
import type { LabWorld } from './world.js';

/** The step that names the scenario's VM (steps/vm.steps.ts). */
export const NAMED_VM_STEP = 'the test VM {vm}';

BeforeAll({ name: 'Open the lab' }, async function () {
  const { readWorldParameters } = await import('./settings.js');
  const settings = readWorldParameters(this.parameters);
  await openLab(labFilePath(settings.lab, settings.requireLabFile), settings.debugger);
});

AfterAll({ name: 'Close the lab' }, async () => {
  await closeLab(detachAll);
});

/** Runs a Before hook's work; its error goes to the scenario's first step. */
async function orRefuse(world: LabWorld, work: () => Promise<void>): Promise<void> {
  if (world.refused) return;
  try {
    await work();
  } catch (error) {
    world.refused = error instanceof Error ? error : new Error(String(error));
  }
}

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

Before({ name: "Check the scenario's steps and parameters" }, async function (this: LabWorld, { pickle }) {
  await orRefuse(this, () => preflight(this, pickle));
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

Before({ name: 'Describe the scenario for the report' }, async function (this: LabWorld, hook) {
  const lab = theLab();
  const tags = hook.pickle.tags.map((t) => t.name);
  this.scenario = { name: hook.pickle.name, uri: hook.pickle.uri, tags };
  lab.useNarrator(allureNarrator);
  lab.takeTranscript();
  await allure.epic(capability(hook.pickle.uri));
  await allure.story(storyOf(hook));
  if (!tags.some((t) => t.startsWith('@severity:'))) await allure.severity('normal');
  await allure.parameter('lab', lab.name);
});

Before({ name: 'Restore the VM to its baseline' }, async function (this: LabWorld, hook) {
  await orRefuse(this, async () => {
    // The VM a scenario names (`Given the test VM win11-b`) is the one it runs on, and the one its labels name.
    const vm = namedVm(this, hook.pickle) ?? theLab().lease(workerIndex());
    // Allure's own `host` label names the machine driverlab runs on; the VM gets a label of its own.
    await allure.label('vm', vm.name);
    // The VM is the worker's lease: which one runs a scenario must not change its history.
    await allure.parameter('VM', vm.name, { excluded: true });
    await restoreForScenario(this, vm);
  });
});

After(
  { name: 'Attach the guest outputs and the PowerShell transcript' },
  async function (this: LabWorld, { result }) {
    const guest = this.evidence.guestTranscript();
    if (guest !== null) await this.evidence.text('guest outputs.txt', guest);
    const entries = theLab().takeTranscript();
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
    const live = used && this.hasVm ? scenarioTranscript(this.vm) : null;
    if (live !== null) await this.evidence.text('kd transcript (live debugger).txt', live);
  } finally {
    await this.crashes.close();
  }
});

/** The VM the scenario names in a `the test VM {vm}` step, or null when it uses the worker's lease. */
function namedVm(world: LabWorld, pickle: ITestCaseHookParameter['pickle']): Vm | null {
  const step = recordedSteps().find((s) => s.expression === NAMED_VM_STEP);
  if (!step) return null;
  for (const s of pickle.steps) {
    const args = step.compiled.match(s.text);
    if (args?.[0]) return args[0].getValue(world) as Vm;
  }
  return null;
}
