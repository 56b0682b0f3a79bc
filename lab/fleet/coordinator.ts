/**
 * `driverlab run --db URL`: a run spread over every agent of the fleet. It lists the selected
 * scenarios (a cucumber-js dry run), enqueues one job per scenario longest-expected-first, watches
 * the outcomes come in — requeueing the work of agents that stopped beating — and finally writes
 * every scenario's one Allure result into reports/allure-results, so the summary and the HTML report
 * are built as for a run on one machine.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';
import { cucumberBin, paths } from '../paths.js';
import { candidatesFor, describeRequirement, type Requirement, requirementOf } from '../pool/pool.js';
import { longestFirst } from '../schedule/schedule.js';
import { redact } from './agent.js';
import { FleetDb, type Outcome } from './db.js';
import { DEFAULT_QUEUE_SETTINGS, type QueueSettings, type ScenarioJob, WorkQueue } from './queue.js';

export interface FleetRunOptions {
  db: string;
  profile: string;
  /** The selection, as `driverlab run` takes it: a tag expression, name filters, feature paths. */
  tags: string | null;
  names: string[];
  features: string[];
  /** Requeue what an agent runs when it has not beaten for this long. */
  deadAfterMs: number;
  pollMs: number;
  /** Ends the run cleanly, as cut short, when it is still going at this time. */
  deadline: Date | null;
  queue?: QueueSettings;
  log: (line: string) => void;
  /** Aborted on Ctrl-C: no more scenarios are handed out; the run ends as interrupted. */
  signal: AbortSignal;
}

export interface FleetRunResult {
  runId: string;
  total: number;
  outcomes: Outcome[];
  /** 'passed' when every scenario ended; 'cut-short' past the deadline; 'interrupted' on a signal. */
  ending: 'complete' | 'cut-short' | 'interrupted';
}

/** One scenario of the selection, as a dry run lists it. */
export interface ListedScenario {
  key: string;
  uri: string;
  line: number;
  tags: string[];
  requirement: Requirement;
}

const Envelope = z
  .object({
    gherkinDocument: z
      .object({ uri: z.string(), feature: z.object({ name: z.string() }).loose().optional() })
      .loose()
      .optional(),
    pickle: z
      .object({
        id: z.string(),
        uri: z.string(),
        name: z.string(),
        location: z.object({ line: z.number() }).loose().optional(),
        tags: z.array(z.object({ name: z.string() }).loose()),
        steps: z.array(z.object({ text: z.string() }).loose()),
      })
      .loose()
      .optional(),
    testCase: z.object({ pickleId: z.string() }).loose().optional(),
  })
  .loose();

/** Lists the scenarios a selection picks, with the requirement each has of its VM. */
export async function listScenarios(
  profile: string,
  selection: { tags: string | null; names: readonly string[]; features: readonly string[] },
): Promise<ListedScenario[]> {
  const dir = await mkdtemp(join(tmpdir(), 'driverlab-list-'));
  try {
    const messages = join(dir, 'messages.ndjson');
    const child = await execa(
      process.execPath,
      [
        cucumberBin(),
        '--profile',
        profile,
        '--dry-run',
        '--format',
        `message:${messages}`,
        ...(selection.tags ? ['--tags', selection.tags] : []),
        ...selection.names.flatMap((n) => ['--name', n]),
      ],
      {
        cwd: paths.root,
        env: {
          ...process.env,
          DRIVERLAB_RUN_DIR: dir,
          ...(selection.features.length > 0 ? { DRIVERLAB_PATHS: JSON.stringify(selection.features) } : {}),
        },
        reject: false,
        all: true,
        stdin: 'ignore',
      },
    );
    const text = await readFile(messages, 'utf8').catch(() => null);
    if (text === null) {
      throw new ConfigurationError(
        `The scenarios to enqueue could not be listed, because cucumber-js's dry run wrote nothing (exit code ${child.exitCode}: ${(child.all ?? '').trim().split('\n').slice(-2).join(' / ')}); run 'driverlab run --dry-run' with the same selection to see why.`,
      );
    }
    const features = new Map<string, string>();
    const pickles = new Map<string, NonNullable<z.infer<typeof Envelope>['pickle']>>();
    const selected: string[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const envelope = Envelope.parse(JSON.parse(line));
      if (envelope.gherkinDocument?.feature)
        features.set(envelope.gherkinDocument.uri, envelope.gherkinDocument.feature.name);
      if (envelope.pickle) pickles.set(envelope.pickle.id, envelope.pickle);
      if (envelope.testCase) selected.push(envelope.testCase.pickleId);
    }
    const listed = selected.map((id) => {
      const p = pickles.get(id);
      if (!p?.location) throw new Error(`the dry run names a test case whose scenario ${id} it did not list`);
      const tags = p.tags.map((t) => t.name);
      return {
        key: `${features.get(p.uri) ?? p.uri} › ${p.name}`,
        uri: p.uri,
        line: p.location.line,
        tags,
        requirement: requirementOf(
          tags,
          p.steps.map((s) => s.text),
        ),
      };
    });
    // Examples of an outline share its title: their place tells them apart.
    const counts = new Map<string, number>();
    for (const s of listed) counts.set(s.key, (counts.get(s.key) ?? 0) + 1);
    return listed.map((s) =>
      (counts.get(s.key) ?? 0) > 1 ? { ...s, key: `${s.key} (${s.uri}:${s.line})` } : s,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs a selection on the fleet; the scenarios' Allure results end up in `resultsDir`. */
export async function runOnFleet(options: FleetRunOptions, resultsDir: string): Promise<FleetRunResult> {
  const scenarios = await listScenarios(options.profile, options);
  if (scenarios.length === 0) {
    throw new ConfigurationError(
      'The selection picks no scenario, so there is nothing to enqueue; check the tags, names and paths.',
    );
  }
  const db = await FleetDb.open(options.db);
  const queue = await WorkQueue.open(options.db, { supervise: true });
  const settings = options.queue ?? DEFAULT_QUEUE_SETTINGS;
  try {
    await refuseUnservable(db, scenarios, options);
    const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
    await db.createRun({
      id: runId,
      profile: options.profile,
      selection: { tags: options.tags, names: options.names, features: options.features },
      total: scenarios.length,
      deadline: options.deadline,
    });
    const ordered = longestFirst(
      scenarios.map((s) => ({ ...s, id: s.key })),
      await db.history(),
    );
    const jobs = await queue.enqueue(
      ordered.map((s) => ({
        data: {
          runId,
          uri: s.uri,
          line: s.line,
          scenario: s.key,
          profile: options.profile,
          tags: s.tags,
          requirement: { ...s.requirement, capabilities: [...s.requirement.capabilities] },
        } satisfies ScenarioJob,
        expectedMs: s.expectedMs,
      })),
      settings,
    );
    options.log(
      `driverlab: run ${runId}: ${scenarios.length} scenarios enqueued on the fleet at ${redact(options.db)}.`,
    );

    const seen = new Set<string>();
    /** Jobs seen active with no attempt begun, and since when (wall ms). */
    const takenNotBegun = new Map<string, number>();
    let ending: FleetRunResult['ending'] = 'complete';
    for (;;) {
      for (const o of await db.outcomes(runId)) {
        if (seen.has(o.scenario)) continue;
        seen.add(o.scenario);
        options.log(
          `${seen.size}/${scenarios.length} ${o.scenario} — ${o.status} on agent '${o.agent ?? '?'}'${o.duration_ms === null ? '' : ` in ${(o.duration_ms / 1000).toFixed(1)} s`}${o.status !== 'passed' && o.message ? `: ${o.message.split('\n')[0]}` : ''}`,
        );
      }
      if (seen.size >= scenarios.length) break;
      if (options.signal.aborted) {
        ending = 'interrupted';
        break;
      }
      if (options.deadline && Date.now() >= options.deadline.getTime()) {
        ending = 'cut-short';
        break;
      }
      // Work of an agent that stopped beating goes back to the queue (within its retry limit).
      for (const lost of await db.lostAttempts(runId, options.deadAfterMs)) {
        const job = jobs.get(lost.scenario);
        if (!job) continue;
        await db.finishAttempt(
          lost.job_id,
          lost.attempt,
          'agent-lost',
          `agent '${lost.agent}' stopped beating`,
        );
        await queue.fail(job, `agent '${lost.agent}' stopped beating`);
        options.log(
          `driverlab: agent '${lost.agent}' stopped beating; ${lost.scenario} goes back to the queue.`,
        );
      }
      // A scenario whose every attempt was lost ends broken, with the reason; one an agent took but
      // never began (it died between taking and beginning) goes back to the queue.
      for (const [scenario, job] of jobs) {
        if (seen.has(scenario)) continue;
        const state = await queue.state(job);
        if (state === 'active' && !(await db.hasOpenAttempt(job.id))) {
          const since = takenNotBegun.get(job.id) ?? Date.now();
          takenNotBegun.set(job.id, since);
          if (Date.now() - since >= options.deadAfterMs) {
            takenNotBegun.delete(job.id);
            await queue.fail(job, 'the agent that took it stopped before it began');
            options.log(
              `driverlab: ${scenario} was taken by an agent that stopped before it began; it goes back to the queue.`,
            );
          }
          continue;
        }
        takenNotBegun.delete(job.id);
        if (state !== 'failed') continue;
        await db.recordOutcome({
          runId,
          scenario,
          job_id: job.id,
          attempt: settings.retryLimit,
          agent: null,
          status: 'broken',
          duration_ms: null,
          message: `No agent finished the scenario in ${settings.retryLimit + 1} attempts (their agents stopped or their runs left no result); see the agents' logs.`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
    if (ending !== 'complete') {
      for (const [scenario, job] of jobs) if (!seen.has(scenario)) await queue.cancel(job).catch(() => {});
    }
    await db.finishRun(runId, ending === 'complete' ? 'finished' : ending);
    const outcomes = await db.outcomes(runId);
    await rm(resultsDir, { recursive: true, force: true });
    await mkdir(resultsDir, { recursive: true });
    for (const o of outcomes) {
      for (const file of await db.resultFiles(o.job_id, o.attempt)) {
        // Result file names come from the database: only plain names are written.
        if (!/^[\w.-]+$/.test(file.name) || file.name.startsWith('.')) continue;
        await writeFile(join(resultsDir, file.name), file.content);
      }
    }
    return { runId, total: scenarios.length, outcomes, ending };
  } finally {
    await queue.close();
    await db.close();
  }
}

/** Refuses, before enqueueing, a scenario that no live agent's VM can serve. */
async function refuseUnservable(db: FleetDb, scenarios: readonly ListedScenario[], options: FleetRunOptions) {
  const agents = (await db.agents(options.deadAfterMs)).filter((a) => a.alive);
  if (agents.length === 0) {
    options.log('driverlab: no agent is running yet; the scenarios wait in the queue until one starts.');
    return;
  }
  const vms = agents.flatMap((a) => a.vms);
  const unservable = scenarios.filter((s) => candidatesFor(vms, s.requirement).length === 0);
  if (unservable.length === 0) return;
  const first = unservable[0] as ListedScenario;
  throw new ConfigurationError(
    `${unservable.length} scenario(s) need a VM no running agent has (first: '${first.key}' at ${first.uri}:${first.line} needs ${describeRequirement(first.requirement)}; the agents serve ${vms.map((v) => v.name).join(', ')}); start an agent whose lab has it, or change the scenario.`,
  );
}
