/**
 * The run store: every run, its scenarios and their attempts, the VMs that ran them and the crash
 * buckets they met, kept across runs for `driverlab buckets` and the release gate. One schema
 * (schema.ts), two engines: PGlite, PostgreSQL compiled to WebAssembly and run in-process on a
 * folder under reports/ (the default; nothing to install), or a PostgreSQL server named by a URL.
 * See docs/adr/0009-run-store-and-release-gate.md.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigurationError, LabCompromisedError } from '../errors.js';
import type { RunRecord } from '../gate/record.js';
import { waitForLock } from '../util/lock.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';

/** What the store needs of a database: parameterised queries and a transaction. */
export interface Sql {
  query<T>(text: string, params?: readonly unknown[]): Promise<T[]>;
  exec(text: string): Promise<void>;
  transaction<T>(work: (tx: Pick<Sql, 'query'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** A PostgreSQL URL (`postgres://…`); without one, the embedded PGlite folder. */
  url?: string | undefined;
  /** The embedded store's folder (default reports/run-store). */
  dir: string;
  /** How many runs to keep; older ones (and their scenarios, attempts, crashes) go. Default 500. */
  keepRuns?: number | undefined;
  /** Wall ms to wait while another process holds the embedded store (default STORE_WAIT_MS). */
  waitMs?: number | undefined;
}

export const DEFAULT_KEEP_RUNS = 500;

/**
 * How long a process waits for another to let go of the embedded store (wall ms): recording a run
 * and judging it takes seconds, so a wait this long means the other process hangs.
 */
export const STORE_WAIT_MS = 120_000;

async function pglite(dir: string, waitMs: number): Promise<Sql> {
  await mkdir(dirname(dir), { recursive: true });
  // PGlite is one process's database: a second process opening the folder at once could corrupt
  // it, so the folder is held through a lock file beside it for as long as it is open.
  const lock = await waitForLock(`${dir}.lock`, {
    waitMs,
    what: `The run store '${dir}'`,
  });
  let db: import('@electric-sql/pglite').PGlite;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    db = new PGlite(dir);
    await db.waitReady;
  } catch (error) {
    lock.release();
    throw error;
  }
  const sql: Sql = {
    query: async <T>(text: string, params?: readonly unknown[]) =>
      (await db.query<T>(text, params ? [...params] : undefined)).rows,
    exec: async (text) => {
      await db.exec(text);
    },
    transaction: async (work) =>
      db.transaction(async (tx) =>
        work({
          query: async <T>(text: string, params?: readonly unknown[]) =>
            (await tx.query<T>(text, params ? [...params] : undefined)).rows,
        }),
      ),
    close: async () => {
      try {
        await db.close();
      } finally {
        lock.release();
      }
    },
  };
  return sql;
}

async function postgres(url: string): Promise<Sql> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new LabCompromisedError(
      `The run store at '${redactUrl(url)}' could not be reached (${error instanceof Error ? error.message : String(error)}); check that PostgreSQL runs there and the URL's user may connect, or leave out --db to use the embedded store.`,
      { cause: error },
    );
  }
  const query = async <T>(text: string, params?: readonly unknown[]) =>
    (await client.query(text, params ? [...params] : undefined)).rows as T[];
  return {
    query,
    exec: async (text) => {
      await client.query(text);
    },
    transaction: async (work) => {
      await client.query('begin');
      try {
        const out = await work({ query });
        await client.query('commit');
        return out;
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
    close: async () => {
      await client.end();
    },
  };
}

/** A URL with its password taken out, for messages. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:«redacted»@');
}

export interface BucketSummary {
  id: string;
  bugcheck: string | null;
  firstSeen: string;
  lastSeen: string;
  /** Crashes in this bucket across the kept runs. */
  count: number;
  /** How many of them a scenario did not expect (its attempt was not passed). */
  unexpected: number;
  scenarios: string[];
  drivers: string[];
}

export interface StoredRun {
  id: number;
  key: string;
  finishedAt: string;
  profile: string;
  complete: boolean;
  /** The buckets of crashes no scenario expected: the run's product failures that crashed. */
  failingBuckets: string[];
}

export class RunStore {
  private constructor(
    private readonly sql: Sql,
    private readonly keepRuns: number,
  ) {}

  /** Opens (and creates, or brings up to date) the store. */
  static async open(options: StoreOptions): Promise<RunStore> {
    if (options.url !== undefined && !/^postgres(ql)?:\/\//.test(options.url)) {
      throw new ConfigurationError(
        `The run store URL '${redactUrl(options.url)}' is not a PostgreSQL URL; give --db as postgres://user@host/database, or leave it out to use the embedded store.`,
      );
    }
    const sql = options.url
      ? await postgres(options.url)
      : await pglite(options.dir, options.waitMs ?? STORE_WAIT_MS);
    const store = new RunStore(sql, options.keepRuns ?? DEFAULT_KEEP_RUNS);
    try {
      await store.migrate();
    } catch (error) {
      await sql.close();
      if (error instanceof ConfigurationError) throw error;
      const where = options.url ? `at '${redactUrl(options.url)}'` : `'${options.dir}'`;
      throw new LabCompromisedError(
        `The run store ${where} could not be set up (${error instanceof Error ? error.message : String(error)}); check that ${options.url ? "the URL's user may create a schema and tables in that database" : 'the folder is the run store of this driverlab and not damaged'}, or give another store.`,
        { cause: error },
      );
    }
    return store;
  }

  private async migrate(): Promise<void> {
    await this.sql.exec(SCHEMA);
    const [row] = await this.sql.query<{ version: number }>(
      'select max(version) as version from driverlab_schema',
    );
    const version = row?.version ?? null;
    if (version !== null && version > SCHEMA_VERSION) {
      throw new ConfigurationError(
        `The run store has schema version ${version}, newer than this driverlab's ${SCHEMA_VERSION}; use a newer driverlab with it, or another store.`,
      );
    }
  }

  async close(): Promise<void> {
    await this.sql.close();
  }

  /** Records a run (once: the same results recorded again are the same run) and returns its id. */
  async record(run: RunRecord): Promise<number> {
    const existing = await this.sql.query<{ id: number }>('select id from runs where key = $1', [run.key]);
    if (existing[0]) return Number(existing[0].id);
    const count = (s: string) => run.scenarios.filter((x) => x.status === s).length;
    const id = await this.sql.transaction(async (tx) => {
      const [inserted] = await tx.query<{ id: number }>(
        `insert into runs (key, started_at, finished_at, profile, lab, tags, complete, interrupted,
           features_commit, lab_commit, executor, total, passed, failed, broken, skipped)
         values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) returning id`,
        [
          run.key,
          run.startedAt,
          run.finishedAt,
          run.profile,
          run.lab,
          run.tags,
          run.complete,
          run.interrupted,
          run.featuresCommit,
          run.labCommit,
          run.executor ? JSON.stringify(run.executor) : null,
          run.scenarios.length,
          count('passed'),
          count('failed'),
          count('broken'),
          count('skipped'),
        ],
      );
      const runId = Number(inserted?.id);
      const vmIds = new Map<string, number>();
      const vmId = async (name: string | null): Promise<number | null> => {
        if (name === null) return null;
        const known = vmIds.get(name);
        if (known !== undefined) return known;
        const [row] = await tx.query<{ id: number }>(
          `insert into vms (lab, name) values ($1, $2)
           on conflict (lab, name) do update set name = excluded.name returning id`,
          [run.lab, name],
        );
        vmIds.set(name, Number(row?.id));
        return Number(row?.id);
      };
      for (const s of run.scenarios) {
        const [scenarioRow] = await tx.query<{ id: number }>(
          `insert into scenario_results (run_id, history_id, title, feature, scenario, epic, location, tags,
             drivers, status, flaky, message, duration_ms, vm_id)
           values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) returning id`,
          [
            runId,
            s.historyId,
            s.title,
            s.feature,
            s.scenario,
            s.epic,
            s.location,
            s.tags,
            s.drivers,
            s.status,
            s.flaky,
            s.message,
            s.durationMs,
            await vmId(s.vm),
          ],
        );
        for (const a of s.attempts) {
          const [attemptRow] = await tx.query<{ id: number }>(
            `insert into attempts (scenario_result_id, attempt, result_uuid, status, vm_id, started_at, stopped_at, message)
             values ($1,$2,$3,$4,$5,$6,$7,$8) returning id`,
            [
              Number(scenarioRow?.id),
              a.attempt,
              a.uuid,
              a.status,
              await vmId(a.vm),
              a.start === null ? null : new Date(a.start).toISOString(),
              a.stop === null ? null : new Date(a.stop).toISOString(),
              a.message,
            ],
          );
          if (a.bucket === null) continue;
          const bugcheck = a.attempt === s.attempts.length ? (s.crash?.bugcheck ?? null) : null;
          await tx.query(
            `insert into buckets (id, bugcheck) values ($1, $2)
             on conflict (id) do update set bugcheck = coalesce(buckets.bugcheck, excluded.bugcheck)`,
            [a.bucket, bugcheck],
          );
          await tx.query('insert into crashes (attempt_id, bucket_id, expected) values ($1, $2, $3)', [
            Number(attemptRow?.id),
            a.bucket,
            a.status === 'passed',
          ]);
        }
      }
      return runId;
    });
    await this.applyRetention();
    return id;
  }

  /** Keeps the newest `keepRuns` runs; their crashes' buckets stay while any crash refers to them. */
  private async applyRetention(): Promise<void> {
    await this.sql.query(
      `delete from runs where id in (select id from runs order by finished_at desc, id desc offset $1)`,
      [this.keepRuns],
    );
    await this.sql.query('delete from buckets where id not in (select distinct bucket_id from crashes)');
  }

  /** The kept runs, newest first, with the buckets of their unexpected crashes. */
  async runs(): Promise<StoredRun[]> {
    const rows = await this.sql.query<{
      id: number;
      key: string;
      finished_at: Date | string;
      profile: string;
      complete: boolean;
      failing: string[] | null;
    }>(
      `select r.id, r.key, r.finished_at, r.profile, r.complete,
         array_remove(array_agg(distinct c.bucket_id), null) as failing
       from runs r
       left join scenario_results s on s.run_id = r.id and s.status = 'failed'
       left join attempts a on a.scenario_result_id = s.id
       left join crashes c on c.attempt_id = a.id and not c.expected
       group by r.id order by r.finished_at desc, r.id desc`,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      key: r.key,
      finishedAt: new Date(r.finished_at).toISOString(),
      profile: r.profile,
      complete: r.complete,
      failingBuckets: r.failing ?? [],
    }));
  }

  /** Every bucket across the kept runs: first and last seen, count, scenarios, drivers. */
  async buckets(): Promise<BucketSummary[]> {
    const rows = await this.sql.query<{
      id: string;
      bugcheck: string | null;
      first_seen: Date | string;
      last_seen: Date | string;
      count: number | string;
      unexpected: number | string;
      scenarios: string[];
      drivers: string[] | null;
    }>(
      `select b.id, b.bugcheck, min(r.finished_at) as first_seen, max(r.finished_at) as last_seen,
         count(*) as count, count(*) filter (where not c.expected) as unexpected,
         array_agg(distinct s.title) as scenarios,
         (select array_agg(distinct d) from crashes c2
            join attempts a2 on a2.id = c2.attempt_id
            join scenario_results s2 on s2.id = a2.scenario_result_id, unnest(s2.drivers) as d
          where c2.bucket_id = b.id) as drivers
       from buckets b
       join crashes c on c.bucket_id = b.id
       join attempts a on a.id = c.attempt_id
       join scenario_results s on s.id = a.scenario_result_id
       join runs r on r.id = s.run_id
       group by b.id, b.bugcheck
       order by max(r.finished_at) desc, b.id`,
    );
    return rows.map((r) => ({
      id: r.id,
      bugcheck: r.bugcheck,
      firstSeen: new Date(r.first_seen).toISOString(),
      lastSeen: new Date(r.last_seen).toISOString(),
      count: Number(r.count),
      unexpected: Number(r.unexpected),
      scenarios: r.scenarios,
      drivers: r.drivers ?? [],
    }));
  }
}
