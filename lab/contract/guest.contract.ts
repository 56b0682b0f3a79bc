/**
 * Lab contract: the guest OS through PowerShell Direct. Programs run with an argument array and
 * answer with stdout, stderr and exit code within a time limit; files go in and out; the event
 * log, the registry and the file system can be read and written.
 *
 * The programs used are in every Windows guest (cmd.exe, ping.exe); the embedded guest must answer
 * them as Windows does.
 */
import { strict as expect } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LabCompromisedError } from '../errors.js';
import { GuestCommandTimeoutError } from '../ports.js';
import { type LabUnderTest, openLabUnderTest, runningAndReady } from './lab-under-test.js';

const GUEST_DIR = 'C:\\driverlab-contract';
const KEY = 'HKLM\\SOFTWARE\\driverlab-contract';

let t: LabUnderTest;
let local: string;
before(async () => {
  t = await openLabUnderTest();
  local = mkdtempSync(join(tmpdir(), 'driverlab-contract-'));
  await runningAndReady(t.vm);
});
after(async () => {
  rmSync(local, { recursive: true, force: true });
  await t?.close();
});

describe('a guest command', () => {
  it('answers with its standard output and exit code 0', async () => {
    const r = await t.vm.guest.run(['cmd.exe', '/c', 'echo', 'driverlab-contract']);
    expect.equal(r.stdout.trim(), 'driverlab-contract');
    expect.equal(r.stderr, '');
    expect.equal(r.exitCode, 0);
    expect.deepEqual(r.command, ['cmd.exe', '/c', 'echo', 'driverlab-contract']);
  });

  it('keeps standard error apart and answers with its exit code', async () => {
    const r = await t.vm.guest.run(['cmd.exe', '/c', 'echo', 'driverlab-oops', '1>&2', '&', 'exit', '3']);
    expect.equal(r.stdout.trim(), '');
    expect.equal(r.stderr.trim(), 'driverlab-oops');
    expect.equal(r.exitCode, 3);
  });

  it('that runs past its time limit is stopped, and says what it printed', async () => {
    await expect.rejects(
      t.vm.guest.run(['ping.exe', '-n', '600', '127.0.0.1'], { timeoutMs: 5_000 }),
      (error: unknown) => {
        expect.ok(error instanceof GuestCommandTimeoutError);
        expect.match(
          error.message,
          /^'ping\.exe -n 600 127\.0\.0\.1' in the guest OS of VM '.+' on host '.+' did not finish within 5(\.0)? s and was stopped \(its last line: "Reply from 127\.0\.0\.1: bytes=32 time[<=]\d+ms TTL=\d+"\)/,
        );
        expect.deepEqual(error.partial.command, ['ping.exe', '-n', '600', '127.0.0.1']);
        // What ping printed before it was stopped: its header and the replies so far, no statistics.
        expect.match(error.partial.stdout, /^Pinging 127\.0\.0\.1 with 32 bytes of data:\r?$/m);
        expect.doesNotMatch(error.partial.stdout, /Ping statistics/);
        return true;
      },
    );
  });

  it('of a program the guest does not have is the lab’s fault with a sentence', async () => {
    await expect.rejects(t.vm.guest.run(['driverlab-no-such-program.exe']), (error: unknown) => {
      expect.ok(error instanceof LabCompromisedError);
      expect.match(error.message, /failed because the program is not in the guest/);
      return true;
    });
  });
});

describe('a file', () => {
  it('copied into the guest and back out is the same file', async () => {
    const original = join(local, 'in.bin');
    const content = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    writeFileSync(original, content);
    await t.vm.guest.copyIn(original, `${GUEST_DIR}\\copy\\in.bin`);
    const back = join(local, 'back', 'in.bin');
    await t.vm.guest.copyOut(`${GUEST_DIR}\\copy\\in.bin`, back);
    if (!t.vm.host.computerName.match(/^(localhost|\.|127\.0\.0\.1)$/i)) return; // the copy is on the remote host
    expect.deepEqual(readFileSync(back), content);
  });

  it('created by the thousand can be removed again, folder and all', async () => {
    const folder = `${GUEST_DIR}\\many`;
    expect.equal(await t.vm.guest.createFiles(folder, 1500), 1500);
    expect.equal(await t.vm.guest.remove(folder), true);
    expect.equal(await t.vm.guest.remove(folder), false);
  });
});

describe('the registry', () => {
  it('keeps a DWORD (unsigned) and a string written to it, and says when a value is missing', async () => {
    await t.vm.guest.setRegistryValue(KEY, 'Dword', 'DWord', 4294967295);
    await t.vm.guest.setRegistryValue(KEY, 'Text', 'String', 'driverlab ✓');
    expect.deepEqual(await t.vm.guest.registryValue(KEY, 'Dword'), {
      exists: true,
      type: 'DWord',
      value: 4294967295,
    });
    expect.deepEqual(await t.vm.guest.registryValue(KEY, 'Text'), {
      exists: true,
      type: 'String',
      value: 'driverlab ✓',
    });
    expect.deepEqual(await t.vm.guest.registryValue(KEY, 'Missing'), {
      exists: false,
      type: null,
      value: null,
    });
  });
});

describe('the event log', () => {
  it('answers a query with well-formed records, newest first, at most as many as asked for', async () => {
    const events = await t.vm.guest.events({ logName: 'System', maxEvents: 5 });
    expect.ok(events.length <= 5);
    for (const e of events) {
      expect.equal(e.logName, 'System');
      expect.ok(Number.isInteger(e.id) && e.id >= 0);
      expect.ok(e.provider.length > 0);
      expect.ok(['Critical', 'Error', 'Warning', 'Information', 'Verbose'].includes(e.level), e.level);
      expect.ok(!Number.isNaN(Date.parse(e.timeCreated)));
      expect.ok(e.binaryHex === null || /^([0-9a-f]{2})*$/.test(e.binaryHex));
    }
    const times = events.map((e) => Date.parse(e.timeCreated));
    expect.deepEqual(
      [...times].sort((a, b) => b - a),
      times,
    );
  });

  it('filters by event id', async () => {
    const events = await t.vm.guest.events({ logName: 'System', ids: [1001, 6005], maxEvents: 20 });
    expect.ok(events.every((e) => e.id === 1001 || e.id === 6005));
  });
});
