/**
 * The fleet's work queue: one pg-boss job per scenario of a run (docs/adr/0011-fleet-on-pg-boss.md).
 *
 * A scenario goes to the queue of its requirement — any VM, a VM by name, or a set of capabilities —
 * so an agent fetches only work its VMs can serve. Priority is the scenario's expected duration in
 * seconds: pg-boss hands out the highest first, which is longest-expected-first scheduling.
 */
import PgBoss from 'pg-boss';
import * as z from 'zod';
import type { PoolVm, Requirement } from '../pool/pool.js';
import { candidatesFor } from '../pool/pool.js';
import { unreachable } from './db.js';

export const ScenarioJob = z.strictObject({
  runId: z.string(),
  uri: z.string(),
  line: z.number().int().positive(),
  scenario: z.string(),
  profile: z.string(),
  tags: z.array(z.string()),
  requirement: z.strictObject({ vm: z.string().optional(), capabilities: z.array(z.string()) }),
});
export type ScenarioJob = z.infer<typeof ScenarioJob>;

const PREFIX = 'driverlab';

/** The queue a requirement's scenarios wait in. */
export function queueOf(requirement: Requirement): string {
  if (requirement.vm !== undefined) return `${PREFIX}-vm-${requirement.vm}`;
  if (requirement.capabilities.length === 0) return `${PREFIX}-any`;
  return `${PREFIX}-needs-${[...requirement.capabilities].sort().join('--')}`;
}

/** The requirement a queue name stands for, or null for a queue that is not the fleet's. */
export function requirementOfQueue(name: string): Requirement | null {
  if (name === `${PREFIX}-any`) return { capabilities: [] };
  if (name.startsWith(`${PREFIX}-vm-`)) return { vm: name.slice(`${PREFIX}-vm-`.length), capabilities: [] };
  if (name.startsWith(`${PREFIX}-needs-`)) {
    return { capabilities: name.slice(`${PREFIX}-needs-`.length).split('--') };
  }
  return null;
}

export interface QueueSettings {
  /** How many times a scenario whose agent died is handed out again. */
  retryLimit: number;
  /** The hard cap on one attempt, after which pg-boss itself fails it. */
  expireInSeconds: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = { retryLimit: 2, expireInSeconds: 4 * 60 * 60 };

/** A fetched scenario and which attempt this is (0 for the first). */
export interface FetchedJob {
  id: string;
  queue: string;
  attempt: number;
  data: ScenarioJob;
}

export class WorkQueue {
  private readonly known = new Set<string>();

  private constructor(private readonly boss: PgBoss) {}

  static async open(url: string, options: { supervise: boolean }): Promise<WorkQueue> {
    const boss = new PgBoss({
      connectionString: url,
      schema: 'driverlab_queue',
      max: 4,
      supervise: options.supervise,
      schedule: false,
      maintenanceIntervalSeconds: 30,
    });
    boss.on('error', () => {});
    try {
      await boss.start();
    } catch (error) {
      throw unreachable(url, error);
    }
    return new WorkQueue(boss);
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: true }).catch(() => {});
  }

  private async ensureQueue(name: string, settings: QueueSettings): Promise<void> {
    if (this.known.has(name)) return;
    await this.boss.createQueue(name, {
      name,
      retryLimit: settings.retryLimit,
      expireInSeconds: settings.expireInSeconds,
    });
    this.known.add(name);
  }

  /** Puts a run's scenarios in their queues, each with its expected duration as priority. */
  async enqueue(
    jobs: ReadonlyArray<{ data: ScenarioJob; expectedMs: number }>,
    settings: QueueSettings,
  ): Promise<Map<string, { id: string; queue: string }>> {
    const ids = new Map<string, { id: string; queue: string }>();
    for (const job of jobs) {
      const queue = queueOf(job.data.requirement);
      await this.ensureQueue(queue, settings);
      const id = await this.boss.send(queue, job.data, {
        priority: Math.max(1, Math.round(job.expectedMs / 1000)),
        retryLimit: settings.retryLimit,
        expireInSeconds: settings.expireInSeconds,
      });
      if (id === null) throw new Error(`pg-boss refused the scenario '${job.data.scenario}'`);
      ids.set(job.data.scenario, { id, queue });
    }
    return ids;
  }

  /**
   * The next scenario some free VM of this agent can serve: a VM-named queue of a free VM first,
   * then the capability queues its free VMs meet, then any.
   */
  async fetchFor(freeVms: readonly PoolVm[]): Promise<FetchedJob | null> {
    if (freeVms.length === 0) return null;
    const queues = (await this.boss.getQueues())
      .map((q) => ({ name: q.name, requirement: requirementOfQueue(q.name) }))
      .filter(
        (q): q is { name: string; requirement: Requirement } =>
          q.requirement !== null && candidatesFor(freeVms, q.requirement).length > 0,
      )
      .sort((a, b) => rank(a.requirement) - rank(b.requirement));
    for (const queue of queues) {
      const [job] = await this.boss.fetch<unknown>(queue.name, { batchSize: 1, includeMetadata: true });
      if (job)
        return { id: job.id, queue: queue.name, attempt: job.retryCount, data: ScenarioJob.parse(job.data) };
    }
    return null;
  }

  async complete(job: { id: string; queue: string }): Promise<void> {
    await this.boss.complete(job.queue, job.id);
  }

  /** Hands a scenario out again (its agent died or its run ended without a result), within its retry limit. */
  async fail(job: { id: string; queue: string }, reason: string): Promise<void> {
    await this.boss.fail(job.queue, job.id, { reason });
  }

  async cancel(job: { id: string; queue: string }): Promise<void> {
    await this.boss.cancel(job.queue, job.id);
  }

  /** The job's state: whether it can still run (created, retry, active) or has ended. */
  async state(job: { id: string; queue: string }): Promise<string | null> {
    const found = await this.boss.getJobById(job.queue, job.id, { includeArchive: true });
    return found?.state ?? null;
  }
}

/** Named VMs first, then capabilities, then any: specific work goes to the VMs only it can use. */
function rank(requirement: Requirement): number {
  if (requirement.vm !== undefined) return 0;
  return requirement.capabilities.length > 0 ? 1 : 2;
}
