/**
 * The release gate on real runs of the fixture project (test/fixtures/gate/): the real support
 * code and steps on the embedded lab. A scenario that expects the wrong bug check fails the gate
 * with a new crash bucket; waiving the bucket passes it; an expired or malformed waiver is bad
 * input (exit 2, a sentence). `--retry` runs only broken scenarios again, on the next VM, keeps
 * every attempt, marks broken-then-passed flaky and never retries a failed one.
 */
import { deepStrictEqual, equal, match, ok } from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { runDriverlab } from '../../test/kits/cli/cli.testkit.js';
import { cucumberBin, paths } from '../paths.js';
import { RunStore } from '../store/store.js';
import { readAttempts, runRecord, scenariosOf } from './record.js';
import { retryBroken } from './retry.js';

const CONFIG = 'test/fixtures/gate/cucumber.mjs';
const WRONG_BUGCHECK =
  'Release candidate › an overrun under special pool is expected to be an IRQL bug check';

async function runFixture(profile: string, results: string, extra: string[] = []): Promise<number> {
  const run = await execa(
    process.execPath,
    [cucumberBin(), '--config', CONFIG, '--profile', profile, ...extra],
    {
      cwd: paths.root,
      env: { FIXTURE_RESULTS: results, DRIVERLAB_LAB: '' },
      reject: false,
      timeout: 120_000,
    },
  );
  equal(run.timedOut, false, 'cucumber exited by itself');
  return run.exitCode ?? 1;
}

const root = mkdtempSync(join(tmpdir(), 'driverlab-gate-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('driverlab gate on a run with a scenario that expects the wrong bug check', {
  timeout: 180_000,
}, () => {
  const results = join(root, 'run', 'allure-results');
  let n = 0;
  const gate = async (waivers: string | null, extra: string[] = []) => {
    n += 1;
    const dir = join(root, `gate-${n}`);
    mkdirSync(dir, { recursive: true });
    const waiversFile = join(dir, 'waivers.yaml');
    writeFileSync(waiversFile, waivers ?? 'waivers: []\n');
    const run = await runDriverlab([
      'gate',
      '--results',
      results,
      '--waivers',
      waiversFile,
      '--store',
      join(dir, 'store'),
      '--out',
      dir,
      ...extra,
    ]);
    const json = (() => {
      try {
        return JSON.parse(readFileSync(join(dir, 'gate.json'), 'utf8')) as Record<string, unknown> & {
          verdict: string;
          buckets: { id: string; status: string; scenarios: string[] }[];
          knownIssues: { scenario: string }[];
          rules: { id: string; outcome: string }[];
        };
      } catch {
        return null;
      }
    })();
    return { ...run, json, md: json ? readFileSync(join(dir, 'gate.md'), 'utf8') : '' };
  };
  let bucket: string;

  before(async () => {
    mkdirSync(results, { recursive: true });
    equal(await runFixture('default', results), 1, 'the fixture run has failed scenarios');
    const scenarios = scenariosOf(await readAttempts(results));
    const wrong = scenarios.find((s) => s.title === WRONG_BUGCHECK);
    ok(wrong?.crash, `the wrong bug check carries its crash: ${JSON.stringify(wrong)}`);
    bucket = wrong.crash.bucket;
  });

  test("the crash's bucket is !analyze's FAILURE_BUCKET_ID, and its drivers and bug check are labelled", async () => {
    const wrong = scenariosOf(await readAttempts(results)).find((s) => s.title === WRONG_BUGCHECK);
    equal(wrong?.status, 'failed');
    equal(bucket, 'AV_VRF_W_myfault!unknown_function');
    equal(wrong?.crash?.bugcheck, '0xd6');
    deepStrictEqual(wrong?.drivers, ['myfault.sys']);
    equal(wrong?.location, 'test/fixtures/gate/run/release.feature:11');
  });

  test('the gate fails (exit 1) and names the new bucket', async () => {
    const run = await gate(null);
    equal(run.code, 1, run.stderr);
    equal(run.json?.verdict, 'fail');
    deepStrictEqual(
      run.json?.buckets.map((b) => [b.id, b.status]),
      [[bucket, 'new']],
    );
    match(
      run.stdout,
      new RegExp(
        `gate: fail \\(no new crash bucket: new crash bucket ${bucket.replace(/[!]/g, '\\!')} \\(${WRONG_BUGCHECK}\\)`,
      ),
    );
    ok(run.md.includes(`| \`${bucket}\` | new |`), run.md);
    // The failed scenario the gate does not use (no @gating tag, no crash) does not fail it by itself.
    deepStrictEqual(
      run.json?.rules.filter((r) => r.outcome === 'fail').map((r) => r.id),
      ['noNewCrashBucket', 'noFailedTags'],
    );
  });

  test('waiving the bucket makes it pass (exit 0), the failure shown as a known issue', async () => {
    const run = await gate(
      `waivers:\n  - bucket: "${bucket}"\n    justification: "tracked in BUG-1234"\n    owner: storage-team\n    expires: 2999-01-31\n`,
    );
    equal(run.code, 0, `${run.stdout}${run.stderr}`);
    equal(run.json?.verdict, 'pass');
    deepStrictEqual(
      run.json?.buckets.map((b) => [b.id, b.status]),
      [[bucket, 'waived']],
    );
    deepStrictEqual(
      run.json?.knownIssues.map((k) => k.scenario),
      [WRONG_BUGCHECK],
    );
    match(
      run.stdout,
      /^driverlab gate: pass \(\d rules kept; 0 new crash buckets, 1 known issues, 0 flaky\)$/m,
    );
  });

  test('an expired waiver is bad input: exit 2 with a sentence, nothing judged', async () => {
    const run = await gate(
      `waivers:\n  - bucket: "${bucket}"\n    justification: "tracked in BUG-1234"\n    owner: storage-team\n    expires: 2020-01-31\n`,
    );
    equal(run.code, 2);
    equal(run.json, null, 'no gate.json written');
    match(
      run.stderr,
      new RegExp(
        `^driverlab gate: Waiver 1 in '.*waivers\\.yaml' \\(bucket '${bucket.replace(/[!]/g, '\\!')}', owner storage-team, "tracked in BUG-1234"\\) expired on 2020-01-31, so that failure would no longer be known; renew it with a new date if it still is, or remove it\\.\\n$`,
      ),
    );
  });

  test('a malformed waiver is bad input: exit 2, the sentence names the field', async () => {
    const run = await gate(
      `waivers:\n  - bucket: "${bucket}"\n    justification: "tracked in BUG-1234"\n    expires: 2999-01-31\n`,
    );
    equal(run.code, 2);
    match(
      run.stderr,
      /^driverlab gate: The waivers file '.*' is not valid: waiver 1\.owner is missing \(a string is required\); each waiver needs /,
    );
  });

  test('a malformed policy is bad input too', async () => {
    const dir = join(root, 'policy');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'policy.yaml'), 'maxBrokenPercent: 200\n');
    const run = await gate(null, ['--policy', join(dir, 'policy.yaml')]);
    equal(run.code, 2);
    match(
      run.stderr,
      /^driverlab gate: The gate policy '.*policy\.yaml' is not valid: maxBrokenPercent must be at most 100 \(got 200\); see lab\/gate\/README\.md /,
    );
  });

  test('recorded in a run store, the bucket is listed across runs by driverlab buckets', async () => {
    const store = join(root, 'buckets-store');
    const db = await RunStore.open({ dir: store });
    try {
      await db.record(runRecord(await readAttempts(results), null));
    } finally {
      await db.close();
    }
    const run = await runDriverlab(['buckets', '--store', store, '--format', 'json']);
    equal(run.code, 0, run.stderr);
    const list = JSON.parse(run.stdout) as {
      id: string;
      count: number;
      unexpected: number;
      scenarios: string[];
      drivers: string[];
    }[];
    const found = list.find((b) => b.id === bucket);
    deepStrictEqual(
      {
        count: found?.count,
        unexpected: found?.unexpected,
        scenarios: found?.scenarios,
        drivers: found?.drivers,
      },
      { count: 1, unexpected: 1, scenarios: [WRONG_BUGCHECK], drivers: ['myfault.sys'] },
    );
  });
});

describe('honest retries on a lab whose first VM never gets ready', { timeout: 180_000 }, () => {
  test('only broken scenarios are retried, on the next VM; broken then passed is flaky; every attempt stays', async () => {
    const results = join(root, 'retry', 'allure-results');
    mkdirSync(results, { recursive: true });
    equal(await runFixture('retry', results), 1);
    const said: string[] = [];
    await retryBroken({
      retries: 2,
      resultsDir: results,
      argsFor: (locations) => [cucumberBin(), '--config', CONFIG, '--profile', 'retry', ...locations],
      env: { FIXTURE_RESULTS: results, DRIVERLAB_LAB: '' },
      say: (line) => said.push(line),
      stdio: 'pipe',
    });
    const scenarios = scenariosOf(await readAttempts(results));
    const attempts = Object.fromEntries(
      scenarios.map((s) => [s.scenario, s.attempts.map((a) => `${a.status} on ${a.vm}`)]),
    );
    deepStrictEqual(attempts, {
      'the System Writer is listed after a retry': ['broken on heartbeat-never', 'passed on healthy'],
      // Failed on its retry: the driver's fault, so never run a third time although --retry is 2.
      'a writer that is listed is expected to be missing': ['broken on heartbeat-never', 'failed on healthy'],
    });
    deepStrictEqual(
      scenarios.map((s) => [s.scenario, s.flaky]),
      [
        ['a writer that is listed is expected to be missing', false],
        ['the System Writer is listed after a retry', true],
      ],
    );
    equal(said.length, 2, said.join('\n'));
    match(
      said[0] ?? '',
      /^attempt 2 of 2 broken scenario\(s\): test\/fixtures\/gate\/retry\/retried\.feature:\d+ test\/fixtures\/gate\/retry\/retried\.feature:\d+$/,
    );
    equal(
      said[1],
      'flaky (broken, then passed on a retry): Retried on another VM › the System Writer is listed after a retry',
    );
    const flaky = scenarios.find((s) => s.flaky);
    const last = JSON.parse(
      readFileSync(join(results, `${flaky?.attempts[1]?.uuid}-result.json`), 'utf8'),
    ) as { statusDetails: { flaky: boolean; message: string } };
    equal(last.statusDetails.flaky, true);
    equal(
      last.statusDetails.message,
      'Flaky: passed on attempt 2 on healthy after broken on heartbeat-never; the earlier attempts are under Retries.',
    );
  });
});
