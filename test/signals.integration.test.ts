/**
 * One signal stops the whole run, whatever the user started: `node bin/driverlab.js run`,
 * `npm start`, `npx driverlab run`. Each is started as a terminal starts a job (a process group of
 * its own) and stopped as a user stops it: Ctrl-C (SIGINT to the whole group) or `kill` (SIGTERM to
 * the process the user started, alone). Afterwards the summary says interrupted, junit.xml is
 * whole, and no process of the run's tree is left (found by parent and process group in /proc,
 * not by name), and its private temp folder — where the embedded lab's state files (0600) hold
 * the run's KDNET key — is removed. A second signal right after the first ends the run at once
 * with the same files.
 *
 * npm (9.6.7 and later) passes a signal only to its child, the `sh -c` running the script: on
 * SIGTERM the shell dies and npm with it, and driverlab, left without its parent, ends the run at
 * once (lab/cli/interrupt.ts); on a terminal's Ctrl-C driverlab gets the SIGINT itself.
 *
 * Runs the embedded lab: wrap the suite in `flock /tmp/dl-e2e.lock`.
 */
import { equal, match, ok } from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { paths } from '../lab/paths.js';
import { isWholeJunit, SummaryFile } from '../lab/report/run-files.js';
import { readReplaced, throughReplace } from '../lab/util/files.js';

const scratch = mkdtempSync(join(tmpdir(), 'driverlab-signals-it-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
/** This test's runs write here, not to the clone's reports/: a test run beside it reads its own. */
const REPORTS = join(scratch, 'reports');

/**
 * The embedded lab with a host slow in wall time (`clock.pace`): on virtual lab time a scenario of
 * this feature takes a few ms of wall time, and a run could end between its first scenario and the
 * signal. At 40 wall ms per lab second each restore alone takes 320 ms, so there is always a
 * scenario left to interrupt, whatever the machine's load.
 */
function pacedLab(): string {
  const labs = dirname(paths.embeddedLab);
  const text = readFileSync(paths.embeddedLab, 'utf8')
    .replace(/\n {2}wallBudget: 30 s\n/, '\n  wallBudget: 30 s\n  pace: 0.04\n')
    .replaceAll('{ file: embedded.secrets/', `{ file: ${join(labs, 'embedded.secrets')}/`)
    .replaceAll('package: drivers/', `package: ${join(labs, 'drivers')}/`);
  ok(text.includes('pace: 0.04'), 'the paced lab sets its pace');
  const path = join(scratch, 'paced.yaml');
  writeFileSync(path, text);
  return path;
}

/** A feature of a few short scenarios on one VM: there is always one left to interrupt. */
const FEATURE = 'features/storage/event-153.feature';
const RUN_ARGS = [FEATURE, '--lab', pacedLab(), '--grace', '120', '--no-report', '--no-gate'];

const ENTRY_POINTS = {
  'node bin/driverlab.js run': [process.execPath, ['bin/driverlab.js', 'run', ...RUN_ARGS]],
  'npm start': ['npm', ['start', '--silent', '--', ...RUN_ARGS]],
  'npx driverlab run': ['npx', ['driverlab', 'run', ...RUN_ARGS]],
} as const satisfies Record<string, readonly [string, readonly string[]]>;

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot: a pid used again by another process is not this one. */
  start: string;
  command: string;
}

function processes(): Proc[] {
  const found: Proc[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command (which may hold spaces), from field 3 (state) on.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      found.push({
        pid: Number(pid),
        ppid: Number(fields[1]),
        pgid: Number(fields[2]),
        start: fields[19] ?? '',
        command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\u0000').join(' ').trim(),
      });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The process `top` started and all its descendants, with every process of their process groups. */
function treeOf(top: number): Proc[] {
  const all = processes();
  const inTree = new Set([top]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  const groups = new Set(all.filter((p) => inTree.has(p.pid)).map((p) => p.pgid));
  return all.filter((p) => inTree.has(p.pid) || groups.has(p.pgid));
}

/** Which of `tree` still run: the same pid with the same start, or anything in their groups. */
function stillRunning(tree: readonly Proc[]): Proc[] {
  const started = new Map(tree.map((p) => [p.pid, p.start]));
  const groups = new Set(tree.map((p) => p.pgid));
  return processes().filter((p) => started.get(p.pid) === p.start || groups.has(p.pgid));
}

/** Waits (polling, bounded by a safety net) until none of `tree` runs; returns what is left. */
async function leftAfter(tree: readonly Proc[]): Promise<Proc[]> {
  for (let i = 0; i < 600; i += 1) {
    const left = stillRunning(tree);
    if (left.length === 0) return [];
    await new Promise((r) => setTimeout(r, 50));
  }
  return stillRunning(tree);
}

function start(command: string, args: readonly string[]): ResultPromise<{ reject: false; all: true }> {
  return execa(command, args, {
    cwd: paths.root,
    env: { ...process.env, CI: 'true', DRIVERLAB_REPORTS: REPORTS },
    reject: false,
    all: true,
    // A job of its own, as a terminal starts it: Ctrl-C reaches its whole process group.
    detached: true,
  });
}

/** Resolves when the child has printed a line matching `pattern`. */
function lineMatching(child: ResultPromise, pattern: RegExp): Promise<void> {
  return new Promise((done, fail) => {
    let seen = '';
    child.all?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) done();
    });
    child.once('exit', () =>
      pattern.test(seen) ? done() : fail(new Error(`the run ended before printing ${pattern}:\n${seen}`)),
    );
  });
}

/** The run whose id names `pid` (the driverlab process): its own summary and junit.xml. */
function runOf(pid: number): { summary: SummaryFile; junit: string } {
  const runs = join(REPORTS, 'runs');
  const folder = readdirSync(runs).find((f) => f.endsWith(`-${pid}`));
  ok(folder, `a run folder of process ${pid} in ${runs}`);
  return {
    summary: SummaryFile.parse(JSON.parse(readFileSync(join(runs, folder, 'summary.json'), 'utf8'))),
    junit: join(runs, folder, 'junit.xml'),
  };
}

/**
 * The run's private temp folder, read from its Cucumber process (TMPDIR), and what it holds now:
 * the embedded lab's state files must be the owner's alone, and they hold the run's KDNET key.
 */
function runTempOf(tree: readonly Proc[]): string {
  const cucumber = tree.find((p) => p.command.includes('cucumber.js'));
  ok(cucumber, 'the run has a Cucumber process');
  const env = readFileSync(`/proc/${cucumber.pid}/environ`, 'utf8').split('\u0000');
  const dir = env.find((e) => e.startsWith('TMPDIR='))?.slice('TMPDIR='.length);
  ok(dir, 'the Cucumber process has a TMPDIR of its own');
  equal(statSync(dir).mode & 0o777, 0o700, `${dir} is private`);
  const key = /key=([^,\s]+)/.exec(tree.find((p) => p.command.includes('net:port='))?.command ?? '')?.[1];
  ok(key, "the debugger's command line names the run's KDNET key");
  const stateDir = join(dir, 'driverlab-embedded');
  // A state file being replaced is there as its next version for a moment (lab/util/files.ts).
  const states = [
    ...new Set(
      readdirSync(stateDir).flatMap((f) => /^(lab-\d+-[0-9a-f]+\.json)(?:\.next)?$/.exec(f)?.[1] ?? []),
    ),
  ];
  ok(states.length > 0, `the embedded lab keeps its state in ${stateDir}`);
  for (const state of states) {
    // The host is running and replaces its state file as it goes (lab/util/files.ts): looked at
    // through the replacement, as the next host reads it.
    const file = join(stateDir, state);
    const mode = throughReplace(file, (at) => statSync(at).mode & 0o777);
    equal(mode.toString(8), '600', `${file} is the owner's alone`);
    ok(readReplaced(file).includes(key), `${file} holds the KDNET key`);
  }
  return dir;
}

/** The driverlab process of a tree: the one running bin/driverlab.js (or npx's link to it). */
function driverlabOf(tree: readonly Proc[]): Proc {
  const found = tree.find((p) => /^\S*node\S* \S*driverlab(\.js)? run /.test(p.command));
  ok(found, `a driverlab process in:\n${tree.map((p) => `${p.pid} ${p.command}`).join('\n')}`);
  return found;
}

describe('one signal stops the whole run, whatever the user started', {
  skip: !existsSync('/proc') && 'needs /proc to follow the process tree',
}, () => {
  for (const [entry, [command, args]] of Object.entries(ENTRY_POINTS)) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      // Ctrl-C to `node bin/driverlab.js run` is test/run.integration.test.ts's own case.
      if (entry.startsWith('node') && signal === 'SIGINT') continue;
      const how = signal === 'SIGINT' ? 'Ctrl-C (SIGINT to its process group)' : 'SIGTERM to it alone';
      test(`${entry}, stopped by ${how}: the run is interrupted, its files are whole, no process is left`, async () => {
        const child = start(command, args);
        await lineMatching(child, /^ *1\/\d+ /m);
        const pid = child.pid as number;
        const tree = treeOf(pid);
        const driverlab = driverlabOf(tree);
        const runTemp = runTempOf(tree);
        if (signal === 'SIGINT') process.kill(-pid, 'SIGINT');
        else process.kill(pid, 'SIGTERM');
        const ended = await child;
        const left = await leftAfter(tree);
        equal(left.map((p) => `${p.pid} ${p.command}`).join('\n'), '', 'no process of the run is left');
        // driverlab exits 130 when interrupted. npm, whose shell ended by the signal, ends by it
        // too, as its shell reports it: 130 after a Ctrl-C, 143 after a SIGTERM.
        if (entry.startsWith('node')) equal(ended.exitCode, 130, ended.all);
        else equal(ended.signal, signal, ended.all);
        const { summary, junit } = runOf(driverlab.pid);
        equal(summary.status, 'interrupted', JSON.stringify(summary));
        ok((summary.neverRan ?? 0) > 0, JSON.stringify(summary));
        ok(await isWholeJunit(junit), `${junit} is whole`);
        equal(existsSync(runTemp), false, `the run's temp folder ${runTemp} is removed`);
      });
    }
  }

  test('a second signal right after the first (Ctrl-C, then SIGTERM) ends the run at once and still leaves whole files', async () => {
    const [command, args] = ENTRY_POINTS['node bin/driverlab.js run'];
    const child = start(command, args);
    await lineMatching(child, /^ *1\/\d+ /m);
    const pid = child.pid as number;
    const tree = treeOf(pid);
    const runTemp = runTempOf(tree);
    // Two different signals: two of the same sent back to back may reach the process as one. The
    // second goes once the first is taken, as a user presses Ctrl-C again: two signals pending at
    // once reach node's threads in either order.
    const firstTaken = lineMatching(child, /SIGINT received; no further scenario starts/);
    child.kill('SIGINT');
    await firstTaken;
    child.kill('SIGTERM');
    const ended = await child;
    equal(ended.exitCode, 130, ended.all);
    match(ended.all, /a second stop request \(SIGTERM\) came; ending every process of the run now\./);
    equal((await leftAfter(tree)).map((p) => `${p.pid} ${p.command}`).join('\n'), '');
    const { summary, junit } = runOf(pid);
    equal(summary.status, 'interrupted');
    ok(summary.total + (summary.neverRan ?? 0) === summary.selected, JSON.stringify(summary));
    ok(await isWholeJunit(junit), `${junit} is whole`);
    match(ended.stdout, /driverlab: interrupted, \d+ of \d+ scenarios never ran; /);
    equal(existsSync(runTemp), false, `the run's temp folder ${runTemp} is removed`);
  });
});
