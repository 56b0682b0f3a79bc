/**
 * What a run leaves behind is bounded: reports/runs/ keeps the newest N run folders (and never the
 * running one's), and the private temp folder a run killed at once could not remove is removed by
 * the next run.
 */
import { deepEqual } from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { prunePastRuns, removeTempFoldersOfGoneRuns } from './run-files.js';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'driverlab-keep-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('past runs', () => {
  test('reports/runs keeps the newest N run folders, and the running one whatever its place', async () => {
    const runs = fresh();
    const names = ['20261201T010000Z-1', '20261202T010000Z-2', '20261203T010000Z-3', '20261204T010000Z-4'];
    for (const n of names) mkdirSync(join(runs, n));
    writeFileSync(join(runs, 'stray.txt'), 'not a run');
    deepEqual(await prunePastRuns(runs, 2, ['20261201T010000Z-1']), ['20261202T010000Z-2']);
    deepEqual(readdirSync(runs).sort(), [
      '20261201T010000Z-1',
      '20261203T010000Z-3',
      '20261204T010000Z-4',
      'stray.txt',
    ]);
  });

  test("the temp folder of a run whose process is gone is removed; a live run's and others are kept", async () => {
    const tmp = fresh();
    // A pid no process has: above the largest Linux allows.
    const gone = join(tmp, 'driverlab-run-4194399-abc123');
    const live = join(tmp, `driverlab-run-${process.ppid}-def456`);
    const other = join(tmp, 'driverlab-run-it-xyz');
    for (const d of [gone, live, other]) mkdirSync(d);
    writeFileSync(join(gone, 'lab-1-aa.json'), '{"key":"secret"}');
    await removeTempFoldersOfGoneRuns(tmp);
    deepEqual(readdirSync(tmp).sort(), [`driverlab-run-${process.ppid}-def456`, 'driverlab-run-it-xyz']);
  });
});
