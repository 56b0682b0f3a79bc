/**
 * `driverlab run` and `driverlab report` as a user starts them (a child process, the embedded lab):
 * the dry run lists every problem at its line before any VM is touched; a Ctrl-C mid-run leaves an
 * honest summary, a valid junit.xml, a report that says so, and no process; a second run on the
 * same machine refuses with a sentence; `driverlab report` twice shows the latest results.
 *
 * Runs the embedded lab: wrap the suite in `flock /tmp/dl-e2e.lock`.
 */
import { deepEqual, equal, match, ok } from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { claimFreeKdnetPort } from '../lab/endpoints.js';
import { paths } from '../lab/paths.js';
import { SummaryFile } from '../lab/report/run-files.js';
import { RunStore } from '../lab/store/store.js';

const BIN = join(paths.root, 'bin', 'driverlab.js');
const scratch = mkdtempSync(join(tmpdir(), 'driverlab-run-it-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
/** This test's runs write here, not to the clone's reports/: a test run beside it reads its own. */
const REPORTS = join(scratch, 'reports');
const SUMMARY = join(REPORTS, 'summary.json');
const ALLURE_REPORT = join(REPORTS, 'allure-report');

/** A feature that takes a few scenarios on one VM: long enough to interrupt between two of them. */
const SEVERAL = 'features/storage/event-153.feature';
const ONE = 'features/vm/test-vm.feature';

function start(args: string[], env: NodeJS.ProcessEnv = {}): ResultPromise<{ reject: false; all: true }> {
  return execa(process.execPath, [BIN, ...args], {
    cwd: paths.root,
    env: { ...process.env, CI: 'true', DRIVERLAB_REPORTS: REPORTS, ...env },
    reject: false,
    all: true,
  });
}

/** Resolves when the child has printed a line matching `pattern`. */
function lineMatching(child: ResultPromise, pattern: RegExp): Promise<void> {
  return new Promise((done, fail) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) done();
    });
    child.once('exit', () =>
      pattern.test(seen) ? done() : fail(new Error(`the run ended before printing ${pattern}:\n${seen}`)),
    );
  });
}

function summary(): SummaryFile {
  return SummaryFile.parse(JSON.parse(readFileSync(SUMMARY, 'utf8')));
}

/** The processes still running with this run's folder in their environment (Linux: /proc). */
function processesOf(runDir: string): string[] {
  if (!existsSync('/proc')) return [];
  const left: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (environ.includes(`DRIVERLAB_RUN_DIR=${resolve(paths.root, runDir)}\u0000`)) {
        left.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\u0000').join(' ')}`);
      }
    } catch {
      // Gone, or not ours to read.
    }
  }
  return left;
}

/**
 * The processes of the run of `driverlab run` process `pid` whose command line contains `marker`
 * (Linux: /proc): never those of another run beside it.
 */
function runProcesses(pid: number | undefined, marker: string): number[] {
  const runDir = new RegExp(
    `DRIVERLAB_RUN_DIR=${join(REPORTS, 'runs').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[^\u0000]*-${pid}\u0000`,
  );
  const found: number[] = [];
  for (const proc of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const environ = readFileSync(`/proc/${proc}/environ`, 'utf8');
      const cmdline = readFileSync(`/proc/${proc}/cmdline`, 'utf8');
      if (runDir.test(environ) && cmdline.includes(marker)) {
        found.push(Number(proc));
      }
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** A JUnit document is whole: its XML declaration, one root, every testcase closed. */
function isWholeJunit(text: string): boolean {
  const opened = (text.match(/<testcase\b/g) ?? []).length;
  const closed =
    (text.match(/<testcase\b[^>]*\/>/g) ?? []).length + (text.match(/<\/testcase>/g) ?? []).length;
  return /^<\?xml[^>]*\?>\s*<testsuite\b/.test(text) && /<\/testsuite>\s*$/.test(text) && opened === closed;
}

/** The folder and summary of the run a `driverlab run` process made (its run id ends in its pid). */
function ownRun(pid: number | undefined): { dir: string; summary: SummaryFile } {
  const runs = join(REPORTS, 'runs');
  const name = readdirSync(runs).find((n) => n.endsWith(`-${pid}`));
  ok(name !== undefined, `a run folder of process ${pid}`);
  const dir = join(runs, name);
  return { dir, summary: SummaryFile.parse(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))) };
}

/** How many runs the embedded run store holds. */
async function recordedRuns(): Promise<number> {
  const store = await RunStore.open({ dir: join(REPORTS, 'run-store') });
  try {
    return (await store.runs()).length;
  } finally {
    await store.close();
  }
}

/**
 * The embedded lab with fixed KDNET ports, as a Hyper-V lab has them: ports free now and of this
 * test alone (another test run beside it has its own), its folders named absolutely.
 */
async function fixedPortLab(pace = 0): Promise<{ path: string; ports: number[] }> {
  const ports: number[] = [];
  for (const hostIp of ['127.0.0.11', '127.0.0.12']) {
    const claim = await claimFreeKdnetPort(hostIp);
    claim.lock.release();
    ports.push(claim.port);
  }
  const labs = dirname(paths.embeddedLab);
  const text = readFileSync(paths.embeddedLab, 'utf8')
    .replace('hostIp: 127.0.0.11, port: auto', `hostIp: 127.0.0.11, port: ${ports[0]}`)
    .replace('hostIp: 127.0.0.12, port: auto', `hostIp: 127.0.0.12, port: ${ports[1]}`)
    .replaceAll('{ file: embedded.secrets/', `{ file: ${join(labs, 'embedded.secrets')}/`)
    .replaceAll('package: drivers/', `package: ${join(labs, 'drivers')}/`)
    .replace(/\n {2}wallBudget: 30 s\n/, `\n  wallBudget: 30 s\n  pace: ${pace}\n`);
  ok(!text.includes('port: auto'), 'both VMs have fixed ports');
  ok(text.includes(`pace: ${pace}`), 'the lab sets its pace');
  const path = join(scratch, `fixed-ports-${ports.join('-')}.yaml`);
  writeFileSync(path, text);
  return { path, ports };
}

describe('driverlab run', () => {
  test('the dry run lists an undefined step, a misspelt driver and a count of 0 at their lines, exits 2 and sends no VM operation', async () => {
    // A Hyper-V lab whose PowerShell records every call: a dry run must never call it.
    const bin = join(scratch, 'bin');
    const calls = join(scratch, 'powershell-calls.log');
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'powershell');
    writeFileSync(fake, `#!/bin/sh\necho "$@" >> '${calls}'\nexit 1\n`);
    chmodSync(fake, 0o755);
    const run = await start(
      [
        'run',
        '--dry-run',
        '--lab',
        'lab/labs/example-hyperv.yaml',
        'test/fixtures/preflight/three-problems.feature',
      ],
      {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        WIN10_KDNET_PASSWORD: 'x',
        WIN10_KDNET_KEY: '1.2.3.4',
        WIN10_PIPE_PASSWORD: 'y',
      },
    );
    equal(run.exitCode, 2, run.all);
    match(run.stderr, /^driverlab run: 3 problems found before any VM was touched, so nothing ran:\n/);
    match(
      run.stderr,
      /\n {2}- test\/fixtures\/preflight\/three-problems\.feature:6 \(Given Driver Verifier checks myfalt\.sys with special pool\): The lab 'driver-lab-01' has no driver 'myfalt\.sys' in its drivers list \(did you mean 'myfault'\?/,
    );
    match(
      run.stderr,
      /\n {2}- test\/fixtures\/preflight\/three-problems\.feature:7 \(When 0 files are created in the Temporary ASP\.NET Files\): The count 0 is out of range/,
    );
    match(
      run.stderr,
      /\n {2}- test\/fixtures\/preflight\/three-problems\.feature:8 \(Then the guest hums a happy tune\): The step 'Then the guest hums a happy tune' has no definition/,
    );
    equal(existsSync(calls), false, 'no PowerShell operation was sent');
  });

  test('a tag expression that selects nothing says so in one sentence and exits 2', async () => {
    const run = await start(['run', '--tags', '@no-such-case']);
    equal(run.exitCode, 2, run.all);
    equal(
      run.stderr,
      "driverlab run: the tag expression '@no-such-case' selects no scenario of the 'default' profile's features, so nothing ran; check it with 'driverlab run --dry-run' and --tags, --name or feature paths.",
    );
  });

  test('feature paths select just what they name: a file, or the scenario at a line', async () => {
    const whole = await start(['run', '--dry-run', SEVERAL]);
    equal(whole.exitCode, 0, whole.all);
    match(whole.stdout, /^driverlab run --dry-run: 5 scenarios selected;/);
    const outline = await start(['run', '--dry-run', `${SEVERAL}:10`]);
    equal(outline.exitCode, 0, outline.all);
    match(outline.stdout, /^driverlab run --dry-run: 2 scenarios selected;/);
    const child = start(['run', `${ONE}:6`, '--no-report']);
    const run = await child;
    equal(run.exitCode, 0, run.all);
    // Its private temp folder (the embedded lab's state with the KDNET key) went with it.
    deepEqual(
      readdirSync(tmpdir()).filter((n) => n.startsWith(`driverlab-run-${child.pid}-`)),
      [],
    );
    match(
      run.stdout,
      /^1\/1 The lab answers for its test VMs › A test VM can be turned off and started again · win11-a · passed · /,
    );
    equal(summary().selected, 1);
  });

  test('Ctrl-C mid-run: exit 130, an interrupted summary, a whole junit.xml, a report that says so, no process left; the next run passes', async () => {
    // A host paced in wall time (40 ms per lab second): on virtual time alone the run could end
    // between its first scenario and the Ctrl-C.
    const paced = await fixedPortLab(0.04);
    const child = start(['run', '--lab', paced.path, SEVERAL, '--grace', '120']);
    await lineMatching(child, /^ *1\/\d+ /m);
    const during = summary();
    equal(during.status, 'running');
    child.kill('SIGINT');
    const run = await child;
    equal(run.exitCode, 130, run.all);
    match(run.stderr, /SIGINT received; no further scenario starts/);
    const s = summary();
    equal(s.status, 'interrupted');
    ok((s.neverRan ?? 0) > 0 && s.total + (s.neverRan ?? 0) === s.selected, JSON.stringify(s));
    match(
      run.stdout,
      new RegExp(`driverlab: interrupted, ${s.neverRan} of ${s.selected} scenarios never ran; `),
    );
    ok(isWholeJunit(readFileSync(join(REPORTS, 'junit.xml'), 'utf8')));
    const report = JSON.parse(readFileSync(join(ALLURE_REPORT, 'summary.json'), 'utf8')) as {
      name: string;
    };
    equal(report.name, `driverlab — interrupted: ${s.neverRan} of ${s.selected} scenarios never ran`);
    const after = await start(['report']);
    equal(after.exitCode, 1, after.all);
    match(after.stdout, /^driverlab: the run \S+ was interrupted: \d+ of \d+ scenarios never ran; /);
    equal(processesOf(s.runDir).join('\n'), '');

    const next = await start(['run', ONE, '--no-report']);
    equal(next.exitCode, 0, next.all);
    equal(summary().status, 'passed');
  });

  test('a second run on a lab with fixed KDNET ports refuses with a sentence while the first one finishes', async () => {
    // Paced (250 wall ms per lab second) so that the first run is still going, whatever the load,
    // while the second one starts and checks the endpoints.
    const lab = await fixedPortLab(0.25);
    const first = start(['run', '--lab', lab.path, SEVERAL, '--no-report']);
    await lineMatching(first, /^ *1\/\d+ /m);
    const second = await start(['run', '--lab', lab.path, ONE, '--no-report']);
    equal(second.exitCode, 2, second.all);
    match(
      second.stderr,
      new RegExp(
        `The KDNET endpoint 127\\.0\\.0\\.11:${lab.ports[0]} of VM 'win11-a' is held by another driverlab run \\(process ${first.pid}, started .+\\), so this run would break its debugger; wait until that run ends, or run with a lab file that gives the VMs other ports\\.`,
      ),
    );
    const done = await first;
    equal(done.exitCode, 0, done.all);
  });

  test('two runs in one clone at the same time both finish: every scenario passed, each in its own folder, reports/ whole and from one of them', async () => {
    const features = [ONE, 'features/debugger/kdnet.feature'];
    const before = await recordedRuns();
    const children = [start(['run', ...features, '--no-report']), start(['run', ...features, '--no-report'])];
    const runs = await Promise.all(children);
    const ids: string[] = [];
    for (const [i, run] of runs.entries()) {
      equal(run.exitCode, 0, run.all);
      match(run.stdout, /driverlab: 3 scenarios: 3 passed, 0 failed, 0 broken, 0 skipped;/);
      match(run.stdout, /driverlab gate: /);
      // Each run's own folder (its id names its process) says it passed, with its own results.
      const own = ownRun(children[i]?.pid);
      equal(own.summary.status, 'passed', JSON.stringify(own.summary));
      equal(own.summary.passed, 3);
      ok(isWholeJunit(readFileSync(join(own.dir, 'junit.xml'), 'utf8')));
      ids.push(own.summary.runId);
    }
    equal(new Set(ids).size, 2, 'two runs, two ids');
    // reports/'s top-level files are one run's as a set, never a mix of the two.
    const top = summary();
    ok(ids.includes(top.runId), `reports/summary.json is one of the two runs (${top.runId})`);
    equal(top.status, 'passed');
    const results = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('-result.json'))
        .sort();
    const topDir = resolve(paths.root, top.runDir);
    equal(
      readFileSync(join(REPORTS, 'junit.xml'), 'utf8'),
      readFileSync(join(topDir, 'junit.xml'), 'utf8'),
      "reports/junit.xml is that run's",
    );
    equal(
      results(join(REPORTS, 'allure-results')).join('\n'),
      results(join(topDir, 'allure-results')).join('\n'),
      "reports/allure-results is that run's",
    );
    const gate = JSON.parse(readFileSync(join(REPORTS, 'gate.json'), 'utf8')) as { verdict?: unknown };
    ok(gate.verdict !== undefined, 'reports/gate.json is whole');
    // The run store took both, one after the other.
    ok((await recordedRuns()) >= before + 2, 'both runs were recorded in the run store');
  });

  test('driverlab report twice in a row: the report shows the latest results', async () => {
    const runs = join(REPORTS, 'runs');
    const folders = readdirSync(runs).sort().slice(-2);
    ok(folders.length === 2, 'two runs were kept');
    const totals: number[] = [];
    for (const folder of folders) {
      const results = join(runs, folder as string, 'allure-results');
      const report = await start(['report', '--results', results]);
      ok(report.exitCode === 0 || report.exitCode === 1, report.all);
      const written = JSON.parse(readFileSync(join(ALLURE_REPORT, 'summary.json'), 'utf8')) as {
        stats: { total: number };
      };
      const expected = readdirSync(results).filter((f) => f.endsWith('-result.json')).length;
      equal(written.stats.total, expected);
      totals.push(written.stats.total);
      equal(existsSync(join(ALLURE_REPORT, 'awesome')), false);
    }
    equal(totals.length, 2);
  });

  for (const [what, marker] of [
    ['the debugger process', 'sim/kd'],
    ['the host shell', 'sim/host'],
  ] as const) {
    test(`killing ${what} mid-run costs at most the scenario it hit; the rest pass and no process is left`, {
      skip: !existsSync('/proc') && 'needs /proc to find the process',
    }, async () => {
      const child = start(['run', '--no-report']);
      await lineMatching(child, /^ *4\/\d+ /m);
      // One process is killed: each worker has its own debugger and host shell, and killing every
      // one of them at once may hit a scenario on each worker (two faults, two scenarios).
      const [victim] = runProcesses(child.pid, marker);
      ok(victim !== undefined, `a ${marker} process of the run`);
      process.kill(victim, 'SIGKILL');
      const run = await child;
      const s = summary();
      ok(s.status === 'broken' || s.status === 'passed', run.all);
      ok(
        s.broken <= 1 && s.failed === 0 && s.passed === s.total - s.broken,
        `${JSON.stringify(s)}\n${run.all}`,
      );
      equal(run.exitCode, s.broken > 0 ? 1 : 0, run.all);
      equal(s.total, s.selected);
      equal(processesOf(s.runDir).join('\n'), '');
    });
  }
});
