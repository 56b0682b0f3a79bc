/**
 * The seed cases end to end on the embedded lab: the guest steps a scenario takes, the outcome the
 * simulated kernel decides for them, and what the lab then shows — event 1001 with the real stop
 * code and parameters after the reboot, the crash dump copied to the host and opened the way
 * `kd -z` opens it, a guest command that never completes, commit failures counted by the seed's
 * rule. Nothing here tells the kernel what to do: each case sets the lab up for its outcome
 * (driver packages with their declared faults, verifier settings, registry values).
 *
 * Every case runs twice: in process, through the operation handlers the host process answers
 * with (there the test can also read the kernel state a debugger would see), and through the real
 * adapter (HypervLab → node-powershell → the host process), skipped with the reason while the
 * adapter has no script for an operation the case needs.
 */
import { deepStrictEqual, equal, match, ok, rejects } from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  adapterVm,
  inProcessVm,
  type LabVm,
  missingScripts,
} from '../../../test/kits/sim/host/host.testkit.js';
import { loadLabFile, resolveLabPath } from '../../config/lab-file.js';
import type { OperationName } from '../../hyperv/ops/operations.js';
import { paths } from '../../paths.js';
import { openDumpTarget, readDump } from '../kernel/dump.js';
import { restoreKernel } from '../kernel/index.js';

const FAULTS_LAB = join(paths.root, 'lab', 'labs', 'embedded-faults.yaml');
const TRIGGER = ['C:\\Tools\\notmyfault64.exe', '/accepteula', '/crash', 'overrun'];
const ADAPTER = 'PCI\\VEN_1111&DEV_1111&SUBSYS_169D103C&REV_01\\4&2263a140&0&0010';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'driverlab-seed-'));
  dirs.push(dir);
  return dir;
}

/** Copies a lab driver's package into C:\Drivers\<name> and installs it with pnputil. */
async function install(vm: LabVm, driver: string): Promise<void> {
  const lab = await loadLabFile(paths.embeddedLab);
  const entry = lab.data.drivers.find((d) => d.name === driver);
  if (!entry?.inf) throw new Error(`the embedded lab has no driver package '${driver}'`);
  const folder = resolveLabPath(lab, entry.package);
  for (const file of readdirSync(folder))
    await vm.copyIn(join(folder, file), `C:\\Drivers\\${driver}\\${file}`);
  const r = await vm.run(['pnputil', '/add-driver', `C:\\Drivers\\${driver}\\${entry.inf}`, '/install']);
  equal(r.exitCode, 0, r.stdout);
}

/** The guest goes away under a command: a bugcheck ended the PowerShell Direct session. */
async function sessionEnds(command: Promise<unknown>): Promise<void> {
  await rejects(command, /remote session might have ended|PowerShell Direct could not reach the guest/);
}

/** Event 1001 of the last bugcheck, its insertion strings read back. */
async function bugcheckReport(vm: LabVm) {
  const [report] = await vm.events('System', [1001]);
  ok(report, 'event 1001 was logged after the reboot');
  equal(report.provider, 'Microsoft-Windows-WER-SystemErrorReporting');
  const m = /^(0x[0-9a-f]{8}) \((.*)\)$/.exec(report.properties[0] ?? '');
  ok(m, `the bugcheck insertion string: ${report.properties[0]}`);
  return {
    code: m[1],
    args: (m[2] ?? '').split(', '),
    dumpPath: report.properties[1],
    message: report.message,
  };
}

/** MEMORY.DMP copied to the host as a scenario fetches it, opened as `kd -z` opens it. */
async function fetchDump(vm: LabVm) {
  const path = join(tempDir(), 'MEMORY.DMP');
  await vm.copyOut('C:\\Windows\\MEMORY.DMP', path);
  return { content: readDump(readFileSync(path), path), target: await openDumpTarget(path) };
}

/** What a debugger attached to the running VM would print (in process: from the VM's kernel state). */
function debuggerView(vm: LabVm, command: string): string | null {
  const state = vm.kernel?.();
  return state ? restoreKernel(structuredClone(state)).render(command) : null;
}

interface SeedCase {
  name: string;
  lab?: string;
  vm?: string;
  /** The operations the case sends through the adapter. */
  ops: OperationName[];
  steps(vm: LabVm): Promise<void>;
}

const GUEST_OPS: OperationName[] = [
  'Copy-VMFile',
  'Invoke-GuestCommand',
  'Test-VMPowerShellDirect',
  'Get-VMHeartbeat',
  'Get-VM',
];
const CRASH_OPS: OperationName[] = [...GUEST_OPS, 'Get-GuestEvents', 'Copy-GuestFileToHost'];

const CASES: SeedCase[] = [
  {
    name: 'special pool on myfault.sys: the overrun stops at once with 0xD6; 1001 and the dump name myfault.sys',
    ops: CRASH_OPS,
    async steps(vm) {
      await install(vm, 'myfault');
      equal((await vm.run(['verifier', '/flags', '1', '/driver', 'myfault.sys'])).exitCode, 2);
      await vm.reboot();
      equal((await vm.run(['sc', 'start', 'myfault'])).exitCode, 0);
      await sessionEnds(vm.run(TRIGGER));
      await vm.waitUntilReady();
      const report = await bugcheckReport(vm);
      equal(report.code, '0x000000d6');
      equal(report.dumpPath, 'C:\\Windows\\MEMORY.DMP');
      const dump = await fetchDump(vm);
      deepStrictEqual(
        report.args,
        (dump.content.state.crash?.args ?? []).map((a) => `0x${a}`),
        '1001 carries the parameters the kernel raised',
      );
      equal(report.args[1], '0x0000000000000001', 'a write');
      const analysis = await dump.target.execute('!analyze -v');
      match(analysis, /^DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION \(d6\)$/m);
      match(analysis, new RegExp(`^Arg1: ${report.args[0]?.slice(2)}, `, 'm'));
      match(analysis, /^IMAGE_NAME: {2}myfault\.sys$/m);
      match(await dump.target.execute(`!pool ${report.args[0]?.slice(2)}`), /special pool/i);
    },
  },
  {
    name: 'the same overrun without special pool: silent, then a later 0x3B in ExAllocatePoolWithTag with the pattern in rax',
    ops: CRASH_OPS,
    async steps(vm) {
      await install(vm, 'myfault');
      equal((await vm.run(['sc', 'start', 'myfault'])).exitCode, 0);
      equal((await vm.run(TRIGGER)).exitCode, 0, 'the overrun goes unnoticed');
      // The next process start allocates pool and meets the overwritten header.
      await sessionEnds(vm.run(['hostname']));
      await vm.waitUntilReady();
      const report = await bugcheckReport(vm);
      deepStrictEqual([report.code, report.args[0]], ['0x0000003b', '0x00000000c0000005']);
      const dump = await fetchDump(vm);
      const analysis = await dump.target.execute('!analyze -v');
      match(analysis, /^SYSTEM_SERVICE_EXCEPTION \(3b\)$/m);
      match(analysis, /^FAILURE_BUCKET_ID: {2}AV_nt!ExAllocatePoolWithTag$/m);
      await dump.target.execute(`.cxr ${report.args[2]}`);
      match(await dump.target.execute('r'), /^rax=4f4f4f4f4f4f4f4f /m);
    },
  },
  {
    name: 'verifier /flags 0x410 /all + baddriver: the next process start bugchecks 0xA, with the IRP log in the dump',
    ops: CRASH_OPS,
    async steps(vm) {
      equal((await vm.run(['verifier', '/flags', '0x410', '/all'])).exitCode, 2);
      await vm.reboot();
      await install(vm, 'baddriver');
      equal((await vm.run(['sc', 'start', 'baddriver'])).exitCode, 0);
      await sessionEnds(vm.run(['hostname']));
      await vm.waitUntilReady();
      const report = await bugcheckReport(vm);
      equal(report.code, '0x0000000a');
      const dump = await fetchDump(vm);
      match(await dump.target.execute('!analyze -v'), /^IRQL_NOT_LESS_OR_EQUAL \(a\)$/m);
      const log = await dump.target.execute('!verifier 100');
      const entries = log.split('\n').filter((l) => l.startsWith('IRP '));
      equal(entries.length, 3);
      for (const entry of entries)
        match(entry, /, IRQL = 0, KernelApcDisable = -\d+, SpecialApcDisable = -1$/);
      match(log, / baddriver \+0x[0-9a-f]+$/m);
    },
  },
  {
    name: 'the fixed baddriver under the same verifier settings: processes start, nothing bugchecks',
    ops: [...GUEST_OPS, 'Get-GuestEvents'],
    async steps(vm) {
      equal((await vm.run(['verifier', '/flags', '0x410', '/all'])).exitCode, 2);
      await vm.reboot();
      await install(vm, 'baddriver-fixed');
      equal((await vm.run(['sc', 'start', 'baddriver'])).exitCode, 0);
      const r = await vm.run(['hostname']);
      deepStrictEqual([r.exitCode, r.stdout.trim()], [0, 'WIN11-A']);
      deepStrictEqual(await vm.events('System', [1001]), []);
      if (vm.kernel) equal(vm.kernel()?.crash, null);
    },
  },
  {
    name: 'TrackNblOwner 1 + a PnP remove of the leaking miniport: the remove never completes; the holder is in the kernel',
    ops: [...GUEST_OPS],
    async steps(vm) {
      const key = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters';
      equal(
        (await vm.run(['reg', 'add', key, '/v', 'TrackNblOwner', '/t', 'REG_DWORD', '/d', '1', '/f']))
          .exitCode,
        0,
      );
      await vm.reboot();
      await install(vm, 'myminiport');
      const remove: { exitCode: number } | Error = await vm
        .run(['pnputil', '/remove-device', ADAPTER], { timeoutMs: 60_000 })
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      // Given up on at its time limit: exit code -1 from the guest's runner, or a lab error saying so.
      ok(
        remove instanceof Error
          ? /within|time limit|timed out/i.test(remove.message)
          : remove.exitCode === -1,
        `the remove did not complete: ${remove instanceof Error ? remove.message : JSON.stringify(remove)}`,
      );
      equal((await vm.run(['bcdedit', '/enum'])).exitCode, 0, 'what does not wait on PnP still answers');
      const pending = debuggerView(vm, '!ndiskd.pendingnbls');
      if (pending !== null) {
        match(
          pending,
          /^ {4}[0-9a-f]{16} {3}[0-9a-f]{16} - My Ethernet 1Gb 4-port Adapter {2}\[Miniport\]$/m,
        );
        match(
          debuggerView(vm, '!locks') ?? '',
          /Resource @ nt!PiEngineLock \(0x[0-9a-f]+\) {4}Exclusively owned/,
        );
      }
    },
  },
  {
    name: 'the commit-hungry tool: refused commits counted by the seed rule, in [1] once the page file grew to its maximum',
    ops: [...GUEST_OPS],
    async steps(vm) {
      // 4 GB RAM and a page file of 4 GB growing to 6 GB: 12,000 MB never fits.
      const first = await vm.run(['C:\\Tools\\commithog.exe', '12000']);
      const second = await vm.run(['C:\\Tools\\commithog.exe', '12000']);
      deepStrictEqual([first.exitCode, second.exitCode], [1455, 1455]);
      match(first.stdout, /commit limit 10240 MB: 4096 MB RAM \+ 6144 MB page file/);
      const dc = debuggerView(vm, 'dc nt!MiChargeCommitmentFailures L4');
      if (dc !== null) {
        match(dc, / 00000000 00000002 00000000 00000000 /);
        match(debuggerView(vm, '!vm 1') ?? '', /^ {6}\*{10} 2 commit requests have failed {2}\*{10}$/m);
      }
    },
  },
  {
    name: 'an NMI: 0x80, and the dump analyses as NMI_HARDWARE_FAILURE',
    ops: [...CRASH_OPS, 'Debug-VM'],
    async steps(vm) {
      await vm.injectNmi();
      await vm.waitUntilReady();
      const report = await bugcheckReport(vm);
      deepStrictEqual([report.code, report.args[0]], ['0x00000080', '0x00000000004f4454']);
      const dump = await fetchDump(vm);
      match(await dump.target.execute('!analyze -v'), /^NMI_HARDWARE_FAILURE \(80\)$/m);
      equal(dump.content.kind, 'kernel');
    },
  },
  {
    name: 'disk full: the bugcheck writes no dump, and 1001 says a dump was not saved',
    lab: FAULTS_LAB,
    vm: 'disk-full',
    ops: [...CRASH_OPS, 'Debug-VM'],
    async steps(vm) {
      await vm.injectNmi();
      await vm.waitUntilReady();
      const report = await bugcheckReport(vm);
      equal(report.code, '0x00000080');
      equal(report.dumpPath, '');
      match(report.message.replace(/\s+/g, ' '), /\. A dump was not saved\. Report Id: /);
      await rejects(fetchDump(vm), /Cannot find path 'C:\\Windows\\MEMORY\.DMP' because it does not exist/);
    },
  },
];

describe('seed cases on the embedded host, in process', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const vm = await inProcessVm(c.lab ?? paths.embeddedLab, c.vm ?? 'win11-a');
      await c.steps(vm);
    });
  }
});

describe('seed cases through the adapter', () => {
  for (const c of CASES) {
    test(c.name, { skip: missingScripts(...c.ops) }, async () => {
      const vm = await adapterVm(c.lab ?? paths.embeddedLab, c.vm ?? 'win11-a');
      try {
        await c.steps(vm);
      } finally {
        await vm.close();
      }
    });
  }
});
