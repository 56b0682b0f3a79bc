/**
 * The simulated VM: power state machine and refusals, checkpoints of the whole guest and its
 * kernel, heartbeat, reboots, and the VM's reactions to what its simulated kernel decides — on a
 * clock the test moves. The debug link is a recording test double: the real one is built in
 * lab/sim/kdnet, and what is under test here is the VM's side of that seam (when a link opens,
 * what it is told, what the target does to the VM).
 */
import { deepStrictEqual, equal, match, ok, rejects } from 'node:assert/strict';
import { describe, test } from 'node:test';
import { guestUnderTest, packageFiles, TRACK_NBL_OWNER } from '../../../test/kits/sim/guest/guest.testkit.js';
import { virtualClock } from '../../clock.js';
import type { LabFault } from '../../config/embedded.js';
import { readDump } from '../kernel/dump.js';
import type { DebugTarget, TargetEvent } from '../ports.js';
import type { DebugLink, DebugLinkFactory, EffectiveDebugSettings } from './debug-link.js';
import { SimulatedPowerShellError } from './errors.js';
import { SimTime } from './time.js';
import { DURATIONS, SimVm } from './vm.js';

/** A test double of the debug link: records what the VM opens and tells it. */
function links(attached: () => boolean) {
  const opened: { settings: EffectiveDebugSettings; target: DebugTarget }[] = [];
  const told: TargetEvent[] = [];
  const factory: DebugLinkFactory = {
    open: (vm, settings) => {
      opened.push({ settings, target: vm.target });
      const link: DebugLink = { attached, notify: (e) => told.push(e), close: () => {} };
      return link;
    },
  };
  return { factory, opened, told };
}

const CREDENTIAL = { user: 'Administrator', password: 'Embedded-Lab-Only-1' };

async function vmUnderTest(
  options: { faults?: LabFault[]; links?: DebugLinkFactory; diskFull?: boolean } = {},
) {
  const g = await guestUnderTest({ diskFull: options.diskFull ?? false });
  const clock = virtualClock();
  const persisted: number[] = [];
  const vm = new SimVm({
    name: 'win11-a',
    env: g.env,
    time: new SimTime(clock, Date.parse('2024-03-01T10:00:00Z')),
    faults: options.faults ?? [],
    accounts: [CREDENTIAL],
    timings: g.env.declaration.timings,
    ...(options.links ? { links: options.links } : {}),
    persist: async () => {
      persisted.push(clock.now());
    },
  });
  await vm.poweredOnAndBooted('baseline');
  const run = (file: string, ...args: string[]) => vm.invoke(CREDENTIAL, file, args);
  /** Copies a lab driver's package into C:\Drivers\<name> and installs it with pnputil. */
  const install = async (driver: string, inf = `${driver}.inf`) => {
    const folder = `C:\\Drivers\\${driver}`;
    for (const file of await packageFiles(driver))
      vm.guest.fs.writeFile(`${folder}\\${file.name}`, file.bytes, '');
    return run('pnputil', '/add-driver', `${folder}\\${inf}`, '/install');
  };
  /** A guest reboot (shutdown /r /t 0) until the guest is up again. */
  const reboot = async () => {
    await run('shutdown', '/r', '/t', '0');
    clock.advance(60_000);
    await vm.settle();
    equal(vm.heartbeat(), 'OkApplicationsHealthy');
  };
  return { vm, clock, run, install, reboot, persisted };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    ok(error instanceof SimulatedPowerShellError, String(error));
    return error.message;
  }
  throw new Error('the operation was not refused');
}

const STATE = 'The operation cannot be performed while the virtual machine is in its current state.';
const SESSION_ENDED =
  'An error has occurred which Windows PowerShell cannot handle. A remote session might have ended.';

describe('power state machine', () => {
  test('the VM starts running and booted, with its baseline checkpoint', async () => {
    const { vm } = await vmUnderTest();
    deepStrictEqual(await vm.status(), {
      power: 'Running',
      heartbeat: 'OkApplicationsHealthy',
      uptimeSeconds: 0,
    });
    deepStrictEqual(
      vm.checkpoints().map((c) => c.name),
      ['baseline'],
    );
  });

  test('off, start, boot: the heartbeat comes only once the guest has booted', async () => {
    const { vm, clock } = await vmUnderTest();
    await vm.stop(true);
    deepStrictEqual(await vm.status(), { power: 'Off', heartbeat: null, uptimeSeconds: 0 });
    await vm.start();
    equal(vm.heartbeat(), 'NoContact');
    await rejects(vm.probe(CREDENTIAL), { message: SESSION_ENDED });
    clock.advance(39_000);
    equal((await vm.status()).heartbeat, 'NoContact');
    clock.advance(1_000);
    equal((await vm.status()).heartbeat, 'OkApplicationsHealthy');
    ok((await vm.probe(CREDENTIAL)).bootTime);
  });

  test('Hyper-V’s refusals: transitions, restart of an off VM, start of a paused VM', async () => {
    const { vm } = await vmUnderTest();
    const starting = vm.stop(false);
    await new Promise((r) => setImmediate(r));
    equal(vm.state.power, 'Stopping');
    equal(await refusal(vm.start()), STATE);
    equal(await refusal(vm.checkpoint('during')), STATE);
    await starting;
    equal(vm.state.power, 'Off');
    equal(await refusal(vm.restart()), STATE);
    await vm.stop(true);
    equal(vm.state.power, 'Off', 'stopping an off VM leaves it off');
    await vm.start();
    await vm.pause();
    equal(vm.state.power, 'Paused');
    equal(await refusal(vm.start()), STATE);
    equal(await refusal(vm.stop(false)), STATE);
    await vm.resume();
    equal(vm.state.power, 'Running');
  });

  test('a graceful stop takes the guest’s shutdown time; turning off is at once and unclean', async () => {
    const { vm, clock } = await vmUnderTest();
    const t0 = clock.now();
    await vm.stop(false);
    equal(clock.now() - t0, 10_000);
    await vm.start();
    clock.advance(40_000);
    await vm.settle();
    const t1 = clock.now();
    await vm.stop(true);
    equal(clock.now(), t1);
    await vm.start();
    clock.advance(40_000);
    await vm.settle();
    deepStrictEqual(
      vm.guest.log.query({ logName: 'System', ids: [41] }).map((e) => e.provider),
      ['Microsoft-Windows-Kernel-Power'],
    );
  });

  test('a saved VM resumes where it was: the guest is still up, nothing reboots', async () => {
    const { vm, run } = await vmUnderTest();
    await run('bcdedit', '/set', '{current}', 'description', 'kept in memory');
    const bootTime = vm.state.guest.bootTime;
    await vm.save();
    deepStrictEqual(await vm.status(), {
      power: 'Saved',
      heartbeat: null,
      uptimeSeconds: vm.uptimeSeconds(),
    });
    equal(await refusal(vm.injectNmi()), 'Cannot inject a non-maskable interrupt into the virtual machine.');
    await vm.start();
    equal(vm.heartbeat(), 'OkApplicationsHealthy');
    equal(vm.state.guest.bootTime, bootTime);
  });

  test('an NMI is refused unless the VM runs; a running one bugchecks with 0x80', async () => {
    const { vm } = await vmUnderTest();
    await vm.stop(true);
    const kernel = () => vm.state.kernel;
    equal(kernel(), null, 'an off VM has no kernel');
    equal(await refusal(vm.injectNmi()), 'Cannot inject a non-maskable interrupt into the virtual machine.');
    await vm.start();
    await vm.injectNmi();
    deepStrictEqual([vm.state.phase, kernel()?.crash?.code], ['dumping', 0x80]);
  });
});

describe('reboots', () => {
  test('shutdown /r /t 0: the PS Direct session drops, the VM boots again with a new boot time', async () => {
    const { vm, clock, run } = await vmUnderTest();
    const before = (await vm.probe(CREDENTIAL)).bootTime;
    const r = await run('shutdown', '/r', '/t', '0');
    equal(r.exitCode, 0);
    await rejects(vm.probe(CREDENTIAL), { message: SESSION_ENDED });
    equal(vm.state.power, 'Running');
    equal(vm.heartbeat(), 'LostCommunication');
    clock.advance(10_000);
    await vm.settle();
    equal(vm.state.phase, 'booting');
    equal(vm.heartbeat(), 'NoContact');
    clock.advance(40_000);
    const after = (await vm.probe(CREDENTIAL)).bootTime;
    ok(after > before, `${after} after ${before}`);
    equal(vm.state.guest.bootCount, 2);
  });

  test('Restart-VM is a hard reset: a new boot at once, logged as unclean', async () => {
    const { vm, clock } = await vmUnderTest();
    await vm.restart();
    equal(vm.heartbeat(), 'NoContact');
    clock.advance(40_000);
    await vm.settle();
    equal(vm.heartbeat(), 'OkApplicationsHealthy');
    equal(vm.guest.log.query({ logName: 'System', ids: [41] }).length, 1);
  });

  test('each boot records the BCD debug settings and opens the debug link with them', async () => {
    const l = links(() => false);
    const { vm, clock, run } = await vmUnderTest({ links: l.factory });
    equal(vm.bootDebugSettings?.debug, false);
    equal(l.opened.length, 0);
    await run(
      'bcdedit',
      '/dbgsettings',
      'NET',
      'HOSTIP:127.0.0.11',
      'PORT:50011',
      'KEY:1.2.3.4',
      'busparams:0.25.0',
    );
    await run('bcdedit', '/debug', 'on');
    await run('bcdedit', '/set', 'loadoptions', 'NO_KDNIC');
    equal(vm.bootDebugSettings?.debug, false, 'BCD changes wait for the next boot');
    await run('shutdown', '/r', '/t', '0');
    clock.advance(10_000);
    await vm.settle();
    const s = vm.bootDebugSettings;
    deepStrictEqual(s && [s.debug, s.debugtype, s.hostip, s.port, s.key, s.busparams, s.loadoptions], [
      true,
      'NET',
      '127.0.0.11',
      50011,
      '1.2.3.4',
      '0.25.0',
      'NO_KDNIC',
    ]);
    equal(l.opened.length, 1);
    equal(l.opened[0]?.settings.port, 50011);
    deepStrictEqual(l.told, [], 'the link opened after the old OS went down');
  });
});

describe('checkpoints', () => {
  test('restoring the baseline brings back the whole guest: BCD, verifier, registry, files, drivers, filters, events', async () => {
    const { vm, run } = await vmUnderTest();
    const baseline = structuredClone(vm.state.guest);
    await run('bcdedit', '/dbgsettings', 'NET', 'HOSTIP:127.0.0.11', 'PORT:50011');
    await run('bcdedit', '/debug', 'on');
    await run('verifier', '/flags', '0x410', '/all');
    await run(...TRACK_NBL_OWNER);
    await vm.createItems(CREDENTIAL, 'C:\\Windows\\Microsoft.NET\\bloat', 20_000, 'f');
    await run('vssadmin', 'list', 'writers');
    vm.guest.fs.writeFile('C:\\Drivers\\x\\x.sys', Buffer.from('x'), '2024-03-01T10:00:00Z');
    await run('sc', 'create', 'x', 'type=', 'kernel', 'binPath=', 'C:\\Drivers\\x\\x.sys');
    await run('sc', 'start', 'x');
    ok(JSON.stringify(vm.state.guest) !== JSON.stringify(baseline));
    await vm.restore('baseline');
    deepStrictEqual(vm.state.guest, baseline);
    equal(
      (await vm.status()).heartbeat,
      'OkApplicationsHealthy',
      'a standard checkpoint of a running VM comes back running',
    );
    match((await run('vssadmin', 'list', 'writers')).stdout, /'System Writer'/);
  });

  test('the kernel state comes back with the checkpoint', async () => {
    const { vm, run } = await vmUnderTest();
    equal((await run('C:\\Tools\\commithog.exe', '7000')).exitCode, 0);
    await vm.checkpoint('after-commit');
    const kept = structuredClone(vm.state.kernel);
    equal(kept?.memory.pageFileCurrentMb, 4138, 'the page file grew for the commit (and the system reserve)');
    equal((await run('C:\\Tools\\commithog.exe', '20000')).exitCode, 1455);
    deepStrictEqual(vm.state.kernel?.memory.failures, [0, 1, 0, 0]);
    await vm.restore('after-commit');
    deepStrictEqual(vm.state.kernel?.memory, kept?.memory);
    deepStrictEqual(
      vm.state.kernel?.processes.map((p) => p.image),
      kept?.processes.map((p) => p.image),
    );
    equal((await run('C:\\Tools\\commithog.exe', '20000')).exitCode, 1455, 'the restored kernel goes on');
  });

  test('a checkpoint taken while off comes back off; the tree keeps parents; removal re-parents', async () => {
    const { vm } = await vmUnderTest();
    await vm.stop(true);
    const off = await vm.checkpoint('off');
    equal(vm.parentName(off), 'baseline');
    await vm.start();
    await vm.restore('off');
    equal(vm.state.power, 'Off');
    await vm.restore('baseline');
    equal(vm.state.power, 'Running');
    const child = await vm.checkpoint('child');
    equal(vm.parentName(child), 'baseline');
    await vm.removeCheckpoint('baseline');
    equal(vm.parentName(child), null);
    deepStrictEqual(
      vm.checkpoints().map((c) => c.name),
      ['off', 'child'],
    );
  });

  test('a checkpoint that is not there: Hyper-V’s text, for restore, remove and a named Get', async () => {
    const { vm } = await vmUnderTest();
    const text = 'Unable to find a snapshot matching the given criteria.';
    equal(await refusal(vm.restore('nope')), text);
    equal(await refusal(vm.removeCheckpoint('nope')), text);
    equal(await refusal(Promise.resolve().then(() => vm.checkpoints('nope'))), text);
    deepStrictEqual(
      vm.checkpoints('base*').map((c) => c.name),
      ['baseline'],
    );
  });

  test('a restore takes the guest’s restore time; a guest command its command time', async () => {
    const { vm, clock, run } = await vmUnderTest();
    let t = clock.now();
    await vm.restore('baseline');
    equal(clock.now() - t, 8_000);
    t = clock.now();
    await run('bcdedit', '/enum');
    equal(clock.now() - t, 300);
    t = clock.now();
    await vm.checkpoint('c');
    equal(clock.now() - t, DURATIONS.checkpoint);
  });
});

describe('kernel outcomes', () => {
  const OVERRUN = ['C:\\Tools\\notmyfault64.exe', '/accepteula', '/crash', 'overrun'] as const;

  test('special pool catches the overrun: the session ends, MEMORY.DMP and a minidump are written from the kernel, the VM reboots, 41 and 1001 name the bugcheck', async () => {
    const { vm, clock, run, install, reboot } = await vmUnderTest();
    await install('myfault');
    equal((await run('verifier', '/flags', '1', '/driver', 'myfault.sys')).exitCode, 2);
    await reboot();
    equal((await run('sc', 'start', 'myfault')).exitCode, 0);
    await rejects(run(...OVERRUN), { message: SESSION_ENDED });
    equal(vm.state.phase, 'dumping');
    equal(vm.heartbeat(), 'LostCommunication');
    await rejects(vm.probe(CREDENTIAL), { message: SESSION_ENDED });
    const crash = vm.state.kernel?.crash;
    equal(crash?.code, 0xd6);
    clock.advance(DURATIONS.dump + 40_000);
    await vm.settle();
    equal(vm.heartbeat(), 'OkApplicationsHealthy');
    equal(vm.state.kernel?.crash, null, 'the new boot has a new kernel');
    const dump = readDump(Buffer.from(vm.guest.fs.readFile('C:\\Windows\\MEMORY.DMP')), 'MEMORY.DMP');
    deepStrictEqual([dump.kind, dump.state.crash], ['kernel', crash]);
    match(dump.state.crash?.rule ?? '', /special-pool/);
    const minidumps = vm.guest.fs.list('C:\\Windows\\Minidump');
    equal(minidumps.length, 1);
    match(minidumps[0]?.name ?? '', /^\d{6}-\d{5}-01\.dmp$/);
    const [report] = vm.guest.log.query({ logName: 'System', ids: [1001] });
    equal(report?.provider, 'Microsoft-Windows-WER-SystemErrorReporting');
    const args = (crash?.args ?? []).map((a) => `0x${a}`).join(', ');
    equal(
      report?.message.replace(/\s+/g, ' '),
      `The computer has rebooted from a bugcheck. The bugcheck was: 0x000000d6 (${args}). A dump was saved in: C:\\Windows\\MEMORY.DMP. Report Id: ${report?.properties[2]}.`,
    );
    deepStrictEqual(report?.properties.slice(0, 2), [`0x000000d6 (${args})`, 'C:\\Windows\\MEMORY.DMP']);
    const [power] = vm.guest.log.query({ logName: 'System', ids: [41] });
    equal(power?.properties[0], String(0xd6));
  });

  test('disk full: no dump is written and 1001 says so', async () => {
    const { vm, clock } = await vmUnderTest({ diskFull: true });
    await vm.injectNmi();
    clock.advance(DURATIONS.dump + 40_000);
    await vm.settle();
    ok(!vm.guest.fs.exists('C:\\Windows\\MEMORY.DMP'));
    equal(vm.guest.fs.list('C:\\Windows\\Minidump').length, 0);
    const [report] = vm.guest.log.query({ logName: 'System', ids: [1001] });
    match(report?.message ?? '', /The bugcheck was: 0x00000080 \(0x00000000004f4454, /);
    match(report?.message ?? '', /A dump was not saved\./);
    equal(report?.properties[1], '');
  });

  test('with a debugger attached the target stops in the bugcheck and answers from the kernel; `g` lets it write the dump and reboot', async () => {
    const l = links(() => true);
    const { vm, clock, run, reboot } = await vmUnderTest({ links: l.factory });
    await run('bcdedit', '/debug', 'on');
    await reboot();
    const target = l.opened[0]?.target as DebugTarget;
    await vm.injectNmi();
    ok(target.isStopped());
    const told = l.told.at(-1);
    equal(told?.kind, 'bugcheck');
    match(
      told && 'text' in told ? told.text : '',
      /^\*\*\* Fatal System Error: 0x00000080\n {23}\(0x00000000004F4454,/m,
    );
    match(await target.execute('!analyze -v'), /^NMI_HARDWARE_FAILURE \(80\)$/m);
    clock.advance(600_000);
    await vm.settle();
    equal(vm.state.phase, 'frozen', 'a stopped target waits for the debugger, however long');
    ok(!vm.guest.fs.exists('C:\\Windows\\MEMORY.DMP'));
    await target.resume();
    equal(vm.state.phase, 'dumping');
    equal(target.isStopped(), false);
    const dump = readDump(Buffer.from(vm.guest.fs.readFile('C:\\Windows\\MEMORY.DMP')));
    equal(dump.state.crash?.code, 0x80);
    equal(
      dump.uptimeSeconds,
      50,
      'the guest had booted 50 s before the crash (not counting the wait for `g`)',
    );
    clock.advance(DURATIONS.dump + 40_000);
    await vm.settle();
    equal(vm.heartbeat(), 'OkApplicationsHealthy');
    const events = () => l.told.map((e) => (e.kind === 'going-down' ? `going-down ${e.reason}` : e.kind));
    deepStrictEqual(events(), ['bugcheck', 'going-down bugcheck-reboot']);
    equal(l.opened.length, 2, 'a new link for every boot with debugging on');
    await reboot();
    deepStrictEqual(events().slice(2), ['going-down reboot'], 'a guest reboot is told once');
    await vm.stop(true);
    deepStrictEqual(events().slice(3), ['going-down power-off']);
  });

  test('a break-in stops the target and the kernel clock; `g` lets both go on where they were', async () => {
    const l = links(() => true);
    const { vm, clock, run } = await vmUnderTest({ links: l.factory });
    await run('bcdedit', '/debug', 'on');
    await run('shutdown', '/r', '/t', '0');
    clock.advance(20_000);
    await vm.settle();
    const target = l.opened[0]?.target as DebugTarget;
    match(await target.breakIn(), /^Break instruction exception - code 80000003 \(first chance\)$/m);
    const tick = vm.kernelState()?.tick ?? 0;
    clock.advance(600_000);
    await vm.settle();
    equal(vm.state.phase, 'frozen');
    equal(vm.kernelState()?.tick, tick, 'no time passes for a kernel stopped in the debugger');
    match(await target.execute('k'), /nt!DbgBreakPointWithStatus$/m);
    await target.resume();
    equal(vm.state.phase, 'booting');
    clock.advance(30_000);
    await vm.settle();
    equal(vm.heartbeat(), 'OkApplicationsHealthy');
    equal(vm.state.kernel?.tick, tick, 'looking at the VM does not move the kernel');
    await target.breakIn();
    equal(vm.state.kernel?.tick, tick + Math.round(30_000 / 15.6001), 'the next look at the kernel does');
  });

  test('`.crash` from the debugger is a 0xE2 the VM takes without telling the debugger twice', async () => {
    const l = links(() => true);
    const { vm, clock, run, reboot } = await vmUnderTest({ links: l.factory });
    await run('bcdedit', '/debug', 'on');
    await reboot();
    const target = l.opened[0]?.target as DebugTarget;
    await target.breakIn();
    const told = l.told.length;
    match(await target.execute('.crash'), /^\*\*\* Fatal System Error: 0x000000e2$/m);
    equal(l.told.length, told);
    equal(vm.state.phase, 'frozen');
    await target.execute('g');
    clock.advance(DURATIONS.dump + 40_000);
    await vm.settle();
    const [report] = vm.guest.log.query({ logName: 'System', ids: [1001] });
    match(report?.message ?? '', /The bugcheck was: 0x000000e2 \(0x0000000000000000, /);
  });

  test('a hang: that guest command never completes, its thread ages; PnP-bound tools hang too, others answer; a restore clears it', async () => {
    const { vm, clock, run, install, persisted } = await vmUnderTest();
    await install('myminiport');
    const timeout = (ms: number) => new Promise((r) => setTimeout(() => r('still running'), ms));
    const remove = run(
      'pnputil',
      '/remove-device',
      'PCI\\VEN_1111&DEV_1111&SUBSYS_169D103C&REV_01\\4&2263a140&0&0010',
    );
    equal(await Promise.race([remove, timeout(50)]), 'still running');
    ok(persisted.length > 0, 'the VM is saved before the command hangs');
    match(vm.state.hang?.what ?? '', /waits for 1854 NBLs the miniport never returns/);
    const hung = vm.state.kernel?.hang?.thread as string;
    const ticks = () => {
      const kernel = vm.kernelState();
      const thread = kernel?.threads.find((t) => t.address === hung);
      return (kernel?.tick ?? 0) - (thread?.waitStartTick ?? 0);
    };
    const before = ticks();
    clock.advance(300_000);
    await vm.settle();
    ok(ticks() - before >= Math.floor(300_000 / 15.6001), `the wait aged ${ticks() - before} ticks`);
    equal(await Promise.race([run('sc', 'query', 'MyMiniPortDriver'), timeout(50)]), 'still running');
    equal((await run('bcdedit', '/enum')).exitCode, 0);
    await vm.restore('baseline');
    equal(vm.state.kernel?.hang, null);
    equal((await run('sc', 'query', 'MyMiniPortDriver')).exitCode, 1060);
  });

  test('the kernel boots with the facts of each boot and loads the boot drivers in load order', async () => {
    const { vm, run, reboot } = await vmUnderTest();
    await run('verifier', '/flags', '0x410', '/all');
    await run(...TRACK_NBL_OWNER);
    const first = vm.state.kernel;
    deepStrictEqual(first && [first.boot.verifier.flags, first.boot.bootCount], [0, 1]);
    await reboot();
    const k = vm.state.kernel;
    deepStrictEqual(k && [k.boot.verifier, k.boot.trackNblOwner, k.boot.diskFull, k.boot.bootCount], [
      { flags: 0x410, drivers: 'all' },
      1,
      false,
      2,
    ]);
    // FileInfo (FSFilter Bottom, boot start) before luafv (FSFilter Virtualization, auto start).
    deepStrictEqual(
      k?.drivers.map((d) => d.service),
      ['FileInfo', 'luafv'],
    );
  });

  test('a boot driver that bugchecks takes the boot down: dump, reboot, and the same again', async () => {
    const { vm, clock, run, install } = await vmUnderTest();
    await install('baddriver');
    await run('verifier', '/flags', '0x410', '/all');
    // baddriver starts automatically; its image-load callback meets the next process start.
    await run('shutdown', '/r', '/t', '0');
    clock.advance(10_000 + 40_000);
    await vm.settle();
    equal(vm.heartbeat(), 'OkApplicationsHealthy');
    await rejects(run('hostname'), { message: SESSION_ENDED });
    equal(vm.state.kernel?.crash?.code, 0x0a);
    equal(vm.state.kernel?.irpLog.length, 3, 'verifier 0x410 logged the IRPs');
  });
});

describe('lab faults in the model', () => {
  test('heartbeat-never: the guest is up, the heartbeat says NoContact', async () => {
    const { vm } = await vmUnderTest({ faults: [{ kind: 'heartbeat-never' }] });
    equal(vm.heartbeat(), 'NoContact');
    ok(await vm.probe(CREDENTIAL));
  });

  test('slow-boot: a boot takes the fault’s time', async () => {
    const { vm, clock } = await vmUnderTest({ faults: [{ kind: 'slow-boot', boot: 600_000 }] });
    await vm.restart();
    clock.advance(599_000);
    equal((await vm.status()).heartbeat, 'NoContact');
    clock.advance(1_000);
    equal((await vm.status()).heartbeat, 'OkApplicationsHealthy');
  });

  test('psdirect-credential-refused: every PowerShell Direct call says the credential is invalid', async () => {
    const { vm, run } = await vmUnderTest({ faults: [{ kind: 'psdirect-credential-refused' }] });
    equal(await refusal(run('bcdedit')), 'The credential is invalid.');
    equal(await refusal(vm.probe(CREDENTIAL)), 'The credential is invalid.');
  });

  test('a wrong password is refused the same way', async () => {
    const { vm } = await vmUnderTest();
    equal(
      await refusal(vm.probe({ user: 'Administrator', password: 'wrong' })),
      'The credential is invalid.',
    );
    ok(await vm.probe({ user: '.\\Administrator', password: CREDENTIAL.password }));
  });
});
