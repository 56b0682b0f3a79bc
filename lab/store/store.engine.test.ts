/**
 * The run store on a PostgreSQL server (`--db URL`): the same schema and queries as the embedded
 * PGlite store. The server comes from DRIVERLAB_PG_URL (.ci/engines/postgres.sh start prints it);
 * without one the tier says so in one line, and fails under CI=true.
 */
import { deepStrictEqual, equal } from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { RunRecord } from '../gate/record.js';
import { RunStore } from './store.js';

const url = process.env.DRIVERLAB_PG_URL || null;
if (url === null) {
  const how =
    'the PostgreSQL tier of the run store did not run: DRIVERLAB_PG_URL is not set (run bash .ci/engines/postgres.sh install && bash .ci/engines/postgres.sh start)';
  if (process.env.CI === 'true') throw new Error(how);
  console.log(how);
}

function run(key: string, finishedAt: string, status: 'passed' | 'failed', bucket: string): RunRecord {
  return {
    key,
    startedAt: null,
    finishedAt,
    profile: 'nightly',
    lab: 'embedded',
    tags: null,
    complete: true,
    interrupted: false,
    featuresCommit: 'abc1234',
    labCommit: null,
    executor: null,
    scenarios: [
      {
        historyId: 'h1',
        title: 'Crashes › wrong',
        feature: 'Crashes',
        scenario: 'wrong',
        epic: 'Verifier',
        location: 'features/verifier/x.feature:3',
        tags: ['@gating'],
        drivers: ['myfault.sys'],
        status,
        flaky: false,
        message: null,
        durationMs: 10,
        vm: 'win11-a',
        attempts: [
          { attempt: 1, uuid: `${key}-a`, status, vm: 'win11-a', start: 1, stop: 11, message: null, bucket },
        ],
        crash: { bucket, bugcheck: '0xD6' },
      },
    ],
  };
}

describe('the run store on PostgreSQL', { skip: url === null, timeout: 60_000 }, () => {
  test('opened by several processes at the same moment, it is made once', async () => {
    // PostgreSQL's "create schema if not exists" races with itself: each open runs in a database
    // of its own here, so the race is the one this test makes.
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: url as string });
    await admin.connect();
    const database = `driverlab_store_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    await admin.query(`create database ${database}`);
    const at = new URL(url as string);
    at.pathname = `/${database}`;
    try {
      const opened = await Promise.allSettled(
        Array.from({ length: 8 }, () => RunStore.open({ url: at.toString(), dir: 'unused' })),
      );
      const refused = opened.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
      for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
      deepStrictEqual(refused, []);
      const check = new pg.Client({ connectionString: at.toString() });
      await check.connect();
      const { rows } = await check.query('select version from driverlab_store.driverlab_schema');
      await check.end();
      deepStrictEqual(rows, [{ version: 1 }]);
    } finally {
      await admin.query(`drop database if exists ${database} with (force)`).catch(() => {});
      await admin.end();
    }
  });

  test('the same schema: runs recorded once, buckets across runs, failing buckets per run', async () => {
    const store = await RunStore.open({ url: url as string, dir: 'unused' });
    const tag = randomUUID().slice(0, 8);
    try {
      const id = await store.record(run(`${tag}-1`, '2026-12-01T00:00:00.000Z', 'failed', `B-${tag}`));
      equal(await store.record(run(`${tag}-1`, '2026-12-01T00:00:00.000Z', 'failed', `B-${tag}`)), id);
      await store.record(run(`${tag}-2`, '2026-12-02T00:00:00.000Z', 'passed', `B-${tag}`));
      const bucket = (await store.buckets()).find((b) => b.id === `B-${tag}`);
      deepStrictEqual(
        { count: bucket?.count, unexpected: bucket?.unexpected, drivers: bucket?.drivers },
        { count: 2, unexpected: 1, drivers: ['myfault.sys'] },
      );
      const runs = (await store.runs()).filter((r) => r.key.startsWith(tag));
      deepStrictEqual(
        runs.map((r) => [r.key, r.failingBuckets]),
        [
          [`${tag}-2`, []],
          [`${tag}-1`, [`B-${tag}`]],
        ],
      );
    } finally {
      await store.close();
    }
  });
});
