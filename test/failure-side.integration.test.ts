/**
 * The failure side of the features: a fixture project (test/fixtures/failure-side/, not part of the
 * main suite) runs the real support code and steps with wrong expectations, wrong input and lab
 * faults, and its Allure results must say whose fault each one is — failed with the expectation's
 * sentence for the product, broken for the lab and for bad input — without touching a VM for bad
 * input, and keeping a failed VM for post-mortem.
 */
import { deepStrictEqual, equal, match, ok } from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import * as z from 'zod';
import { cucumberBin, paths } from '../lab/paths.js';
import { type AllureResult, readAllureResults } from '../lab/report/allure-results.js';

const CONFIG = 'test/fixtures/failure-side/cucumber.mjs';

/** The parts of an Allure container this test reads: which hooks ran around a result, and what they attached. */
const Container = z.object({
  children: z.array(z.string()).default([]),
  afters: z
    .array(
      z.object({
        name: z.string(),
        steps: z
          .array(
            z.object({
              name: z.string(),
              attachments: z.array(z.object({ source: z.string() })).default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

interface Run {
  results: AllureResult[];
  /** What the After hooks attached to each result, by attachment name: the attached text. */
  attached(result: AllureResult): Map<string, string>;
}

async function runFixture(profile: string, dir: string): Promise<Run> {
  const run = await execa(process.execPath, [cucumberBin(), '--config', CONFIG, '--profile', profile], {
    cwd: paths.root,
    env: { FIXTURE_RESULTS: dir, DRIVERLAB_LAB: '' },
    reject: false,
    // A debugger or host process left running would keep cucumber from exiting.
    timeout: 90_000,
  });
  equal(run.timedOut, false, 'cucumber exited by itself: no process of the lab was left running');
  equal(run.exitCode, 1, `every fixture scenario fails or breaks: ${run.stdout.slice(-2000)}${run.stderr}`);
  const { results, unreadable } = await readAllureResults(dir);
  deepStrictEqual(unreadable, []);
  const { readdirSync } = await import('node:fs');
  const containers = readdirSync(dir)
    .filter((f) => f.endsWith('-container.json'))
    .map((f) => Container.parse(JSON.parse(readFileSync(join(dir, f), 'utf8'))));
  return {
    results,
    attached(result) {
      const out = new Map<string, string>();
      for (const c of containers.filter((x) => x.children.includes(result.uuid))) {
        for (const hook of c.afters) {
          for (const step of hook.steps) {
            const source = step.attachments[0]?.source;
            if (source) out.set(step.name, readFileSync(join(dir, source), 'utf8'));
          }
        }
      }
      return out;
    },
  };
}

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'driverlab-failure-side-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the failure side of the features, on the embedded lab', { timeout: 120_000 }, () => {
  let run: Run;
  const result = (name: string): AllureResult => {
    const r = run.results.find((x) => x.name === name);
    ok(r, `a result for '${name}'`);
    return r;
  };
  before(async () => {
    run = await runFixture('default', tempDir());
  });

  test('a wrong expectation is failed, with its sentence: expected, because, but', () => {
    const r = result('a wrong bug check is expected');
    equal(r.status, 'failed');
    match(
      r.statusDetails?.message ?? '',
      /^AssertionError: Expected VM 'win11-a' on host 'lab-01' to bugcheck with 0xa \(IRQL_NOT_LESS_OR_EQUAL\), because Driver Verifier checks myfault\.sys with 0x1 \(special pool\) and myfault\.sys overran its pool allocation, but it bugchecked with 0xd6 \(DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION\), parameters 0x[0-9a-f]{16}, 0x0000000000000001, 0x[0-9a-f]{16}, 0x0000000000000000\.$/m,
    );
  });

  test('a missing IRP log entry is failed', () => {
    const r = result('an IRP log entry is expected from a driver that issued none');
    equal(r.status, 'failed');
    match(
      r.statusDetails?.message ?? '',
      /^AssertionError: Expected the IRP log to have an entry with SpecialApcDisable = -1 issued from myfault\.sys, because Driver Verifier checks all drivers with 0x410 \(I\/O verification, IRP logging\) and a program started, but none of its 3 entries has myfault\.sys on its stack\.$/m,
    );
  });

  test('a writer expected absent but present is failed', () => {
    const r = result('a writer that is listed is expected to be missing');
    equal(r.status, 'failed');
    match(
      r.statusDetails?.message ?? '',
      /^AssertionError: Expected the VSS writers of VM 'win11-a' on host 'lab-01' not to include the System Writer, because .*, but it is listed as \[1\] Stable\.$/m,
    );
  });

  test('each result names its VM and the machine that ran it, once each', () => {
    const r = result('a wrong bug check is expected');
    const values = (name: string) => r.labels.filter((l) => l.name === name).map((l) => l.value);
    deepStrictEqual(values('vm'), ['win11-a']);
    equal(values('host').length, 1, `one host label: ${JSON.stringify(r.labels)}`);
  });

  test('a failed VM is kept as a checkpoint named after the scenario, with its evidence attached', () => {
    const attached = run.attached(result('a wrong bug check is expected'));
    match(
      attached.get('post-mortem.txt') ?? '',
      /^VM 'win11-a' on host 'lab-01' was kept as it was when the scenario failed, as the checkpoint 'driverlab-failed \S+ wrong-expectations - a wrong bug check is expected'/,
    );
    match(
      attached.get('guest outputs.txt') ?? '',
      /### \d+\. verifier \/flags 0x1 \/driver myfault\.sys — exit code 2/,
    );
    const powershell = attached.get('powershell transcript (with scripts).txt') ?? '';
    match(powershell, /Restore-VMCheckpoint on VM 'win11-a'/);
    ok(powershell.includes('Restore-VMSnapshot -VMSnapshot'), 'a failed scenario keeps the scripts it sent');
    ok(
      [...attached.keys()].some((k) => k.startsWith('kd transcript')),
      'the kd transcript of the dump',
    );
  });

  test('a wrong parameter is broken, with what is allowed, before any VM is touched', () => {
    const misspelt = result('a Driver Verifier option is misspelt');
    equal(misspelt.status, 'broken');
    match(
      misspelt.statusDetails?.message ?? '',
      /^ConfigurationError: 'special pol' is not a Driver Verifier option \(did you mean 'special pool'\?\); the options are special pool, force IRQL checking, /,
    );
    const unknown = result('a driver is not in the lab file');
    equal(unknown.status, 'broken');
    match(
      unknown.statusDetails?.message ?? '',
      /has no driver 'yourfault\.sys' in its drivers list \(its drivers: 'myfault', /,
    );
    for (const r of [misspelt, unknown]) {
      ok(
        ![...run.attached(r).keys()].some((k) => k.startsWith('powershell transcript')),
        `${r.name}: no lab operation ran`,
      );
    }
  });

  test('an undefined step is broken with the closest steps and a snippet', () => {
    const r = result('a step has no definition');
    equal(r.status, 'broken');
    const message = r.statusDetails?.message ?? '';
    match(
      message,
      /The step 'When the VM bugchecks twice with 0xD6' has no definition, so the scenario cannot run; the closest steps are 'Then the VM bugchecks with \{bugcheck\}', /,
    );
    ok(message.includes("  'the VM bugchecks twice with {bugcheck}',"), message);
    ok(message.includes('async function (this: LabWorld, bugcheck: BugcheckId) {'), message);
    ok(![...run.attached(r).keys()].some((k) => k.startsWith('powershell transcript')));
  });
});

describe('the failure side of the features, with lab faults injected', { timeout: 120_000 }, () => {
  test('a lab fault is broken, never failed', async () => {
    const run = await runFixture('faults', tempDir());
    const status = Object.fromEntries(run.results.map((r) => [r.name, r.status]));
    deepStrictEqual(status, {
      'the VM never reports a healthy heartbeat': 'broken',
      'PowerShell Direct refuses the guest credential': 'broken',
    });
    const heartbeat = run.results.find((r) => r.name === 'the VM never reports a healthy heartbeat');
    match(
      heartbeat?.statusDetails?.message ?? '',
      /^LabCompromisedError: VM 'heartbeat-never' on host 'lab-01' never reported a healthy heartbeat within 5 min/,
    );
    const credential = run.results.find((r) => r.name === 'PowerShell Direct refuses the guest credential');
    match(
      credential?.statusDetails?.message ?? '',
      /^GuestUnreachableError: \S+ on the guest OS of VM 'credential-refused' on host 'lab-01' failed because PowerShell Direct refused the guest credential/,
    );
  });

  test('a lab fault met while the live debugger is set up is broken, and leaves no debugger behind', async () => {
    const run = await runFixture('faultsAttached', tempDir());
    const [result] = run.results;
    equal(result?.status, 'broken');
    match(result?.statusDetails?.message ?? '', /never reported a healthy heartbeat/);
  });
});
