import { deepStrictEqual, equal, match, ok, rejects } from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { RunRecord, ScenarioRecord } from '../gate/record.js';
import { LockWaitError } from '../util/lock.js';
import { RunStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function scenario(
  name: string,
  status: ScenarioRecord['status'],
  bucket: string | null,
  vm = 'win11-a',
): ScenarioRecord {
  return {
    historyId: name,
    title: `Crashes › ${name}`,
    feature: 'Crashes',
    scenario: name,
    epic: 'Verifier',
    location: `features/verifier/x.feature:${name.length}`,
    tags: ['@gating'],
    drivers: ['myfault.sys'],
    status,
    flaky: false,
    message: status === 'passed' ? null : 'AssertionError: Expected …',
    durationMs: 1200,
    vm,
    attempts: [{ attempt: 1, uuid: `${name}-1`, status, vm, start: 1000, stop: 2200, message: null, bucket }],
    crash: bucket ? { bucket, bugcheck: '0xD6' } : null,
  };
}

function run(key: string, finishedAt: string, scenarios: ScenarioRecord[]): RunRecord {
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
    labCommit: 'def5678',
    executor: { name: 'CI', buildUrl: null },
    scenarios,
  };
}

describe('the run store on PGlite', { timeout: 60_000 }, () => {
  test('is opened by one holder at a time: a second waits, and past its wait says who holds it', async () => {
    const where = join(dir, 'held');
    const first = await RunStore.open({ dir: where });
    const waiting = RunStore.open({ dir: where, waitMs: 60_000 });
    await rejects(RunStore.open({ dir: where, waitMs: 200 }), (e: unknown) => {
      ok(e instanceof LockWaitError, 'a LockWaitError');
      match(
        e.message,
        new RegExp(
          `^The run store '${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is held by another driverlab process \\(process ${process.pid}, since .+\\), which did not let it go within 0.2 s \\(lock file '.+held\\.lock'\\); wait until that process ends, or end it, and try again\\.$`,
        ),
      );
      return true;
    });
    await first.record(run('h1', '2026-12-01T00:00:00.000Z', []));
    await first.close();
    const second = await waiting;
    try {
      deepStrictEqual(
        (await second.runs()).map((r) => r.key),
        ['h1'],
        'the second holder sees what the first recorded',
      );
    } finally {
      await second.close();
    }
  });

  test('records runs once, lists buckets across runs and keeps only the newest runs', async () => {
    const store = await RunStore.open({ dir: join(dir, 'store'), keepRuns: 2 });
    try {
      const first = await store.record(
        run('r1', '2026-12-01T00:00:00.000Z', [
          scenario('expects D6', 'passed', 'B1'),
          scenario('wrong', 'failed', 'B2'),
        ]),
      );
      equal(
        await store.record(run('r1', '2026-12-01T00:00:00.000Z', [])),
        first,
        'the same results are the same run',
      );
      await store.record(
        run('r2', '2026-12-02T00:00:00.000Z', [scenario('wrong', 'failed', 'B2', 'win11-b')]),
      );
      deepStrictEqual(
        (await store.runs()).map((r) => [r.key, r.failingBuckets]),
        [
          ['r2', ['B2']],
          ['r1', ['B2']],
        ],
      );
      const b2 = (await store.buckets()).find((b) => b.id === 'B2');
      deepStrictEqual(b2, {
        id: 'B2',
        bugcheck: '0xD6',
        firstSeen: '2026-12-01T00:00:00.000Z',
        lastSeen: '2026-12-02T00:00:00.000Z',
        count: 2,
        unexpected: 2,
        scenarios: ['Crashes › wrong'],
        drivers: ['myfault.sys'],
      });
      await store.record(run('r3', '2026-12-03T00:00:00.000Z', [scenario('clean', 'passed', null)]));
      deepStrictEqual(
        (await store.runs()).map((r) => r.key),
        ['r3', 'r2'],
      );
      deepStrictEqual(
        (await store.buckets()).map((b) => b.id),
        ['B2'],
        'the bucket only r1 met went with it',
      );
    } finally {
      await store.close();
    }
  });

  test('a URL that is not PostgreSQL is refused with a sentence', async () => {
    await rejects(RunStore.open({ dir: join(dir, 'x'), url: 'mysql://u:secret@h/db' }), {
      name: 'ConfigurationError',
      message:
        "The run store URL 'mysql://u:«redacted»@h/db' is not a PostgreSQL URL; give --db as postgres://user@host/database, or leave it out to use the embedded store.",
    });
  });

  test('a store whose tables cannot be set up is refused with a sentence that says why', async () => {
    // A folder PGlite opens, where the version table is something else: a view, which takes no row.
    const damaged = join(dir, 'damaged');
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(damaged);
    await db.exec(
      'create schema driverlab_store; create view driverlab_store.driverlab_schema as select 1 as version;',
    );
    await db.close();
    await rejects(RunStore.open({ dir: damaged, waitMs: 1000 }), (error: Error) => {
      equal(error.name, 'LabCompromisedError');
      equal(
        error.message,
        `The run store '${damaged}' could not be set up (cannot insert into view "driverlab_schema"); check that the folder is the run store of this driverlab and not damaged, or give another store.`,
      );
      return true;
    });
  });
});
