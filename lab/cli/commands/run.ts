/**
 * `driverlab run`: runs the features through cucumber-js (a child process, so that lab/ stays
 * free of Cucumber), then reads the Allure results, writes reports/summary.json, generates the
 * HTML report and prints one summary line.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';
import { loadLabFile } from '../../config/lab-file.js';
import { ConfigurationError } from '../../errors.js';
import { gatePaths, keepRunsFrom, runGate } from '../../gate/gate.js';
import { retryBroken } from '../../gate/retry.js';
import { verdictLine } from '../../gate/verdict.js';
import { loadWaivers, markKnownIssues, type Waivers } from '../../gate/waivers.js';
import { parseDuration } from '../../params/duration.js';
import { cucumberBin, paths } from '../../paths.js';
import { LeaseBroker } from '../../pool/broker.js';
import { VmPool } from '../../pool/pool.js';
import { formatSummary, type RunSummary, readAllureResults, summarise } from '../../report/allure-results.js';
import { runContext, writeRunContext } from '../../report/environment.js';
import { generateHtmlReport } from '../../report/html.js';
import { type CliIo, type Command, EXIT, positiveInteger, UsageError } from '../command.js';

const PROFILES = ['default', 'hyperv', 'nightly', 'gating'] as const;

/** cucumber-js options passed through untouched: name → whether it takes a value. */
const CUCUMBER_OPTIONS: ReadonlyMap<string, boolean> = new Map([
  ['--dry-run', false],
  ['-d', false],
  ['--fail-fast', false],
  ['--format', true],
  ['-f', true],
  ['--format-options', true],
  ['--name', true],
  ['--order', true],
  ['--shard', true],
  ['--strict', false],
  ['--no-strict', false],
  ['--world-parameters', true],
  ['--backtrace', false],
  ['-b', false],
  ['--language', true],
]);

const HELP = `Usage: driverlab run [options] [feature paths…]

Runs the features on a lab: the embedded simulated lab unless a lab file is named.

Options:
  --lab FILE        the lab file to run on (default: $DRIVERLAB_LAB, else the embedded lab)
  --tags EXPR       a Cucumber tag expression, e.g. '@special-pool and not @wip'
  --parallel N      N Cucumber workers; each leases a VM per scenario from the lab's pool
                    (more workers than VMs wait for a free one)
  --profile NAME    one of ${PROFILES.join(', ')} (default: hyperv when a lab file is named, else default)
  --no-report       skip the HTML report (results and summary are still written)
  --retry N         run a broken scenario (the lab failed) again, up to N times, on another VM;
                    a failed one is never retried; broken then passed is flaky
  --db URL          the lab's PostgreSQL database ($DRIVERLAB_DB): the run goes to the fleet —
                    the scenarios are enqueued there for the 'driverlab agent' of each lab host —
                    and is recorded in the run store there (default: no fleet, reports/run-store)
  --deadline DURATION  with --db: end the run cleanly, as cut short, when it is still going
                    after this long (e.g. 6 h)
  --agent-timeout DURATION  with --db: requeue what an agent runs when it has been silent this
                    long (default: 30 s)
  --no-gate         do not record the run or judge it (reports/gate.json)
  -h, --help        this text

Any of these cucumber-js options are passed through: ${[...CUCUMBER_OPTIONS.keys()].filter((o) => o.startsWith('--')).join(', ')}.

Writes reports/allure-results/, reports/cucumber-messages.ndjson, reports/junit.xml,
reports/summary.json and reports/allure-report/index.html, records the run in the run store,
judges it by the default gate policy (reports/gate.json, gate.md) and prints one summary line and
the gate's verdict. A malformed or expired waiver in lab/waivers.yaml stops it before anything runs.
Exit code: 0 when every scenario passed, 1 when any failed or broke, 2 for a wrong command line or
a bad waiver.`;

interface RunOptions {
  lab: string | undefined;
  tags: string | undefined;
  parallel: number | undefined;
  profile: (typeof PROFILES)[number] | undefined;
  report: boolean;
  retry: number;
  db: string | undefined;
  gate: boolean;
  /** Feature paths named on the command line (part of passthrough too). */
  featurePaths: string[];
  passthrough: string[];
  deadlineMs: number | undefined;
  agentTimeoutMs: number;
}

function parseRunArgs(args: string[]): RunOptions {
  const options: RunOptions = {
    lab: undefined,
    tags: undefined,
    parallel: undefined,
    profile: undefined,
    report: true,
    retry: 0,
    db: undefined,
    gate: true,
    featurePaths: [],
    passthrough: [],
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
      case '--parallel':
        options.parallel = positiveInteger('run', 'parallel', value());
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
      default: {
        if (!flag.startsWith('-') || flag === '-') {
          options.passthrough.push(arg);
          options.featurePaths.push(arg);
          break;
        }
        const takesValue = CUCUMBER_OPTIONS.get(flag);
        if (takesValue === undefined) {
          throw new UsageError(
            `'driverlab run' has no option '${flag}' and cucumber-js does not take it either; run 'driverlab run --help' to see the options.`,
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

async function run(args: string[], io: CliIo): Promise<number> {
  const options = parseRunArgs(args);
  const labArg = options.lab ?? io.env.DRIVERLAB_LAB;
  const lab = labArg ? (isAbsolute(labArg) ? labArg : resolve(io.cwd, labArg)) : undefined;
  // A bad lab file is a configuration error, raised before cucumber or any VM starts.
  const labFile = await loadLabFile(lab ?? paths.embeddedLab);
  const profile = options.profile ?? (lab ? 'hyperv' : 'default');
  // A malformed or expired waiver stops the run before anything runs: exit 2, one sentence.
  let waivers: Waivers;
  try {
    waivers = await loadWaivers(gatePaths.waivers);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    io.stderr(`driverlab run: ${error.message}\n`);
    return EXIT.usage;
  }

  const cucumber = cucumberBin();
  const cucumberArgs = [cucumber, '--profile', profile];
  if (options.tags) cucumberArgs.push('--tags', options.tags);
  if (options.parallel) cucumberArgs.push('--parallel', String(options.parallel));
  cucumberArgs.push(...options.passthrough);

  const db = options.db ?? (io.env.DRIVERLAB_DB || undefined);
  const dryRun = options.passthrough.includes('--dry-run') || options.passthrough.includes('-d');
  let cucumberExit: number;
  if (db && !dryRun) {
    if (options.retry > 0) {
      io.stderr(
        'driverlab run: --retry cannot be combined with --db yet, because a fleet run retries only the scenarios whose agent was lost; leave out --retry, or run on one host without --db.\n',
      );
      return EXIT.usage;
    }
    cucumberExit = await runOnTheFleet(db, profile, options, io);
  } else {
    const env: NodeJS.ProcessEnv = { ...io.env };
    if (lab) env.DRIVERLAB_LAB = lab;
    // The run's VM pool: every worker leases a VM per scenario from it, so more workers than VMs wait.
    const broker = await LeaseBroker.start(
      new VmPool(
        labFile.data.vms.map((vm) => ({ name: vm.name, capabilities: vm.capabilities })),
        labFile.data.name,
      ),
    );
    env.DRIVERLAB_POOL = broker.url;
    try {
      const child = await execa(process.execPath, cucumberArgs, {
        cwd: paths.root,
        env,
        stdio: 'inherit',
        reject: false,
      });
      cucumberExit = child.exitCode ?? 1;
      // Honest retries: broken scenarios only, by file:line, into the same results, on another VM.
      if (!dryRun && options.retry > 0) {
        const keep = options.passthrough.filter((a) => !options.featurePaths.includes(a));
        const last = await retryBroken({
          retries: options.retry,
          resultsDir: paths.allureResults,
          argsFor: (locations) => [cucumber, '--profile', profile, ...keep, ...locations],
          env,
          say: (line) => io.stdout(`driverlab: ${line}\n`),
        });
        if (last !== null) cucumberExit = last;
      }
    } finally {
      await broker.close();
    }
    for (const [vm, reason] of broker.pool.quarantined()) {
      io.stderr(`driverlab: VM '${vm}' was quarantined during the run: it ${reason}.\n`);
    }
  }
  await markKnownIssues(paths.allureResults, waivers).catch((error: unknown) =>
    io.stderr(`driverlab: the known issues could not be marked in the results (${String(error)}).\n`),
  );
  const complete =
    !dryRun && !options.tags && options.featurePaths.length === 0 && !options.passthrough.includes('--name');
  const context = await runContext(labFile, { profile, tags: options.tags ?? null, complete }, io.env);
  await writeRunContext(context, paths.allureResults, gatePaths.context).catch((error: unknown) =>
    io.stderr(`driverlab: the run's environment could not be written (${String(error)}).\n`),
  );

  const { results, unreadable } = await readAllureResults(paths.allureResults);
  for (const u of unreadable)
    io.stderr(`driverlab: the result file '${u.file}' could not be read (${u.reason}).\n`);
  const summary = summarise(results);
  await writeSummary(summary, cucumberExit, profile, lab);

  let reportNote = 'no HTML report (--no-report)';
  if (options.report) {
    try {
      // History only from complete runs of a profile meant for it, never from a dry run or a subset.
      const history = complete && (profile === 'nightly' || profile === 'gating');
      const index = await generateHtmlReport({
        results: paths.allureResults,
        output: paths.allureReport,
        history,
      });
      reportNote = `report: ${relative(index)}`;
    } catch (error) {
      io.stderr(`driverlab: ${error instanceof Error ? error.message : String(error)}\n`);
      reportNote = 'the HTML report could not be generated';
    }
  }
  io.stdout(`driverlab: ${formatSummary(summary)}; ${reportNote}\n`);
  if (options.gate && !dryRun && summary.total > 0) {
    try {
      const verdict = await runGate({
        results: paths.allureResults,
        summary: paths.summary,
        context: gatePaths.context,
        policyFile: undefined,
        waiversFile: gatePaths.waivers,
        baselineId: null,
        db: options.db ?? (io.env.DRIVERLAB_DB || undefined),
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

  const clean = summary.failed + summary.broken + summary.unknown === 0 && unreadable.length === 0;
  return cucumberExit === 0 && clean ? EXIT.ok : EXIT.problem;
}

/** The run on the fleet: the scenarios go to the agents; their results come back here. */
async function runOnTheFleet(db: string, profile: string, options: RunOptions, io: CliIo): Promise<number> {
  const { parseDbUrl } = await import('../../fleet/db.js');
  const { runOnFleet } = await import('../../fleet/coordinator.js');
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runOnFleet(
      {
        db: parseDbUrl(db),
        profile,
        selection: [...(options.tags ? ['--tags', options.tags] : []), ...options.passthrough],
        deadAfterMs: options.agentTimeoutMs,
        pollMs: 500,
        deadline: options.deadlineMs === undefined ? null : new Date(Date.now() + options.deadlineMs),
        log: (line) => io.stdout(`${line}\n`),
        signal: stop.signal,
      },
      paths.allureResults,
    );
    if (result.ending !== 'complete') {
      const missing = result.total - result.outcomes.length;
      io.stderr(
        `driverlab: the run was ${result.ending === 'cut-short' ? 'cut short at its deadline' : 'interrupted'}; ${missing} of ${result.total} scenarios never finished and were taken off the queue.\n`,
      );
      return result.ending === 'interrupted' ? 130 : 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function writeSummary(
  summary: RunSummary,
  cucumberExitCode: number,
  profile: string,
  lab: string | undefined,
) {
  await mkdir(paths.reports, { recursive: true });
  const body = {
    ...summary,
    cucumberExitCode,
    profile,
    lab: lab ?? 'embedded',
    finishedAt: new Date().toISOString(),
  };
  await writeFile(paths.summary, `${JSON.stringify(body, null, 2)}\n`);
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
