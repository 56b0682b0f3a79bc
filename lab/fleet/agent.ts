/**
 * `driverlab agent`: one per lab host. It pulls the scenarios its VMs can serve from the fleet's
 * queue, runs each in a cucumber-js process of its own on this host's lab (its VMs leased from the
 * agent's pool, as a single-host run leases them), and stores the outcome and the Allure files in
 * the database for the run that enqueued them.
 *
 * It beats every `heartbeatMs`; a run that does not hear from it for `deadAfterMs` requeues what it
 * was running. An agent that cannot reach the database for that long stops taking work, lets the
 * scenarios it runs finish (their VMs are left as a finished scenario leaves them, never mid-way),
 * and exits saying why.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadLabFile } from '../config/lab-file.js';
import { cucumberBin, paths } from '../paths.js';
import { LeaseBroker } from '../pool/broker.js';
import { candidatesFor, type PoolVm, VmPool } from '../pool/pool.js';
import { AllureResult } from '../report/allure-results.js';
import { machineLockDir } from '../util/lock.js';
import { FleetDb } from './db.js';
import { type FetchedJob, WorkQueue } from './queue.js';

export interface AgentOptions {
  db: string;
  lab: string;
  name: string;
  heartbeatMs: number;
  deadAfterMs: number;
  pollMs: number;
  log: (line: string) => void;
  /** Stops taking work when aborted; running scenarios finish. */
  signal: AbortSignal;
}

/** What one attempt at a scenario came to. */
export interface AttemptResult {
  status: 'passed' | 'failed' | 'broken' | 'skipped' | 'unknown' | 'no-result';
  durationMs: number | null;
  message: string | null;
  files: Array<{ name: string; content: Buffer }>;
}

/** Runs the agent until it is stopped or loses the database; the exit code. */
export async function runAgent(options: AgentOptions): Promise<number> {
  const labFile = await loadLabFile(options.lab);
  const vms: PoolVm[] = labFile.data.vms.map((vm) => ({ name: vm.name, capabilities: vm.capabilities }));
  const db = await FleetDb.open(options.db);
  const queue = await WorkQueue.open(options.db, { supervise: true });
  const broker = await LeaseBroker.start(new VmPool(vms, labFile.data.name));
  const stop = new AbortController();
  options.signal.addEventListener('abort', () => stop.abort(options.signal.reason), { once: true });
  let lostBecause: string | null = null;

  await db.registerAgent({ id: options.name, host: hostname(), vms });
  options.log(
    `driverlab agent '${options.name}': serving ${vms.map((v) => v.name).join(', ')} of the lab '${labFile.data.name}' from ${redact(options.db)}.`,
  );

  // The heartbeat: what tells a run this agent still works on what it took.
  let lastBeat = Date.now();
  const beating = setInterval(() => {
    db.heartbeat(options.name).then(
      () => {
        lastBeat = Date.now();
      },
      (error: unknown) => {
        if (Date.now() - lastBeat < options.deadAfterMs || lostBecause !== null) return;
        lostBecause = `it could not reach the database for ${Math.round((Date.now() - lastBeat) / 1000)} s (${error instanceof Error ? error.message : String(error)})`;
        stop.abort();
      },
    );
  }, options.heartbeatMs);

  const busy = new Set<string>();
  const running = new Set<Promise<void>>();
  try {
    while (!stop.signal.aborted) {
      const free = vms.filter((vm) => !busy.has(vm.name) && !broker.pool.isQuarantined(vm.name));
      let job: FetchedJob | null = null;
      try {
        job = await queue.fetchFor(free);
      } catch (error) {
        options.log(
          `driverlab agent '${options.name}': could not fetch work (${String(error)}); trying again.`,
        );
      }
      if (job === null) {
        await pause(options.pollMs, stop.signal);
        continue;
      }
      const vm = (candidatesFor(free, job.data.requirement)[0] as PoolVm).name;
      busy.add(vm);
      const work = runJob(job, vm).finally(() => {
        busy.delete(vm);
        running.delete(work);
      });
      running.add(work);
    }
  } finally {
    if (running.size > 0) {
      options.log(
        `driverlab agent '${options.name}': stopping; waiting for the ${running.size} scenario(s) it runs to finish.`,
      );
    }
    await Promise.allSettled([...running]);
    clearInterval(beating);
    await db.stopAgent(options.name, lostBecause ?? 'stopped').catch(() => {});
    await broker.close();
    await queue.close();
    await db.close();
  }
  if (lostBecause !== null) {
    options.log(
      `driverlab agent '${options.name}' stopped taking scenarios, because ${lostBecause}; the scenarios it ran have finished and their VMs are idle, and the run requeues what it could not report. Start it again when the database is back.`,
    );
    return 1;
  }
  options.log(`driverlab agent '${options.name}' stopped.`);
  return 0;

  async function runJob(job: FetchedJob, vm: string): Promise<void> {
    const { data } = job;
    const status = await db.runStatus(data.runId).catch(() => null);
    if (status !== 'running') {
      await queue.cancel(job).catch(() => {});
      return;
    }
    await db.startAttempt({
      jobId: job.id,
      attempt: job.attempt,
      runId: data.runId,
      scenario: data.scenario,
      agent: options.name,
      vm,
    });
    const result = await runScenario(data.uri, data.line, data.profile, options.lab, broker.url);
    await db.saveResultFiles(job.id, job.attempt, result.files);
    if (result.status === 'no-result') {
      await db.finishAttempt(job.id, job.attempt, 'no-result', result.message);
      await queue.fail(job, result.message ?? 'no result');
      options.log(
        `driverlab agent '${options.name}': ${data.scenario} left no result (${result.message}); handed back.`,
      );
      return;
    }
    const counted = await db.recordOutcome({
      runId: data.runId,
      scenario: data.scenario,
      job_id: job.id,
      attempt: job.attempt,
      agent: options.name,
      status: result.status,
      duration_ms: result.durationMs,
      message: result.message,
    });
    await db.finishAttempt(
      job.id,
      job.attempt,
      result.status,
      counted ? null : 'another attempt was recorded first',
    );
    await queue.complete(job).catch(() => {});
    options.log(
      `driverlab agent '${options.name}': ${data.scenario} on ${vm}: ${result.status}${result.durationMs === null ? '' : ` (${(result.durationMs / 1000).toFixed(1)} s)`}`,
    );
  }
}

/**
 * Runs one scenario (feature file and line) on this host's lab, in a folder of its own, and reads
 * what it left: the Allure files and the scenario's status.
 */
export async function runScenario(
  uri: string,
  line: number,
  profile: string,
  lab: string,
  poolUrl: string,
): Promise<AttemptResult> {
  const dir = await mkdtemp(join(tmpdir(), 'driverlab-agent-'));
  try {
    const child = await execa(process.execPath, [cucumberBin(), '--profile', profile], {
      cwd: paths.root,
      env: {
        ...process.env,
        DRIVERLAB_LAB: lab,
        DRIVERLAB_POOL: poolUrl,
        // Everything the run writes goes to this folder; it runs only the scenario at uri:line.
        DRIVERLAB_RUN_DIR: dir,
        DRIVERLAB_PATHS: JSON.stringify([`${uri}:${line}`]),
        // The scenario's own temp folder: its debugger logs and simulated state go with it.
        TMPDIR: dir,
        // The machine's locks stay the machine's: an `auto` KDNET port it chooses is held there.
        DRIVERLAB_LOCK_DIR: machineLockDir(),
      },
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    const resultsDir = join(dir, 'allure-results');
    const names = await readdir(resultsDir).catch(() => [] as string[]);
    const files = await Promise.all(
      names.map(async (name) => ({ name, content: await readFile(join(resultsDir, name)) })),
    );
    const results = files
      .filter((f) => f.name.endsWith('-result.json'))
      .map((f) => AllureResult.safeParse(JSON.parse(f.content.toString('utf8'))))
      .flatMap((r) => (r.success ? [r.data] : []));
    const last = results.sort((a, b) => (a.stop ?? 0) - (b.stop ?? 0)).at(-1);
    if (!last?.status) {
      const tail = (child.all ?? '').trim().split('\n').slice(-3).join(' / ').slice(0, 400);
      return {
        status: 'no-result',
        durationMs: null,
        message: `cucumber-js exited with code ${child.exitCode ?? child.signal} and wrote no result${tail ? `: ${tail}` : ''}`,
        files,
      };
    }
    return {
      status: last.status,
      durationMs: last.start !== undefined && last.stop !== undefined ? last.stop - last.start : null,
      message: last.statusDetails?.message ?? null,
      files,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A connection URL with its password hidden, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:«redacted»@');
}
