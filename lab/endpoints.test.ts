import { strict as expect } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseLabFile } from './config/lab-file.js';
import {
  autoPortVms,
  chooseAutoPorts,
  chosenPortsFrom,
  claimKdnetPort,
  KDNET_PORT_RANGE,
  kdnetLockFile,
  kdnetPort,
  withChosenPorts,
} from './endpoints.js';
import { HarnessLogicError } from './errors.js';
import { paths } from './paths.js';
import { tryLock } from './util/lock.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-endpoints-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const embedded = parseLabFile(readFileSync(paths.embeddedLab, 'utf8'), paths.embeddedLab);

/** A process id that runs no process (far above any pid_max). */
const GONE = 2 ** 30 + 7;

describe('KDNET ports chosen free at the start', () => {
  it('the shipped embedded lab says auto for its VMs', () => {
    expect.deepEqual(
      autoPortVms(embedded).map((v) => v.name),
      ['win11-a', 'win11-b'],
    );
  });

  it('claims a port in the range KDNET allows, held by a lock file naming this process', () => {
    const claim = claimKdnetPort('127.0.0.11', dir);
    try {
      expect.ok(claim.port >= KDNET_PORT_RANGE.min && claim.port <= KDNET_PORT_RANGE.max, String(claim.port));
      const file = kdnetLockFile({ hostIp: '127.0.0.11', port: claim.port }, dir);
      expect.equal((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
      const again = tryLock(file);
      expect.equal(again.held, false, 'a held port is never claimed twice');
    } finally {
      claim.lock.release();
    }
    expect.deepEqual(readdirSync(dir), [], 'released, the lock file is gone');
  });

  it('a lock another live process holds is refused with its owner; one left by a process that is gone is taken over', () => {
    const live = kdnetLockFile({ hostIp: '127.0.0.11', port: 50_100 }, dir);
    const left = kdnetLockFile({ hostIp: '127.0.0.11', port: 50_200 }, dir);
    writeFileSync(live, JSON.stringify({ pid: process.ppid, startedAt: 'then', cwd: '/elsewhere' }));
    writeFileSync(left, JSON.stringify({ pid: GONE, startedAt: 'then', cwd: '/elsewhere' }));
    const refused = tryLock(live);
    expect.deepEqual(refused, {
      held: false,
      owner: { pid: process.ppid, startedAt: 'then', cwd: '/elsewhere' },
    });
    const taken = tryLock(left);
    expect.equal(taken.held, true);
    expect.equal((JSON.parse(readFileSync(left, 'utf8')) as { pid: number }).pid, process.pid);
    if (taken.held) taken.lock.release();
    rmSync(live);
    expect.deepEqual(readdirSync(dir), []);
  });

  it('keeps the ports a run chose for its workers and chooses the others', () => {
    const chosen = chooseAutoPorts(embedded, { 'win11-a': 50_011 }, dir);
    try {
      expect.equal(chosen.ports['win11-a'], 50_011);
      const b = chosen.ports['win11-b'];
      expect.ok(b !== undefined && b !== 50_011);
      const settled = withChosenPorts(embedded, chosen.ports);
      expect.deepEqual(
        settled.data.vms.map((v) => kdnetPort(v)),
        [50_011, b],
      );
    } finally {
      chosen.release();
    }
  });

  it('reads the run’s choice from DRIVERLAB_KDNET_PORTS and refuses a malformed one', () => {
    expect.deepEqual(chosenPortsFrom({ DRIVERLAB_KDNET_PORTS: '{"win11-a":50011}' }), { 'win11-a': 50_011 });
    expect.deepEqual(chosenPortsFrom({}), {});
    expect.throws(
      () => chosenPortsFrom({ DRIVERLAB_KDNET_PORTS: '{"win11-a":80}' }),
      (e: unknown) =>
        e instanceof HarnessLogicError &&
        e.message.startsWith(
          'DRIVERLAB_KDNET_PORTS is not a JSON object of VM names and KDNET ports ({"win11-a":80});',
        ),
    );
  });
});
