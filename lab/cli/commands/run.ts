/**
 * `driverlab run`: checks the whole run before anything runs (support/preflight-run.ts, in a child
 * process), then runs the features through cucumber-js (a child process, so that lab/ stays free
 * of Cucumber) in a folder of the run's own, and publishes what it wrote to reports/ whole.
 *
 * What the files say at every moment: summary.json says `running` from the start and the outcome
 * with its counts at the end; junit.xml and the HTML report are replaced whole or not at all. A
 * first Ctrl-C or SIGTERM stops scheduling and lets the running scenarios finish (a grace period),
 * a second ends the run at once; either way every file is whole and the run exits 130.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative as relativePath, resolve } from 'node:path';
import { execa } from 'execa';
import * as z from 'zod';
import { type LabFile, loadLabFile } from '../../config/lab-file.js';
import { chooseFreeAutoPorts } from '../../endpoints.js';
import { ConfigurationError, HarnessLogicError } from '../../errors.js';
import { gatePaths, keepRunsFrom, runGate } from '../../gate/gate.js';
import { retryBroken } from '../../gate/retry.js';
import { verdictLine } from '../../gate/verdict.js';
import { loadWaivers, markKnownIssues, type Waivers } from '../../gate/waivers.js';
import { parseDuration } from '../../params/duration.js';
import { cucumberBin, paths } from '../../paths.js';
import { LeaseBroker } from '../../pool/broker.js';
import { VmPool } from '../../pool/pool.js';
import {
  type AllureResult,
  formatSummary,
  readAllureResults,
  summarise,
} from '../../report/allure-results.js';
import { runContext as describeRunEnvironment, writeRunContext } from '../../report/environment.js';
import { generateHtmlReport } from '../../report/html.js';
import {
  countSelected,
  isWholeJunit,
  junitFromResults,
  newRunId,
  outcomeOf,
  prunePastRuns,
  publishFile,
  publishFolder,
  RUN_TMP_PREFIX,
  removeTempFoldersOfGoneRuns,
  type SummaryFile,
  withPublishLock,
  writeSummaryFile,
} from '../../report/run-files.js';
import { machineLockDir } from '../../util/lock.js';
import { type CliIo, type Command, EXIT, positiveInteger, UsageError } from '../command.js';
import { handleInterrupts, killTree } from '../interrupt.js';
import {
  checkSecrets,
  endpointProblem,
  heldEndpoints,
  kdnetEndpoints,
  lockEndpoints,
} from '../lab-checks.js';

const PROFILES = ['default', 'hyperv', 'nightly', 'gating'] as const;

/** How many past runs reports/runs/ keeps (DRIVERLAB_KEEP_RUNS, --keep-runs). */
export const DEFAULT_KEEP_RUNS = 10;
/** Wall seconds the running scenarios get after the first stop request (DRIVERLAB_GRACE_SECONDS, --grace). */
export const DEFAULT_GRACE_SECONDS = 60;

/** cucumber-js options passed through untouched: name → whether it takes a value. */
const CUCUMBER_OPTIONS: ReadonlyMap<string, boolean> = new Map([
  ['--fail-fast', false],
  ['--format', true],
  ['-f', true],
  ['--format-options', true],
  ['--order', true],
  ['--strict', false],
  ['--no-strict', false],
  ['--world-parameters', true],
  ['--backtrace', false],
  ['-b', false],
]);

const HELP = `Usage: driverlab run [options] [feature paths…]

Runs the features on a lab: the embedded simulated lab unless a lab file is named. A feature path
may end in :LINE to run the scenario at that line (features/x.feature:12); without paths, every
feature under features/ runs.

Before anything runs, every selected scenario is checked — each step has one definition, each
parameter reads (a driver of the lab file, a count in range, a port …) — and the lab (its secrets
resolve, its debugger ports are free, every VM a scenario asks for is in it). Every problem is listed
with its feature file and line, and nothing runs.

Options:
  --lab FILE        the lab file to run on (default: $DRIVERLAB_LAB, else the embedded lab)
  --tags EXPR       a Cucumber tag expression, e.g. '@special-pool and not @wip'
  --name REGEXP     only the scenarios whose name matches (may be repeated)
  --parallel N      N Cucumber workers; each leases a VM per scenario from the lab's pool (more
                    workers than VMs wait for a free one)
  --profile NAME    one of ${PROFILES.join(', ')} (default: hyperv when a lab file is named, else default)
  --dry-run         only the checks above: lists every problem and exits 2 when there is one
  --no-report       skip the HTML report (results and summary are still written)
  --grace SECONDS   how long running scenarios may finish after Ctrl-C (default ${DEFAULT_GRACE_SECONDS}; $DRIVERLAB_GRACE_SECONDS)
  --keep-runs N     past runs kept in reports/runs/ (default ${DEFAULT_KEEP_RUNS}; $DRIVERLAB_KEEP_RUNS)
  --retry N         run a broken scenario (the lab failed) again, up to N times, on another VM;
                    a failed one is never retried; broken then passed is flaky
  --db URL          the lab's PostgreSQL database ($DRIVERLAB_DB): the run goes to the fleet —
                    its scenarios are enqueued there for the 'driverlab agent' of each lab host —
                    and is recorded in the run store there (default: this machine, reports/run-store)
  --deadline DURATION  end the run cleanly, as cut short, when it is still going after this long
                    (e.g. 6 h): no further scenario starts, the running ones get the grace period
  --agent-timeout DURATION  with --db: requeue what an agent runs when it has been silent this
                    long (default: 30 s)
  --no-gate         do not record the run or judge it (reports/gate.json)
  -h, --help        this text

These cucumber-js options are passed through: ${[...CUCUMBER_OPTIONS.keys()].filter((o) => o.startsWith('--')).join(', ')}.

Each run writes into reports/runs/<id>/ and, when it ends, replaces reports/allure-results/,
reports/junit.xml, reports/cucumber-messages.ndjson and reports/allure-report/ whole;
reports/summary.json says 'running' while it runs, then passed, failed, broken or interrupted.
After the report it records the run in the run store and prints the release gate's verdict
(reports/gate.json, reports/gate.md; 'driverlab gate' says more).
Exit code: 0 when every scenario passed, 1 when any failed or broke, 2 when the command line, the
lab, a feature or a waiver is wrong (nothing ran), 130 when the run was interrupted.`;

interface RunOptions {
  lab: string | undefined;
  tags: string | undefined;
  names: string[];
  parallel: number | undefined;
  profile: (typeof PROFILES)[number] | undefined;
  report: boolean;
  dryRun: boolean;
  graceSeconds: number | undefined;
  keepRuns: number | undefined;
  paths: string[];
  passthrough: string[];
  retry: number;
  db: string | undefined;
  gate: boolean;
  deadlineMs: number | undefined;
  agentTimeoutMs: number;
}

export function parseRunArgs(args: string[]): RunOptions {
  const options: RunOptions = {
    lab: undefined,
    tags: undefined,
    names: [],
    parallel: undefined,
    profile: undefined,
    report: true,
    dryRun: false,
    graceSeconds: undefined,
    keepRuns: undefined,
    paths: [],
    passthrough: [],
    retry: 0,
    db: undefined,
    gate: true,
    deadlineMs: undefined,
    agentTimeoutMs: 30_000,
  };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg, '=') : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || (inline === undefined && v.startsWith('-') && v.length > 1)) {
        throw new UsageError(
          `The option '${flag}' of 'driverlab run' needs a value; run 'driverlab run --help' to see its usage.`,
        );
      }
      return v;
    };
    switch (flag) {
      case '--lab':
        options.lab = value();
        break;
      case '--tags':
      case '-t':
        options.tags = value();
        break;
      case '--name':
        options.names.push(value());
        break;
      case '--parallel':
        options.parallel = positiveInteger('run', 'parallel', value());
        break;
      case '--grace':
        options.graceSeconds = positiveInteger('run', 'grace', value());
        break;
      case '--keep-runs':
        options.keepRuns = positiveInteger('run', 'keep-runs', value());
        break;
      case '--profile':
      case '-p': {
        const p = value();
        if (!(PROFILES as readonly string[]).includes(p)) {
          throw new UsageError(
            `'driverlab run' has no profile '${p}'; choose one of ${PROFILES.join(', ')}.`,
          );
        }
        options.profile = p as RunOptions['profile'];
        break;
      }
      case '--no-report':
        options.report = false;
        break;
      case '--retry': {
        const n = value();
        options.retry = n === '0' ? 0 : positiveInteger('run', 'retry', n);
        break;
      }
      case '--db':
        options.db = value();
        break;
      case '--deadline':
        options.deadlineMs = parseDuration(value());
        break;
      case '--agent-timeout':
        options.agentTimeoutMs = parseDuration(value());
        break;
      case '--no-gate':
        options.gate = false;
        break;
      case '--dry-run':
      case '-d':
        options.dryRun = true;
        break;
      default: {
        if (!flag.startsWith('-') || flag === '-') {
          options.paths.push(arg);
          break;
        }
        const takesValue = CUCUMBER_OPTIONS.get(flag);
        if (takesValue === undefined) {
          throw new UsageError(
            `'driverlab run' has no option '${flag}'; run 'driverlab run --help' to see the options it takes.`,
          );
        }
        options.passthrough.push(flag);
        if (takesValue) options.passthrough.push(value());
      }
    }
  }
  return options;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** A feature path as the user wrote it (relative to where they are), made relative to the project root. */
export function featurePath(path: string, cwd: string): string {
  const match = /^(.*?)((?::\d+)*)$/.exec(path);
  const file = match?.[1] ?? path;
  const lines = match?.[2] ?? '';
  const absolute = isAbsolute(file) ? file : resolve(cwd, file);
  if (!existsSync(absolute)) {
    throw new UsageError(
      `The feature path '${path}' names nothing (no file or folder at '${absolute}'); check the path, or run 'driverlab run' without paths for every feature.`,
    );
  }
  const inRoot = relativePath(paths.root, absolute).split('\\').join('/');
  return `${inRoot.startsWith('..') ? absolute : inRoot}${lines}`;
}

const PreflightProblem = z.object({
  uri: z.string(),
  line: z.number(),
  step: z.string().nullable(),
  message: z.string(),
});
const PreflightReport = z.object({
  selected: z.number().int().nonnegative(),
  scenarios: z.array(z.object({ uri: z.string(), name: z.string() })),
  problems: z.array(PreflightProblem),
});
type PreflightReport = z.infer<typeof PreflightReport>;

/** Plans the run as Cucumber would and checks every step of every selected scenario (a child process). */
async function preflightFeatures(
  request: { profile: string; tags?: string; names: string[]; lab?: string },
  env: NodeJS.ProcessEnv,
): Promise<PreflightReport> {
  const child = await execa(process.execPath, ['support/preflight-launch.mjs', JSON.stringify(request)], {
    cwd: paths.root,
    env,
    reject: false,
    timeout: 300_000,
  });
  const detail = (child.stderr || child.stdout).trim().split(/\r?\n/).slice(0, 4).join(' ');
  if (child.exitCode !== 0) {
    throw new HarnessLogicError(
      `The features could not be checked before the run (the preflight exited with code ${child.exitCode ?? 'none'}: ${detail}); nothing ran, so fix what it says and run again.`,
    );
  }
  try {
    return PreflightReport.parse(JSON.parse(child.stdout.trim().split('\n').pop() ?? ''));
  } catch (error) {
    throw new HarnessLogicError(
      `The preflight printed no valid report (${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}); nothing ran.`,
      { cause: error },
    );
  }
}

/** The checks of the lab itself: secrets, --parallel against its VMs, its debugger ports. */
async function labProblems(
  file: LabFile,
  _options: RunOptions,
  env: NodeJS.ProcessEnv,
  heldElsewhere: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const { problem } of checkSecrets(file, env)) if (problem) problems.push(problem);
  // More workers than VMs is allowed: they wait for a lease from the run's pool (lab/pool/).
  // Endpoints another driverlab run holds are reported as that; the others must be free of any program.
  problems.push(...heldElsewhere);
  if (heldElsewhere.length === 0) {
    for (const endpoint of kdnetEndpoints(file)) {
      const problem = await endpointProblem(endpoint);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

function where(p: z.infer<typeof PreflightProblem>): string {
  return `${p.uri}:${p.line}${p.step ? ` (${p.step})` : ''}`;
}

function indent(text: string): string {
  return text.replace(/\n/g, '\n      ');
}

/** The run's results, split into the scenarios that ran and those the stop request kept from starting. */
function ranAndNot(results: readonly AllureResult[]): { ran: AllureResult[]; neverStarted: number } {
  const isStopped = (r: AllureResult) =>
    r.labels.some((l) => l.name === 'run' && l.value.startsWith('never ran'));
  return { ran: results.filter((r) => !isStopped(r)), neverStarted: results.filter(isStopped).length };
}

function numberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return positiveInteger('run', name, raw);
}

async function run(args: string[], io: CliIo): Promise<number> {
  const options = parseRunArgs(args);
  const labArg = options.lab ?? io.env.DRIVERLAB_LAB;
  const lab = labArg ? (isAbsolute(labArg) ? labArg : resolve(io.cwd, labArg)) : undefined;
  // A bad lab file is a configuration error, raised before cucumber or any VM starts.
  const labFile = await loadLabFile(lab ?? paths.embeddedLab);
  const profile = options.profile ?? (lab ? 'hyperv' : 'default');
  const features = options.paths.map((p) => featurePath(p, io.cwd));
  const graceSeconds =
    options.graceSeconds ?? numberFromEnv(io.env, 'DRIVERLAB_GRACE_SECONDS', DEFAULT_GRACE_SECONDS);
  const keepRuns = options.keepRuns ?? numberFromEnv(io.env, 'DRIVERLAB_KEEP_RUNS', DEFAULT_KEEP_RUNS);

  // A malformed or expired waiver stops the run before anything runs: exit 2, one sentence.
  let waivers: Waivers;
  try {
    waivers = await loadWaivers(gatePaths.waivers);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    io.stderr(`driverlab run: ${error.message}\n`);
    return EXIT.usage;
  }
  const db = options.db ?? (io.env.DRIVERLAB_DB || undefined);
  if (db && options.retry > 0) {
    throw new UsageError(
      "'driverlab run' cannot combine --retry with --db yet, because a fleet run hands out again only the scenarios whose agent was lost; leave out --retry, or run on one host without --db.",
    );
  }

  const env: NodeJS.ProcessEnv = { ...io.env };
  if (lab) env.DRIVERLAB_LAB = lab;
  if (features.length > 0) env.DRIVERLAB_PATHS = JSON.stringify(features);
  else delete env.DRIVERLAB_PATHS;

  // This run's debugger endpoints: held for as long as it runs, so a second run on this machine
  // refuses with a sentence instead of breaking both. A dry run starts no debugger: it only says
  // which are held. A fleet run starts no debugger here: the agents' hosts hold the endpoints.
  const endpoints = db ? [] : kdnetEndpoints(labFile);
  const locks = options.dryRun
    ? { refused: heldEndpoints(endpoints), release: () => {} }
    : lockEndpoints(endpoints);
  let chosen: { release: () => void } = { release: () => {} };
  try {
    // The embedded lab's `auto` KDNET ports: chosen free now, held for the run, handed to its
    // workers, so two runs on one machine never share an endpoint (lab/endpoints.ts).
    if (!db && !options.dryRun) {
      const lockDir = machineLockDir(io.env);
      const auto = await chooseFreeAutoPorts(labFile, lockDir);
      chosen = auto;
      env.DRIVERLAB_LOCK_DIR = lockDir;
      if (Object.keys(auto.ports).length > 0) env.DRIVERLAB_KDNET_PORTS = JSON.stringify(auto.ports);
      else delete env.DRIVERLAB_KDNET_PORTS;
    }
    // Preflight: every problem of the features and of the lab, in one pass, before any VM is touched.
    const preflightEnv = { ...env, DRIVERLAB_RUN_DIR: join(tmpdir(), 'driverlab-preflight') };
    const plan = await preflightFeatures(
      {
        profile,
        ...(options.tags ? { tags: options.tags } : {}),
        names: options.names,
        ...(lab ? { lab } : {}),
      },
      preflightEnv,
    );
    const labLines = await labProblems(labFile, options, io.env, locks.refused);
    const total = plan.problems.length + labLines.length;
    if (total > 0) {
      const lines = [
        ...plan.problems.map((p) => `  - ${where(p)}: ${indent(p.message)}`),
        ...labLines.map((l) => `  - ${relative(labFile.path)}: ${l}`),
      ];
      io.stderr(
        `driverlab run: ${total} problem${total === 1 ? '' : 's'} found before any VM was touched, so nothing ran:\n${lines.join('\n')}\n`,
      );
      return EXIT.usage;
    }
    if (plan.selected === 0) {
      const selection = [
        options.tags ? `the tag expression '${options.tags}'` : null,
        options.names.length > 0 ? `the name filter ${options.names.map((n) => `'${n}'`).join(', ')}` : null,
      ].filter((s) => s !== null);
      const from = features.length > 0 ? features.join(', ') : `the '${profile}' profile's features`;
      io.stderr(
        `driverlab run: ${selection.length > 0 ? selection.join(' and ') : 'the selection'} selects no scenario of ${from}, so nothing ran; check it with 'driverlab run --dry-run' and --tags, --name or feature paths.\n`,
      );
      return EXIT.usage;
    }
    if (options.dryRun) {
      io.stdout(
        `driverlab run --dry-run: ${plan.selected} scenario${plan.selected === 1 ? '' : 's'} selected; every step has one definition, every parameter reads, and the lab's secrets and debugger ports are ready. Nothing was run.\n`,
      );
      return EXIT.ok;
    }
    return await runFeatures({
      io,
      env,
      options,
      profile,
      lab,
      labFile,
      features,
      plan,
      graceSeconds,
      keepRuns,
      waivers,
      db,
    });
  } finally {
    locks.release();
    chosen.release();
  }
}

interface RunContext {
  io: CliIo;
  env: NodeJS.ProcessEnv;
  options: RunOptions;
  profile: string;
  lab: string | undefined;
  labFile: LabFile;
  features: string[];
  plan: PreflightReport;
  graceSeconds: number;
  keepRuns: number;
  waivers: Waivers;
  db: string | undefined;
}

async function runFeatures(context: RunContext): Promise<number> {
  const { io, options, profile, lab, plan } = context;
  const runId = newRunId();
  const runsDir = join(paths.reports, 'runs');
  const runDir = join(runsDir, runId);
  const resultsDir = join(runDir, 'allure-results');
  await mkdir(resultsDir, { recursive: true });
  // The run's own temp folder (private, 0700): the debugger logs, the simulated lab's state files
  // (with the run's KDNET key) and dumps go there, and go with it when the run ends. Named by the
  // run's pid, so one a killed run left behind is removed by the next run.
  await removeTempFoldersOfGoneRuns(tmpdir());
  const runTmp = await mkdtemp(join(tmpdir(), `${RUN_TMP_PREFIX}${process.pid}-`));
  const stopFile = join(runDir, 'stop-requested');
  const startedAt = new Date().toISOString();
  const base: SummaryFile = {
    status: 'running',
    runId,
    runDir: relative(runDir),
    startedAt,
    profile,
    lab: lab ?? 'embedded',
    total: 0,
    passed: 0,
    failed: 0,
    broken: 0,
    skipped: 0,
    unknown: 0,
    selected: plan.selected,
  };
  writeSummaryFile(join(runDir, 'summary.json'), base);
  await withPublishLock(paths.reports, async () => writeSummaryFile(paths.summary, base));

  const cucumberArgs = [cucumberBin(), '--profile', profile];
  if (options.tags) cucumberArgs.push('--tags', options.tags);
  for (const name of options.names) cucumberArgs.push('--name', name);
  if (options.parallel) cucumberArgs.push('--parallel', String(options.parallel));
  cucumberArgs.push(...options.passthrough);
  const env: NodeJS.ProcessEnv = {
    ...context.env,
    DRIVERLAB_RUN_DIR: runDir,
    DRIVERLAB_STOP_FILE: stopFile,
    TMPDIR: runTmp,
    TMP: runTmp,
    TEMP: runTmp,
  };
  let cucumberExitCode: number | null;
  let interruption: { reason: string | null; aborted: boolean };
  if (context.db) {
    const fleet = await runOnTheFleet(context.db, profile, options, context.features, resultsDir, io).finally(
      () => rm(runTmp, { recursive: true, force: true }),
    );
    cucumberExitCode = fleet.exitCode;
    interruption = { reason: fleet.interrupted, aborted: false };
  } else {
    // The run's VM pool: every worker leases a VM per scenario from it, so more workers than VMs wait.
    const broker = await LeaseBroker.start(
      new VmPool(
        context.labFile.data.vms.map((vm) => ({ name: vm.name, capabilities: vm.capabilities })),
        context.labFile.data.name,
      ),
    );
    env.DRIVERLAB_POOL = broker.url;
    // Its own process group: a Ctrl-C at the terminal reaches driverlab only, which stops the run in order.
    const posix = process.platform !== 'win32';
    const child = execa(process.execPath, cucumberArgs, {
      cwd: paths.root,
      env,
      stdin: 'ignore',
      stdout: 'inherit',
      stderr: 'inherit',
      reject: false,
      detached: posix,
    });
    const interrupts = handleInterrupts({
      stopFile,
      graceMs: context.graceSeconds * 1000,
      abort: () => killTree(child.pid, 'SIGKILL'),
      say: (line) => io.stderr(`\n${line}\n`),
      watchParent: Boolean(io.env.npm_command || io.env.npm_lifecycle_event),
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    });
    try {
      cucumberExitCode = (await child).exitCode ?? null;
      // Honest retries: broken scenarios only, by file:line, into this run's results, on another VM.
      if (options.retry > 0 && interrupts.reason === null) {
        const last = await retryBroken({
          retries: options.retry,
          resultsDir,
          argsFor: (locations) => [cucumberBin(), '--profile', profile, ...options.passthrough, ...locations],
          env: { ...env, DRIVERLAB_PATHS: '[]' },
          say: (line) => io.stdout(`driverlab: ${line}\n`),
        });
        if (last !== null) cucumberExitCode = last;
      }
    } finally {
      interrupts.dispose();
      // Whatever the run's workers left (a debugger, a lab host): ended with it.
      if (posix) killTree(child.pid, 'SIGKILL');
      await broker.close();
      await rm(runTmp, { recursive: true, force: true });
    }
    for (const [vm, reason] of broker.pool.quarantined()) {
      io.stderr(`driverlab: VM '${vm}' was quarantined during the run: it ${reason}.\n`);
    }
    interruption = { reason: interrupts.reason, aborted: interrupts.aborted };
  }
  const interrupted = interruption.reason !== null;
  await markKnownIssues(resultsDir, context.waivers).catch((error: unknown) =>
    io.stderr(`driverlab: the known issues could not be marked in the results (${String(error)}).\n`),
  );
  // History only from complete runs of a profile meant for it, never from a subset or an interrupted run.
  const complete =
    !interrupted && !options.tags && options.names.length === 0 && context.features.length === 0;
  const environment = await describeRunEnvironment(
    context.labFile,
    { profile, tags: options.tags ?? null, complete },
    io.env,
  );
  const runContextFile = join(runDir, 'run-context.json');
  await writeRunContext(environment, resultsDir, runContextFile).catch((error: unknown) =>
    io.stderr(`driverlab: the run's environment could not be written (${String(error)}).\n`),
  );

  const { results, unreadable } = await readAllureResults(resultsDir);
  for (const u of unreadable)
    io.stderr(`driverlab: the result file '${u.file}' could not be read (${u.reason}).\n`);
  const { ran } = ranAndNot(results);
  const counts = summarise(ran);
  const selected = (await countSelected(join(runDir, 'cucumber-messages.ndjson'))) ?? plan.selected;
  const neverRan = Math.max(0, selected - ran.length);
  const status = outcomeOf(counts, interrupted);
  const note = interrupted
    ? `the run was interrupted (${interruption.reason}${interruption.aborted ? ', then ended at once' : ''}); ${neverRan} of ${selected} scenarios never ran`
    : '';

  // junit.xml: Cucumber's own when it finished it, else one built from the results (never a cut file).
  const junit = join(runDir, 'junit.xml');
  if (!(await isWholeJunit(junit)) || interrupted) {
    await writeFile(junit, junitFromResults(ran, neverRan, note));
  }
  if (interrupted) {
    // The report's overview names the run's environment: it says the run was interrupted.
    await writeFile(
      join(resultsDir, 'environment.properties'),
      `driverlab.run=interrupted\ndriverlab.never_ran=${neverRan} of ${selected} scenarios\n`,
    );
  }
  const final: SummaryFile = {
    ...base,
    ...counts,
    status,
    selected,
    neverRan,
    cucumberExitCode,
    finishedAt: new Date().toISOString(),
  };
  writeSummaryFile(join(runDir, 'summary.json'), final);

  // Published to reports/ whole: a reader sees the previous run's files or this run's, never a mix;
  // and as a set: a run beside this one (in this clone) publishes before or after, never between.
  let reportNote = 'no HTML report (--no-report)';
  await withPublishLock(paths.reports, async () => {
    await publishFolder(resultsDir, paths.allureResults);
    await publishFile(junit, join(paths.reports, 'junit.xml'));
    if (existsSync(join(runDir, 'cucumber-messages.ndjson'))) {
      await publishFile(
        join(runDir, 'cucumber-messages.ndjson'),
        join(paths.reports, 'cucumber-messages.ndjson'),
      );
    }
    if (existsSync(runContextFile)) await publishFile(runContextFile, gatePaths.context);

    if (options.report) {
      try {
        const index = await generateHtmlReport({
          results: resultsDir,
          output: paths.allureReport,
          name: reportName(status, neverRan, selected, interruption.reason === 'deadline'),
          history: complete && (profile === 'nightly' || profile === 'gating'),
        });
        reportNote = `report: ${relative(index)}`;
      } catch (error) {
        io.stderr(`driverlab: ${error instanceof Error ? error.message : String(error)}\n`);
        reportNote = 'the HTML report could not be generated';
      }
    }
    writeSummaryFile(paths.summary, final);
    await prunePastRuns(runsDir, context.keepRuns, [runId]);

    const cutShort = interruption.reason === 'deadline';
    const head = interrupted
      ? `${cutShort ? 'cut short at its deadline' : 'interrupted'}, ${neverRan} of ${selected} scenarios never ran; `
      : '';
    io.stdout(`driverlab: ${head}${formatSummary(counts)}; ${reportNote}\n`);
    if (options.gate && counts.total > 0) {
      try {
        const verdict = await runGate({
          results: paths.allureResults,
          summary: paths.summary,
          context: gatePaths.context,
          policyFile: undefined,
          waiversFile: gatePaths.waivers,
          baselineId: null,
          db: context.db,
          storeDir: gatePaths.store,
          keepRuns: keepRunsFrom(io.env),
          record: true,
          out: {
            json: gatePaths.json,
            markdown: gatePaths.markdown,
            report: join(paths.allureReport, 'index.html'),
          },
        });
        io.stdout(`driverlab ${verdictLine(verdict)}; reports/gate.md\n`);
      } catch (error) {
        io.stderr(
          `driverlab: the run could not be recorded or judged: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    }
  });
  const cutShort = interruption.reason === 'deadline';
  // Cut short at its deadline is the run's own end, not the user's: it exits as a run with a problem.
  if (interrupted) return cutShort ? EXIT.problem : EXIT.interrupted;
  const clean = status === 'passed' && unreadable.length === 0;
  return cucumberExitCode === 0 && clean ? EXIT.ok : EXIT.problem;
}

/**
 * The run on the fleet: the scenarios go to the agents; every scenario's one result comes back
 * into this run's results folder. Ctrl-C takes the unstarted scenarios off the queue.
 */
async function runOnTheFleet(
  db: string,
  profile: string,
  options: RunOptions,
  features: readonly string[],
  resultsDir: string,
  io: CliIo,
): Promise<{ exitCode: number; interrupted: string | null }> {
  const { parseDbUrl } = await import('../../fleet/db.js');
  const { runOnFleet } = await import('../../fleet/coordinator.js');
  const stop = new AbortController();
  let signal: string | null = null;
  const onSignal = (name: NodeJS.Signals): void => {
    signal = name;
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runOnFleet(
      {
        db: parseDbUrl(db),
        profile,
        tags: options.tags ?? null,
        names: options.names,
        features: [...features],
        deadAfterMs: options.agentTimeoutMs,
        pollMs: 500,
        deadline: options.deadlineMs === undefined ? null : new Date(Date.now() + options.deadlineMs),
        log: (line) => io.stdout(`${line}\n`),
        signal: stop.signal,
      },
      resultsDir,
    );
    if (result.ending === 'interrupted') return { exitCode: 130, interrupted: signal ?? 'a stop request' };
    if (result.ending === 'cut-short') {
      return { exitCode: 1, interrupted: 'deadline' };
    }
    return { exitCode: 0, interrupted: null };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The report's title: what the run came to, so its overview never shows an interrupted run as a whole one. */
export function reportName(
  status: SummaryFile['status'],
  neverRan: number,
  selected: number,
  cutShort = false,
): string {
  if (status === 'interrupted') {
    return `driverlab — ${cutShort ? 'cut short at its deadline' : 'interrupted'}: ${neverRan} of ${selected} scenarios never ran`;
  }
  if (status === 'running') return 'driverlab — unfinished run';
  return 'driverlab';
}

function relative(path: string): string {
  return path.startsWith(paths.root) ? path.slice(paths.root.length + 1) : path;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the features on a lab and write the Allure results and report',
  help: HELP,
  run,
};
