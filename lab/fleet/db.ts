/**
 * What the hosts of a fleet share in PostgreSQL besides the work queue (pg-boss owns that): the
 * runs, the agents and their heartbeats, every attempt at a scenario, each scenario's one final
 * outcome, and the Allure files each attempt wrote.
 *
 * "Exactly one final result" is the outcomes table's primary key (run, scenario): a scenario whose
 * attempt was requeued after its agent died cannot be recorded twice, whatever finishes later.
 */
import pg from 'pg';
import * as z from 'zod';
import { ConfigurationError, LabCompromisedError } from '../errors.js';

export const SCHEMA = 'driverlab_fleet';

// One statement list, so one transaction: the advisory lock (held until it ends) lets the hosts of
// a fleet that start together create the tables one after the other. PostgreSQL's own
// "create schema if not exists" and "create table if not exists" race with themselves (a duplicate
// key in pg_namespace), which stopped an agent at its start.
const MIGRATION = `
select pg_advisory_xact_lock(hashtext('${SCHEMA} migration'));
create schema if not exists ${SCHEMA};
create table if not exists ${SCHEMA}.runs (
  id text primary key,
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  profile text not null,
  selection jsonb not null,
  total integer not null,
  status text not null default 'running',
  deadline timestamptz
);
create table if not exists ${SCHEMA}.agents (
  id text primary key,
  host text not null,
  vms jsonb not null,
  started_at timestamptz not null default now(),
  last_seen timestamptz not null default now(),
  stopped_at timestamptz,
  stop_reason text
);
create table if not exists ${SCHEMA}.attempts (
  job_id uuid not null,
  attempt integer not null,
  run_id text not null references ${SCHEMA}.runs(id) on delete cascade,
  scenario text not null,
  agent text not null references ${SCHEMA}.agents(id),
  vm text,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  status text,
  note text,
  primary key (job_id, attempt)
);
create table if not exists ${SCHEMA}.outcomes (
  run_id text not null references ${SCHEMA}.runs(id) on delete cascade,
  scenario text not null,
  job_id uuid not null,
  attempt integer not null,
  agent text,
  status text not null,
  duration_ms bigint,
  message text,
  finished_at timestamptz not null default now(),
  primary key (run_id, scenario)
);
create table if not exists ${SCHEMA}.result_files (
  job_id uuid not null,
  attempt integer not null,
  name text not null,
  content bytea not null,
  primary key (job_id, attempt, name)
);
`;

export const Outcome = z.object({
  run_id: z.string(),
  scenario: z.string(),
  job_id: z.string(),
  attempt: z.number().int(),
  agent: z.string().nullable(),
  status: z.string(),
  duration_ms: z.coerce.number().nullable(),
  message: z.string().nullable(),
});
export type Outcome = z.infer<typeof Outcome>;

export const AgentRow = z.object({
  id: z.string(),
  host: z.string(),
  vms: z.array(z.object({ name: z.string(), capabilities: z.array(z.string()) })),
  alive: z.boolean(),
});
export type AgentRow = z.infer<typeof AgentRow>;

/** Checks a connection string before anything connects with it. */
export function parseDbUrl(url: string): string {
  if (!/^postgres(ql)?:\/\/[^\s]+$/.test(url)) {
    throw new ConfigurationError(
      `The database '${url}' is not a PostgreSQL connection URL; give --db as postgres://user@host:port/database.`,
    );
  }
  return url;
}

/** Where the fleet's tables are; one pool of connections per process. */
export class FleetDb {
  private constructor(
    readonly pool: pg.Pool,
    readonly url: string,
  ) {}

  /** Connects and creates the tables when they are missing; a database that cannot be reached is said in one sentence. */
  static async open(url: string): Promise<FleetDb> {
    const pool = new pg.Pool({ connectionString: parseDbUrl(url), max: 4, connectionTimeoutMillis: 10_000 });
    // An idle client that loses the server must not crash the process; the next query says so.
    pool.on('error', () => {});
    const db = new FleetDb(pool, url);
    try {
      await pool.query(MIGRATION);
    } catch (error) {
      await pool.end().catch(() => {});
      throw unreachable(url, error);
    }
    return db;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  async createRun(run: {
    id: string;
    profile: string;
    selection: unknown;
    total: number;
    deadline: Date | null;
  }) {
    await this.pool.query(
      `insert into ${SCHEMA}.runs (id, profile, selection, total, deadline) values ($1, $2, $3, $4, $5)`,
      [run.id, run.profile, JSON.stringify(run.selection), run.total, run.deadline],
    );
  }

  async finishRun(id: string, status: string): Promise<void> {
    await this.pool.query(`update ${SCHEMA}.runs set status = $2, finished_at = now() where id = $1`, [
      id,
      status,
    ]);
  }

  async runStatus(id: string): Promise<string | null> {
    const { rows } = await this.pool.query(`select status from ${SCHEMA}.runs where id = $1`, [id]);
    return rows[0] ? z.string().parse(rows[0].status) : null;
  }

  async registerAgent(agent: { id: string; host: string; vms: unknown }): Promise<void> {
    await this.pool.query(
      `insert into ${SCHEMA}.agents (id, host, vms) values ($1, $2, $3)
       on conflict (id) do update set host = $2, vms = $3, started_at = now(), last_seen = now(), stopped_at = null, stop_reason = null`,
      [agent.id, agent.host, JSON.stringify(agent.vms)],
    );
  }

  async heartbeat(agent: string): Promise<void> {
    await this.pool.query(`update ${SCHEMA}.agents set last_seen = now() where id = $1`, [agent]);
  }

  async stopAgent(agent: string, reason: string): Promise<void> {
    await this.pool.query(`update ${SCHEMA}.agents set stopped_at = now(), stop_reason = $2 where id = $1`, [
      agent,
      reason,
    ]);
  }

  /** The agents that have beaten within `aliveMs` and have not stopped. */
  async agents(aliveMs: number): Promise<AgentRow[]> {
    const { rows } = await this.pool.query(
      `select id, host, vms, (stopped_at is null and last_seen > now() - ($1::double precision * interval '1 millisecond')) as alive
       from ${SCHEMA}.agents`,
      [aliveMs],
    );
    return rows.map((r) => AgentRow.parse(r));
  }

  async startAttempt(a: {
    jobId: string;
    attempt: number;
    runId: string;
    scenario: string;
    agent: string;
    vm: string | null;
  }) {
    await this.pool.query(
      `insert into ${SCHEMA}.attempts (job_id, attempt, run_id, scenario, agent, vm) values ($1, $2, $3, $4, $5, $6)
       on conflict (job_id, attempt) do update set agent = $5, vm = $6, started_at = now(), finished_at = null, status = null, note = null`,
      [a.jobId, a.attempt, a.runId, a.scenario, a.agent, a.vm],
    );
  }

  async finishAttempt(
    jobId: string,
    attempt: number,
    status: string,
    note: string | null = null,
  ): Promise<void> {
    await this.pool.query(
      `update ${SCHEMA}.attempts set finished_at = now(), status = $3, note = $4 where job_id = $1 and attempt = $2`,
      [jobId, attempt, status, note],
    );
  }

  /** Attempts still open whose agent has not beaten within `deadMs`: their agent is gone. */
  async lostAttempts(
    runId: string,
    deadMs: number,
  ): Promise<Array<{ job_id: string; attempt: number; agent: string; scenario: string }>> {
    const { rows } = await this.pool.query(
      `select a.job_id::text as job_id, a.attempt, a.agent, a.scenario from ${SCHEMA}.attempts a join ${SCHEMA}.agents g on g.id = a.agent
       where a.run_id = $1 and a.finished_at is null
         and (g.stopped_at is not null or g.last_seen < now() - ($2::double precision * interval '1 millisecond'))`,
      [runId, deadMs],
    );
    return rows.map((r) =>
      z.object({ job_id: z.string(), attempt: z.number(), agent: z.string(), scenario: z.string() }).parse(r),
    );
  }

  /** Whether an attempt at this job is open (an agent said it began it and has not finished). */
  async hasOpenAttempt(jobId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `select 1 from ${SCHEMA}.attempts where job_id = $1 and finished_at is null limit 1`,
      [jobId],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Records a scenario's final outcome, unless it has one: returns whether this one counted. */
  async recordOutcome(o: Omit<Outcome, 'run_id'> & { runId: string }): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `insert into ${SCHEMA}.outcomes (run_id, scenario, job_id, attempt, agent, status, duration_ms, message)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (run_id, scenario) do nothing`,
      [o.runId, o.scenario, o.job_id, o.attempt, o.agent, o.status, o.duration_ms, o.message],
    );
    return rowCount === 1;
  }

  async outcomes(runId: string): Promise<Outcome[]> {
    const { rows } = await this.pool.query(
      `select run_id, scenario, job_id::text as job_id, attempt, agent, status, duration_ms, message
       from ${SCHEMA}.outcomes where run_id = $1 order by finished_at, scenario`,
      [runId],
    );
    return rows.map((r) => Outcome.parse(r));
  }

  async saveResultFiles(
    jobId: string,
    attempt: number,
    files: ReadonlyArray<{ name: string; content: Buffer }>,
  ) {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      for (const f of files) {
        await client.query(
          `insert into ${SCHEMA}.result_files (job_id, attempt, name, content) values ($1, $2, $3, $4)
           on conflict (job_id, attempt, name) do update set content = $4`,
          [jobId, attempt, f.name, f.content],
        );
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async resultFiles(jobId: string, attempt: number): Promise<Array<{ name: string; content: Buffer }>> {
    const { rows } = await this.pool.query(
      `select name, content from ${SCHEMA}.result_files where job_id = $1 and attempt = $2 order by name`,
      [jobId, attempt],
    );
    return rows.map((r) => ({ name: z.string().parse(r.name), content: r.content as Buffer }));
  }

  /** Median durations (ms) of each scenario's last ten passed or failed outcomes, for scheduling. */
  async history(): Promise<Map<string, number[]>> {
    const { rows } = await this.pool.query(
      `select scenario, array_agg(duration_ms order by finished_at desc) as durations from (
         select scenario, duration_ms, finished_at, row_number() over (partition by scenario order by finished_at desc) as n
         from ${SCHEMA}.outcomes where duration_ms is not null and status in ('passed', 'failed')
       ) recent where n <= 10 group by scenario`,
    );
    return new Map(
      rows.map((r) => [z.string().parse(r.scenario), z.array(z.coerce.number()).parse(r.durations)] as const),
    );
  }
}

/** A database that cannot be reached, as one sentence. */
export function unreachable(url: string, error: unknown): LabCompromisedError {
  const safe = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:«redacted»@');
  const why = error instanceof Error ? error.message : String(error);
  return new LabCompromisedError(
    `The fleet database at ${safe} could not be used (${why}); check that PostgreSQL runs there and that the URL's user may create tables.`,
    { cause: error },
  );
}
