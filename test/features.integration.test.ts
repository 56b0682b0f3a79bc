/**
 * The features as a whole: on a real Hyper-V lab file every step of every feature resolves (dry
 * run: no undefined or ambiguous step), every seed case is there under its tag, every scenario has
 * 3–8 steps, and no scenario says how instead of what. On the embedded lab: the KDNET key a
 * scenario generates never reaches the report, and the crash features pass when crashes are
 * examined in their dumps rather than in a live debugger (the main suite attaches one), with no
 * broken sub-step for the guest command their crash cut short.
 */
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import * as z from 'zod';
import { cucumberBin, paths } from '../lab/paths.js';

const CASE_TAGS = [
  '@system-writer',
  '@special-pool',
  '@pool-corruption',
  '@irp-logging',
  '@kdnet',
  '@event-153',
  '@commit-failures',
  '@nbl-tracking',
  '@filter-load-order',
];

/** The envelopes of Cucumber's message stream this test reads. */
const Envelope = z.object({
  pickle: z
    .object({
      id: z.string(),
      name: z.string(),
      uri: z.string(),
      tags: z.array(z.object({ name: z.string() })),
      steps: z.array(z.object({ text: z.string() })),
    })
    .optional(),
  testStepFinished: z.object({ testStepResult: z.object({ status: z.string() }) }).optional(),
  hook: z.object({ name: z.string().optional(), sourceReference: z.object({ uri: z.string() }) }).optional(),
  stepDefinition: z
    .object({
      pattern: z.object({ source: z.string() }),
      sourceReference: z.object({ uri: z.string(), location: z.object({ line: z.number() }) }),
    })
    .optional(),
});
type Pickle = NonNullable<z.infer<typeof Envelope>['pickle']>;

function featureFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? featureFiles(full) : name.endsWith('.feature') ? [full] : [];
  });
}

/**
 * The message stream of a dry run over the features on the example Hyper-V lab file, with the
 * support code loaded as a run loads it (one bundle, support/bundle.mjs) or from its sources.
 */
async function dryRun(dir: string, support: 'bundle' | 'sources'): Promise<z.infer<typeof Envelope>[]> {
  const messages = join(dir, `messages-${support}.ndjson`);
  const run = await execa(
    process.execPath,
    [cucumberBin(), '--profile', 'hyperv', '--dry-run', '--format', `message:${messages}`],
    {
      cwd: paths.root,
      // CUCUMBER_WORKER_ID keeps cucumber.mjs from emptying reports/allure-results in this test.
      env: {
        DRIVERLAB_LAB: join(paths.root, 'lab', 'labs', 'example-hyperv.yaml'),
        CUCUMBER_WORKER_ID: '0',
        DRIVERLAB_SUPPORT: support === 'sources' ? 'sources' : '',
      },
      reject: false,
    },
  );
  equal(run.exitCode, 0, run.stderr);
  return readFileSync(messages, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Envelope.parse(JSON.parse(l)));
}

describe('the features on a real Hyper-V lab file, dry run', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'driverlab-dry-run-'));
  let pickles: Pickle[] = [];
  let statuses: string[] = [];
  let definitions: NonNullable<z.infer<typeof Envelope>['stepDefinition']>[] = [];
  after(() => rmSync(dir, { recursive: true, force: true }));
  let bundled: z.infer<typeof Envelope>[] = [];
  before(async () => {
    const envelopes = await dryRun(dir, 'bundle');
    bundled = envelopes;
    pickles = envelopes.flatMap((e) => (e.pickle ? [e.pickle] : []));
    definitions = envelopes.flatMap((e) => (e.stepDefinition ? [e.stepDefinition] : []));
    statuses = envelopes.flatMap((e) =>
      e.testStepFinished ? [e.testStepFinished.testStepResult.status] : [],
    );
  });

  test('every step resolves: none undefined, none ambiguous', () => {
    ok(pickles.length > 0);
    deepStrictEqual(
      statuses.filter((s) => s === 'UNDEFINED' || s === 'AMBIGUOUS'),
      [],
    );
  });

  test('every step definition is reported where its steps file defines it', () => {
    ok(definitions.length >= 50, `the step definitions: ${definitions.length}`);
    for (const d of definitions) {
      const file = join(paths.root, d.sourceReference.uri);
      ok(
        /^steps\/[a-z]+\.steps\.ts$/.test(d.sourceReference.uri),
        `${d.pattern.source}: ${d.sourceReference.uri}`,
      );
      const line = readFileSync(file, 'utf8').split('\n')[d.sourceReference.location.line - 1] ?? '';
      ok(
        /^(?:Given|When|Then)\($/.test(line),
        `${d.sourceReference.uri}:${d.sourceReference.location.line} is '${line}'`,
      );
    }
  });

  test('loaded from their sources instead of the bundle, the same steps are defined at the same places', async () => {
    const where = (defs: typeof definitions) =>
      defs
        .map((d) => `${d.pattern.source} @ ${d.sourceReference.uri}:${d.sourceReference.location.line}`)
        .sort();
    const fromSources = await dryRun(dir, 'sources');
    deepStrictEqual(
      where(fromSources.flatMap((e) => (e.stepDefinition ? [e.stepDefinition] : []))),
      where(definitions),
    );
    // Hooks run in the order they were defined, so the bundle keeps the order Cucumber imports the files in.
    const hooks = (envelopes: z.infer<typeof Envelope>[]) =>
      envelopes.flatMap((e) =>
        e.hook ? [`${e.hook.name ?? '(unnamed)'} @ ${e.hook.sourceReference.uri}`] : [],
      );
    deepStrictEqual(hooks(fromSources), hooks(bundled));
    ok(hooks(bundled).length >= 8, `the hooks: ${hooks(bundled).join(', ')}`);
  });

  test('every seed case is there under its tag', () => {
    const tags = new Set(pickles.flatMap((p) => p.tags.map((t) => t.name)));
    deepStrictEqual(
      CASE_TAGS.filter((t) => !tags.has(t)),
      [],
    );
  });

  test('every scenario has 3 to 8 steps', () => {
    deepStrictEqual(
      pickles.filter((p) => p.steps.length < 3 || p.steps.length > 8).map((p) => `${p.uri}: ${p.name}`),
      [],
    );
  });
});

describe('a step with no definition, in a dry run', { timeout: 120_000 }, () => {
  test('gets the closest existing steps and a definition in the house form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-undefined-'));
    try {
      const feature = join(dir, 'undefined.feature');
      writeFileSync(
        feature,
        'Feature: a new case\n  Scenario: a misspelled step\n    Given a test VM\n    When a program tries 2 times to commit 12000 megabytes\n',
      );
      const run = await execa(
        process.execPath,
        [cucumberBin(), '--dry-run', '--format', 'summary', feature],
        { cwd: paths.root, env: { CUCUMBER_WORKER_ID: '0' }, reject: false },
      );
      const out = run.stdout;
      ok(/\(1 undefined,/.test(out), `the dry run reports the step as undefined: ${out.slice(-500)}`);
      ok(
        out.includes(
          "// Closest existing steps (docs/steps.md): 'When a program tries {int} time(s) to commit {int} MB'; or define it:",
        ),
        out,
      );
      ok(out.includes("  'a program tries {int} times to commit {int} megabytes',"), out);
      ok(out.includes('async function (this: LabWorld, int: number, int2: number) {'), out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the feature files', () => {
  test('say what, not how: no tool, cmdlet or debugger command, and nothing about the simulation', () => {
    const how =
      /\b(simulat\w*|embedded|vssadmin|bcdedit|fltmc|pnputil|verifier\.exe|sc (start|create)|reg add|notmyfault\w*|kd\.exe|Restore-VM\w*|Checkpoint-VM|Invoke-Command|Get-WinEvent|PowerShell)\b|![a-z]+/i;
    const offenders = featureFiles(join(paths.root, 'features')).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, i }))
        .filter(({ line }) => how.test(line))
        .map(({ line, i }) => `${relative(paths.root, file)}:${i + 1}: ${line.trim()}`),
    );
    deepStrictEqual(offenders, []);
  });
});

describe('the KDNET key a scenario generates', { timeout: 120_000 }, () => {
  test('never reaches the report: every attachment, result and message has it redacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-kdnet-'));
    try {
      const config = join(dir, 'cucumber.mjs');
      writeFileSync(
        config,
        `import { supportImports } from ${JSON.stringify(pathToFileURL(join(paths.root, 'support', 'bundle.mjs')).href)};
export default {
  paths: ['features/debugger/kdnet.feature'],
  import: supportImports(['support/**/*.ts', 'steps/**/*.ts']),
  format: [['allure-cucumberjs/reporter', ${JSON.stringify(join(dir, 'formatter.log'))}], ['message', ${JSON.stringify(join(dir, 'messages.ndjson'))}]],
  formatOptions: { resultsDir: ${JSON.stringify(dir)} },
  worldParameters: { lab: 'lab/labs/embedded.yaml' },
};
`,
      );
      // cucumber-js reads --config relative to the working directory, even an absolute one.
      const run = await execa(process.execPath, [cucumberBin(), '--config', relative(paths.root, config)], {
        cwd: paths.root,
        env: { DRIVERLAB_LAB: '' },
        reject: false,
        timeout: 90_000,
      });
      equal(run.exitCode, 0, `${run.stdout.slice(-2000)}${run.stderr}`);
      const text = readdirSync(dir)
        .filter((f) => !f.endsWith('.mjs'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('\n');
      // bcdedit's key: four base-36 parts of a 64-bit number each.
      deepStrictEqual(text.match(/\b[0-9a-z]{10,13}(?:\.[0-9a-z]{10,13}){3}\b/g), null);
      ok(text.includes("«redacted: the KDNET key of VM 'win11-a'»"), 'the key was there, and redacted');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A result's steps, as deep as they go: name and status. */
interface StepNode {
  name: string;
  status?: string | undefined;
  steps: StepNode[];
}
const StepNode: z.ZodType<StepNode> = z.lazy(() =>
  z.object({ name: z.string(), status: z.string().optional(), steps: z.array(StepNode).default([]) }),
);
const ResultSteps = z.object({ name: z.string(), steps: z.array(StepNode).default([]) });

function allSteps(steps: readonly StepNode[]): { name: string; status?: string | undefined }[] {
  return steps.flatMap((st) => [{ name: st.name, status: st.status }, ...allSteps(st.steps)]);
}

describe('crashes examined in their dumps instead of a live debugger', { timeout: 120_000 }, () => {
  test('the crash features pass with {"debugger": "dumps"}, each crash opened from its dump', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-dumps-'));
    try {
      const config = join(dir, 'cucumber.mjs');
      writeFileSync(
        config,
        `import { supportImports } from ${JSON.stringify(pathToFileURL(join(paths.root, 'support', 'bundle.mjs')).href)};
export default {
  paths: ['features/verifier/*.feature', 'features/memory/*.feature', 'features/network/*.feature'],
  import: supportImports(['support/**/*.ts', 'steps/**/*.ts']),
  format: [['allure-cucumberjs/reporter', ${JSON.stringify(join(dir, 'formatter.log'))}]],
  formatOptions: { resultsDir: ${JSON.stringify(dir)} },
  worldParameters: { lab: 'lab/labs/embedded.yaml', debugger: 'dumps' },
};
`,
      );
      const run = await execa(process.execPath, [cucumberBin(), '--config', relative(paths.root, config)], {
        cwd: paths.root,
        env: { DRIVERLAB_LAB: '' },
        reject: false,
        timeout: 90_000,
      });
      equal(run.exitCode, 0, `${run.stdout.slice(-3000)}${run.stderr}`);
      const files = readdirSync(dir);
      const dumpTranscripts = files
        .filter((f) => f.endsWith('-container.json'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .filter((t) => t.includes('kd transcript (the dump of'));
      // Every crash scenario: special pool (2), pool corruption, IRP logging, commit failures (2), NBL tracking (2).
      equal(dumpTranscripts.length, 8);
      ok(!files.some((f) => readFileSync(join(dir, f), 'utf8').includes('kd transcript (live debugger)')));
      // A passed scenario shows no fault for what it expected: the guest command its crash cut
      // short says so, and is not a broken "PowerShell Direct could not reach the guest".
      const results = files
        .filter((f) => f.endsWith('-result.json'))
        .map((f) => ResultSteps.parse(JSON.parse(readFileSync(join(dir, f), 'utf8'))));
      const steps = results.flatMap((r) => allSteps(r.steps).map((st) => ({ scenario: r.name, ...st })));
      deepStrictEqual(
        steps.filter((st) => st.status === 'broken' || st.status === 'failed'),
        [],
        'no sub-step of a passed crash scenario is broken or failed',
      );
      const cutShort = steps.filter((st) =>
        st.name.endsWith(' — cut short by the bug check the scenario provoked'),
      );
      ok(cutShort.length > 0, 'the crash scenarios provoke their bug checks under guest commands');
      ok(
        cutShort.every((st) => st.status === 'passed' && /^Run '.+' in the guest OS of VM '/.test(st.name)),
        JSON.stringify(cutShort),
      );
      // The NBL scenarios' removal that never finishes is stopped at its limit, as they expect.
      const atLimit = steps.filter((st) =>
        / — still running at its time limit of .+, so stopped there/.test(st.name),
      );
      ok(
        atLimit.length >= 2 && atLimit.every((st) => st.status === 'passed'),
        `the removal that never finishes, stopped at its limit and passed: ${JSON.stringify(atLimit)}`,
      );
      const guestOutputs = files
        .filter((f) => f.endsWith('.txt'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .filter((t) => t.includes('cut short by the bug check the scenario provoked'));
      ok(guestOutputs.length > 0, 'the guest outputs say the command was cut short by the bug check');
      ok(!guestOutputs.some((t) => t.includes('could not reach the guest')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
