/**
 * The kernel debugger in the loop, end to end on the embedded lab: the real Hyper-V adapter (its
 * scripts, node-powershell, the embedded host process with its VMs and simulated kernels), the
 * debug link the host plugs into each VM whose BCD turns debugging on, the simulated kd started as
 * kd.exe would be, and the real KdSession reading it. Nothing here talks to the simulator directly:
 * the guest is configured with bcdedit, the key is the one bcdedit printed, crashes come from the
 * drivers' declared faults, and what kd prints is read with the project's parsers.
 */
import { strict as expect } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import {
  debuggerChildren,
  debugOverKdnet,
  installDriver,
  noProc,
  runInGuest,
} from '../../test/kits/kd/kd.testkit.js';
import { TRACK_NBL_OWNER } from '../../test/kits/sim/guest/guest.testkit.js';
import { composeLab } from '../compose.js';
import { loadLabFile } from '../config/lab-file.js';
import { claimKdnetPort } from '../endpoints.js';
import { LabCompromisedError } from '../errors.js';
import type { HypervLab } from '../hyperv/lab.js';
import { parsers } from '../parsers/index.js';
import { paths } from '../paths.js';
import { GuestCommandTimeoutError } from '../ports.js';
import { fetchNewestDump } from './dumps.js';
import { openDebugger, openDumpDebugger } from './open.js';
import type { KdEvent } from './port.js';
import type { KdSession } from './session.js';

/** Where win11-a's debugger listens in these tests (no other test uses it), and win11-b's pipe. */
/** win11-a's KDNET endpoint: a port this process holds, so a test run beside it never listens on it. */
const NET = { hostIp: '127.0.0.41', port: claimKdnetPort('127.0.0.41').port };
const PIPE = `driverlab-e2e-${process.pid}`;
const OVERRUN = ['C:\\Tools\\notmyfault64.exe', '/accepteula', '/crash', 'overrun'];
const ADAPTER = 'PCI\\VEN_1111&DEV_1111&SUBSYS_169D103C&REV_01\\4&2263a140&0&0010';

const labs: HypervLab[] = [];
const sessions: KdSession[] = [];
const dirs: string[] = [];
// A test that fails midway still leaves its port and its host process to the next one.
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(labs.splice(0).map((l) => l.close()));
});
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The embedded lab with win11-a debugging over KDNET at NET and win11-b over the COM pipe PIPE. */
/**
 * The embedded lab with win11-a on KDNET and win11-b on a COM pipe. `wallBudgetMs` replaces the
 * lab file's wall budget: how long a wait on the debugger may take in wall time before it counts as
 * a fault, which is also how long a debugger that never connects is waited for.
 */
async function openLab(wallBudgetMs?: number): Promise<HypervLab> {
  const file = await loadLabFile(paths.embeddedLab);
  if (file.data.kind !== 'embedded') throw new Error(`${paths.embeddedLab} is not an embedded lab`);
  const vms = file.data.vms.map((vm) => {
    if (vm.name === 'win11-a') return { ...vm, debug: { transport: 'net' as const, ...NET } };
    if (vm.name === 'win11-b')
      return { ...vm, debug: { transport: 'pipe' as const, name: PIPE, comPort: 1 as const } };
    return vm;
  });
  const clock =
    wallBudgetMs === undefined ? file.data.clock : { ...file.data.clock, wallBudget: wallBudgetMs };
  const lab = composeLab({ ...file, data: { ...file.data, vms, clock } });
  labs.push(lab);
  return lab;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'driverlab-kd-e2e-'));
  dirs.push(dir);
  return dir;
}

async function track(session: Promise<KdSession>): Promise<KdSession> {
  const kd = await session;
  sessions.push(kd);
  return kd;
}

/** Waits (bounded, wall time) until the session has seen an event of `kind` after `from`. */
async function seen(kd: KdSession, kind: KdEvent['kind'], from = 0): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (
      kd
        .events()
        .slice(from)
        .some((e) => e.kind === kind)
    )
      return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the debugger never reported '${kind}'; events: ${kd.events().map((e) => e.kind)}`);
}

describe('the kernel debugger on the embedded lab', () => {
  it('connects over KDNET with the key bcdedit printed, breaks in, runs commands and lets the target run on', async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-a');
    await vm.waitUntilReady();
    const key = await debugOverKdnet(vm, NET);
    const kd = await track(openDebugger(lab, vm, { key }));
    expect.equal(kd.state, 'running');
    const connected = kd.events().find((e) => e.kind === 'connected');
    expect.ok(connected?.kind === 'connected' && connected.build === 19041, 'kd names the target it reached');
    const reached = kd.events().find((e) => e.kind === 'target-reached');
    expect.ok(
      reached?.kind === 'target-reached' && reached.port === NET.port && reached.local === NET.hostIp,
    );

    const stop = await kd.breakIn();
    expect.equal(stop.kind, 'break');
    expect.match(stop.text, /^Break instruction exception - code 80000003 \(first chance\)$/m);
    expect.equal(kd.state, 'broken-in');
    const stack = parsers.stack.parse((await kd.execute('k')).output);
    expect.deepEqual([stack.frames[0]?.module, stack.frames[0]?.function], ['nt', 'DbgBreakPointWithStatus']);
    const modules = parsers.lm.parse((await kd.execute('lm')).output);
    expect.ok(
      modules.modules.some((m) => m.name === 'nt'),
      'lm lists the kernel',
    );

    await kd.go();
    expect.equal(kd.state, 'running');
    // The target runs again: the guest answers while the debugger stays attached.
    expect.equal((await runInGuest(vm, ['hostname'])).trim(), 'WIN11-A');
    expect.ok(!kd.transcript().includes(key), 'the key is redacted from the transcript');
    await kd.close();
    if (!noProc) expect.deepEqual(debuggerChildren(), []);
  });

  it('sees the special-pool bugcheck while the target runs; the VM waits for g, then dumps, reboots and comes back to the debugger', async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-a');
    await vm.waitUntilReady();
    await installDriver(lab, vm, 'myfault');
    await runInGuest(vm, ['verifier', '/flags', '1', '/driver', 'myfault.sys'], 2);
    const key = await debugOverKdnet(vm, NET);
    await runInGuest(vm, ['sc', 'start', 'myfault']);
    const since = new Date().toISOString();
    const kd = await track(openDebugger(lab, vm, { key }));

    // The overrun bugchecks the guest under the command: PowerShell Direct loses the guest.
    await expect.rejects(vm.guest.run(OVERRUN), LabCompromisedError);
    const stop = await kd.waitForStop();
    expect.ok(stop?.kind === 'bugcheck', `a bugcheck stop, not ${stop?.kind}`);
    expect.equal(stop.bugcheck.code, 0xd6);
    expect.equal(stop.bugcheck.args?.[1], '0x0000000000000001', 'a write');
    expect.equal(kd.state, 'bugchecked');
    const analysis = parsers.analyze.parse((await kd.execute('!analyze -v')).output);
    expect.equal(analysis.bugcheck.name, 'DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION');
    expect.equal(analysis.imageName, 'myfault.sys');
    expect.deepEqual(
      analysis.bugcheck.args.map((a) => (a === null ? null : BigInt(a))),
      (stop.bugcheck.args ?? []).map((a) => BigInt(a.replace(/`/g, ''))),
      '!analyze -v names the parameters kd announced',
    );
    const banner = parsers['bugcheck-banner'].parse((await kd.execute('.bugcheck')).output);
    expect.deepEqual(
      [banner.code, banner.args],
      [`0x${stop.bugcheck.code.toString(16)}`, stop.bugcheck.args?.map((a) => a.toLowerCase())],
      '.bugcheck repeats what kd announced',
    );

    // Stopped in the debugger, the VM waits: two minutes of lab time later it still has not rebooted.
    await lab.clock.sleep(120_000);
    const frozen = await vm.status();
    expect.deepEqual([frozen.state, frozen.heartbeat?.startsWith('Ok')], ['Running', false]);
    expect.equal(kd.state, 'bugchecked');

    // g: the guest writes its dump and reboots; the link drops and the debugger reconnects.
    const before = kd.events().length;
    await kd.go();
    await seen(kd, 'shutdown', before);
    await kd.waitUntilConnected();
    expect.equal(kd.state, 'running');
    expect.deepEqual(
      kd
        .events()
        .slice(before)
        .map((e) => e.kind)
        .filter((k) => ['resumed', 'shutdown', 'waiting', 'established', 'refresh'].includes(k)),
      // KDNET connects twice on a boot: a connect, the target's refresh, a second connect.
      ['resumed', 'shutdown', 'waiting', 'established', 'refresh', 'established'],
    );
    await vm.waitUntilReady();

    // The dump is fetched host-side and opened with kd -z: it is the bugcheck that produced it.
    const dump = await fetchNewestDump(vm.guest, tempDir(), { since });
    expect.equal(dump.guestPath, 'C:\\Windows\\MEMORY.DMP');
    expect.match(dump.report?.bugcheck ?? '', /^0x000000d6 \(/);
    const offline = await track(openDumpDebugger(lab, dump.hostPath));
    const fromDump = parsers.analyze.parse((await offline.execute('!analyze -v')).output);
    expect.deepEqual(fromDump.bugcheck, analysis.bugcheck);
    expect.equal(fromDump.imageName, 'myfault.sys');
    await offline.close();
    await kd.close();
  });

  it('with a wrong key never connects, and says which port and what to check', async () => {
    // A connection that never comes is waited for the whole wall budget (30 s in the lab file); 8 s
    // is still over ten times what a right key takes to connect on a loaded machine.
    const lab = await openLab(8_000);
    const vm = lab.vm('win11-a');
    await vm.waitUntilReady();
    const key = await debugOverKdnet(vm, NET);
    const wrong = key.split('.').reverse().join('.');
    await expect.rejects(openDebugger(lab, vm, { key: wrong }), (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.match(
        e.message,
        new RegExp(
          `^The kernel debugger never connected to VM 'win11-a' over KDNET on port ${NET.port} \\(host IP 127\\.0\\.0\\.41\\) within .+ \\(kd printed 'Waiting to reconnect\\.\\.\\.'\\); check the KDNET key, the port, the host firewall \\(inbound UDP ${NET.port}\\) and the guest's bcdedit /dbgsettings`,
        ),
      );
      expect.ok(!e.message.includes(wrong), 'the key stays out of the message');
      return true;
    });
    if (!noProc) expect.deepEqual(debuggerChildren(), []);
    // The right key still connects: nothing was left behind on the port.
    const kd = await track(openDebugger(lab, vm, { key }));
    expect.equal((await kd.breakIn()).kind, 'break');
    await kd.close();
  });

  it('survives kd killed with SIGKILL mid-command: a lab fault with a sentence, and the next session works', async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-a');
    await vm.waitUntilReady();
    const key = await debugOverKdnet(vm, NET);
    const first = await track(openDebugger(lab, vm, { key }));
    await first.breakIn();
    const pending = first.execute('!analyze -v');
    process.kill(first.pid ?? -1, 'SIGKILL');
    await expect.rejects(pending, (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.match(
        e.message,
        /^The kernel debugger of VM 'win11-a' \(pid \d+\) ended unexpectedly \(killed by SIGKILL\) while running '!analyze -v'; this debugger session is over and the next scenario starts a new one/,
      );
      return true;
    });
    expect.equal(first.state, 'disconnected');
    await first.close();
    if (!noProc) expect.deepEqual(debuggerChildren(), [], 'no debugger process outlives its session');

    // The target is still stopped where the first debugger left it: the next one gets a prompt.
    const second = await track(openDebugger(lab, vm, { key }));
    expect.equal((await second.waitForStop())?.kind, 'break');
    expect.equal(
      parsers.stack.parse((await second.execute('k')).output).frames[0]?.function,
      'DbgBreakPointWithStatus',
    );
    await second.go();
    expect.equal((await runInGuest(vm, ['hostname'])).trim(), 'WIN11-A');
    await second.close();
    if (!noProc) expect.deepEqual(debuggerChildren(), []);
  });

  it('breaks into the network hang of a PnP remove and shows who holds the locks and the NBLs', async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-a');
    await vm.waitUntilReady();
    await runInGuest(vm, TRACK_NBL_OWNER);
    await installDriver(lab, vm, 'myminiport');
    const key = await debugOverKdnet(vm, NET);
    const kd = await track(openDebugger(lab, vm, { key }));

    // The remove never completes: the guest-side limit gives up on pnputil, the PnP worker stays stuck.
    await expect.rejects(
      vm.guest.run(['pnputil', '/remove-device', ADAPTER], { timeoutMs: 30_000 }),
      GuestCommandTimeoutError,
    );
    const stop = await kd.breakIn();
    expect.equal(stop.kind, 'break');
    const locks = parsers.locks.parse((await kd.execute('!locks')).output);
    expect.ok(locks.resources.length >= 2, `the PnP locks are held: ${JSON.stringify(locks.resources)}`);
    const pending = parsers.pendingnbls.parse((await kd.execute('!ndiskd.pendingnbls')).output);
    expect.ok(pending.trackingEnabled && pending.rows.length > 0, 'NBLs are pending, their owners tracked');
    expect.ok(
      pending.rows.every((n) => /myminiport/i.test(n.holderName) || /My Ethernet/i.test(n.holderName)),
      `the miniport holds them: ${pending.rows[0]?.holderName}`,
    );
    await kd.go();
    await kd.close();
  });

  it('answers Driver Verifier’s question by policy, so the guest command never hangs on it', async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-a');
    await vm.waitUntilReady();
    await installDriver(lab, vm, 'capsquery');
    await runInGuest(vm, ['verifier', '/flags', '0x10', '/driver', 'capsquery.sys'], 2);
    // An automatic-start driver: it is loaded by the reboot that turns debugging on.
    const key = await debugOverKdnet(vm, NET);
    const answers: ('i' | 'b')[] = ['i', 'b'];
    const asked: string[] = [];
    const kd = await track(
      openDebugger(lab, vm, {
        key,
        verifierPolicy: (q) => {
          asked.push(q.text);
          return answers.shift() ?? 'i';
        },
      }),
    );
    const query = ['C:\\Tools\\devquery.exe', '/capabilities'];

    // Ignored: the target prints the error, asks, takes the answer and runs on; the command ends.
    await runInGuest(vm, query);
    expect.equal(kd.state, 'running');
    expect.match(
      asked[0] ?? '',
      /^WDM DRIVER ERROR: \[capsquery\.sys @ 0x[0-9A-F]{16}\] A PnP IRP was sent\n {18}with its status not initialized to STATUS_NOT_SUPPORTED\.\nBreak, Ignore, Zap, Remove, Disable all \(bizrd\)\? $/m,
    );

    // Break: the target stops in the debugger, the command waits until the target runs again (an
    // hour of lab time is room for the debugger's round trips at the embedded lab's clock factor).
    const second = vm.guest.run(query, { timeoutMs: 3_600_000 });
    const stop = await kd.waitForStop();
    expect.ok(stop?.kind === 'break', `a break, not ${stop?.kind}`);
    expect.match(stop.text, /^Breaking in\.\.\. \(press g<enter> to return to assert menu\)$/m);
    expect.equal(kd.state, 'broken-in');
    await kd.go();
    expect.equal((await second).exitCode, 0);
    expect.deepEqual(
      kd
        .events()
        .flatMap((e) => (e.kind === 'verifier-question' ? [[e.answer, e.question.choices.join('')]] : [])),
      [
        ['i', 'bizrd'],
        ['b', 'bizrd'],
      ],
    );
    await kd.close();

    // Without a debugger attached the non-fatal error is ignored: nothing waits.
    await runInGuest(vm, query);
  });

  it('reaches a VM whose COM port is a pipe (Set-VMComPort) with bcdedit /dbgsettings serial', async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-b');
    await vm.waitUntilReady();
    await vm.setComPipe(1, PIPE);
    await runInGuest(vm, ['bcdedit', '/dbgsettings', 'serial', 'debugport:1', 'baudrate:115200']);
    await runInGuest(vm, ['bcdedit', '/debug', 'on']);
    // The COM port takes effect at the next cold start.
    await vm.stop();
    await vm.start();
    const kd = await track(openDebugger(lab, vm));
    await vm.waitUntilReady();
    expect.equal((await kd.breakIn()).kind, 'break');
    expect.equal(
      parsers.stack.parse((await kd.execute('k')).output).frames[0]?.function,
      'DbgBreakPointWithStatus',
    );
    await kd.go();
    await kd.close();
  });
});

describe('a crash dump fetched host-side', () => {
  it('without event 1001 is the kernel dump CrashControl names', async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-b');
    await vm.waitUntilReady();
    await runInGuest(vm, [
      'reg',
      'add',
      'HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl',
      '/v',
      'LogEvent',
      '/t',
      'REG_DWORD',
      '/d',
      '0',
      '/f',
    ]);
    await vm.injectNmi();
    await vm.waitUntilReady({ timeoutMs: 300_000 });
    const dump = await fetchNewestDump(vm.guest, tempDir());
    expect.deepEqual([dump.guestPath, dump.report], ['C:\\Windows\\MEMORY.DMP', null]);
    const kd = await track(openDumpDebugger(lab, dump.hostPath));
    expect.equal(parsers.analyze.parse((await kd.execute('!analyze -v')).output).bugcheck.code, '0x80');
    await kd.close();
  });

  it('that was never written is a lab fault naming event 1001, CrashControl and the free space', async () => {
    const file = await loadLabFile(join(paths.root, 'lab', 'labs', 'embedded-faults.yaml'));
    const lab = composeLab(file);
    labs.push(lab);
    const vm = lab.vm('disk-full');
    await vm.waitUntilReady();
    await vm.injectNmi();
    await vm.waitUntilReady({ timeoutMs: 300_000 });
    await expect.rejects(fetchNewestDump(vm.guest, tempDir()), (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.match(
        e.message,
        /^No crash dump was written by the guest OS of VM 'disk-full' on host 'lab-01' \(event 1001 of \S+ reports bugcheck 0x00000080 \(.+\) and says "A dump was not saved\."\), so the bugcheck cannot be analysed; look at event 1001 in the guest's System log for why, check the dump settings under HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl \(CrashDumpEnabled, DumpFile, MinidumpDir\) and the free space on the system disk, which must hold the dump\.$/,
      );
      return true;
    });
  });
});
