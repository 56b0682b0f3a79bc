import { strict as expect } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { endpointLockFile, heldEndpoints, lockEndpoints } from './lab-checks.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-lab-checks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const endpoint = { vm: 'win10-kdnet', hostIp: '192.168.50.1', port: 50_000 };
/** Where the other run was started: a folder of this test's own, not a path of any machine. */
const otherClone = join(dir, 'other-clone');

describe('the KDNET endpoints of a run', () => {
  it('a run takes them; a second run refuses with a sentence naming the holder and takes none', () => {
    // Held by a live process other than this one: this test's parent.
    writeFileSync(
      endpointLockFile(endpoint, dir),
      JSON.stringify({ pid: process.ppid, startedAt: '2026-12-07T05:00:00.000Z', cwd: otherClone }),
    );
    const second = lockEndpoints([endpoint, { ...endpoint, vm: 'win10-b', port: 50_001 }], dir);
    expect.deepEqual(second.refused, [
      `The KDNET endpoint 192.168.50.1:50000 of VM 'win10-kdnet' is held by another driverlab run (process ${process.ppid}, started 2026-12-07T05:00:00.000Z in '${otherClone}'), so this run would break its debugger; wait until that run ends, or run with a lab file that gives the VMs other ports.`,
    ]);
    expect.deepEqual(readdirSync(dir), [`driverlab-kdnet-192.168.50.1-50000.lock`], 'no lock kept');
    rmSync(endpointLockFile(endpoint, dir));
  });

  it('a dry run only says which are held: two dry runs of one lab never refuse each other', () => {
    const run = lockEndpoints([endpoint], dir);
    expect.deepEqual(run.refused, []);
    expect.deepEqual(heldEndpoints([endpoint], dir), [], "this process's own lock is not another run's");
    const before = readdirSync(dir);
    expect.deepEqual(heldEndpoints([{ ...endpoint, port: 50_001 }], dir), []);
    expect.deepEqual(readdirSync(dir), before, 'a dry run takes no lock');
    run.release();
    writeFileSync(
      endpointLockFile(endpoint, dir),
      JSON.stringify({ pid: process.ppid, startedAt: 'then', cwd: otherClone }),
    );
    expect.equal(heldEndpoints([endpoint], dir).length, 1, "another run's lock is named");
    rmSync(endpointLockFile(endpoint, dir));
  });
});
