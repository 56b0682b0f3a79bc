/** kd's logs stay bounded: a log folder keeps the newest few of finished sessions and every running one. */
import { deepEqual } from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pruneKdLogs } from './logs.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-kd-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the logs of gone processes are removed beyond the newest N; a running process's and other files stay", () => {
  // A pid no process has: above the largest Linux allows.
  const gone = 4194399;
  for (let i = 1; i <= 5; i += 1) {
    const file = join(dir, `kd-VM_win11-a-${gone}-${i}.log`);
    writeFileSync(file, `session ${i}\n`);
    utimesSync(file, i * 1000, i * 1000);
  }
  writeFileSync(join(dir, `kd-VM_win11-a-${process.pid}-1.log`), 'running\n');
  writeFileSync(join(dir, 'notes.txt'), 'not a log\n');
  deepEqual(pruneKdLogs(dir, 2).sort(), [
    `kd-VM_win11-a-${gone}-1.log`,
    `kd-VM_win11-a-${gone}-2.log`,
    `kd-VM_win11-a-${gone}-3.log`,
  ]);
  deepEqual(
    readdirSync(dir).sort(),
    [
      `kd-VM_win11-a-${gone}-4.log`,
      `kd-VM_win11-a-${gone}-5.log`,
      `kd-VM_win11-a-${process.pid}-1.log`,
      'notes.txt',
    ].sort(),
  );
});
