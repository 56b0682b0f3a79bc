/**
 * The embedded lab through the real adapter: HypervLab (lab/hyperv/lab.ts) starts the bundled
 * host process through node-powershell and runs every operation against it, and each lab
 * fault of lab/labs/embedded-faults.yaml ends in a lab-compromised error that says what broke,
 * where and what to check, after which the next operation works.
 *
 * An operation whose script (lab/hyperv/ops/scripts/<op>.ps1) is not in this tree cannot be sent
 * by the adapter at all; its test is skipped with that reason until the script lands.
 */
import { deepStrictEqual, equal, match, ok, rejects } from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { missingScripts } from '../../../test/kits/sim/host/host.testkit.js';
import { composeLab } from '../../compose.js';
import { loadLabFile } from '../../config/lab-file.js';
import { LabCompromisedError } from '../../errors.js';
import type { HypervLab, HypervVm } from '../../hyperv/lab.js';
import { type OperationName, operationNames } from '../../hyperv/ops/operations.js';
import { classifyHostError, type PsError } from '../../hyperv/reply.js';
import { paths } from '../../paths.js';
import { openDumpTarget } from '../kernel/dump.js';
import { SimulatedPowerShellError } from '../model/errors.js';
import { SimHost } from '../model/host.js';
import { handle } from './handlers.js';

const FAULTS_LAB = join(paths.root, 'lab', 'labs', 'embedded-faults.yaml');
const opened: HypervLab[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(opened.map((l) => l.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const missing = missingScripts;

async function openLab(file = paths.embeddedLab): Promise<HypervLab> {
  const lab = composeLab(await loadLabFile(file));
  opened.push(lab);
  return lab;
}

async function sentence(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    ok(
      error instanceof LabCompromisedError,
      `${error instanceof Error ? error.name : typeof error}: ${String(error)}`,
    );
    return error.message;
  }
  throw new Error('no error was raised');
}

describe('every operation, through the adapter', () => {
  test('the operations are covered: each has a handler that answers its result shape', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    const host = await SimHost.open({ lab, statePath: null });
    const credential = { user: 'Administrator', password: 'Embedded-Lab-Only-1' };
    const hostFile = join(mkdtempSync(join(tmpdir(), 'driverlab-ops-')), 'in.txt');
    dirs.push(join(hostFile, '..'));
    await import('node:fs/promises').then((fs) => fs.writeFile(hostFile, 'hello from the host'));
    const params: Record<OperationName, unknown> = {
      'Get-VM': { vmName: 'win11-a' },
      'Start-VM': { vmName: 'win11-a' },
      'Stop-VM': { vmName: 'win11-b', turnOff: true },
      'Restart-VM': { vmName: 'win11-a' },
      'Checkpoint-VM': { vmName: 'win11-b', checkpointName: 'mine' },
      'Get-VMCheckpoint': { vmName: 'win11-b' },
      'Restore-VMCheckpoint': { vmName: 'win11-b', checkpointName: 'baseline' },
      'Remove-VMCheckpoint': { vmName: 'win11-b', checkpointName: 'mine' },
      'Get-VMHeartbeat': { vmName: 'win11-b' },
      'Get-VMComPort': { vmName: 'win11-b' },
      'Get-VMIntegrationService': { vmName: 'win11-b' },
      'Test-VMPowerShellDirect': { vmName: 'win11-b', credential },
      'Wait-VMPowerShellDirect': {
        vmName: 'win11-b',
        credential,
        timeoutSeconds: 120,
        pollMilliseconds: 1000,
        minimumLooks: 3,
        credentialRefusals: 3,
      },
      'Invoke-GuestCommand': {
        vmName: 'win11-b',
        credential,
        file: 'bcdedit',
        arguments: ['/dbgsettings'],
        timeoutSeconds: 60,
      },
      'Copy-VMFile': { vmName: 'win11-b', sourcePath: hostFile, destinationPath: 'C:\\Temp\\in.txt' },
      'Copy-GuestFileToHost': {
        vmName: 'win11-b',
        credential,
        guestPath: 'C:\\Temp\\in.txt',
        hostPath: `${hostFile}.back`,
      },
      'Set-VMComPort': { vmName: 'win11-b', number: 1, pipeName: 'win11-b_com1' },
      'Debug-VM': { vmName: 'win11-a' },
      'Get-VMNetworkAdapter': { vmName: 'win11-b' },
      'Get-GuestEvents': { vmName: 'win11-b', credential, logName: 'System' },
      'Get-GuestRegistryValue': {
        vmName: 'win11-b',
        credential,
        path: 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\CrashControl',
        valueName: 'CrashDumpEnabled',
      },
      'Set-GuestRegistryValue': {
        vmName: 'win11-b',
        credential,
        path: 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters',
        valueName: 'TrackNblOwner',
        type: 'DWord',
        value: 1,
      },
      'New-GuestItems': {
        vmName: 'win11-b',
        credential,
        directory: 'C:\\Windows\\Microsoft.NET\\x',
        count: 3,
      },
      'Remove-GuestItem': { vmName: 'win11-b', credential, path: 'C:\\Windows\\Microsoft.NET\\x' },
      'Get-HostInfo': {},
    };
    const { operations } = await import('../../hyperv/ops/operations.js');
    for (const name of operationNames) {
      const result = await handle(host, name, params[name]);
      const parsed = operations[name].result.safeParse(result);
      ok(parsed.success, `${name} answered ${JSON.stringify(result)}`);
    }
    equal(readFileSync(`${hostFile}.back`, 'utf8'), 'hello from the host');
  });

  test('Get-VM, Stop-VM, Start-VM and Get-VMHeartbeat', {
    skip: missing('Get-VM', 'Stop-VM', 'Start-VM', 'Get-VMHeartbeat'),
  }, async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-a');
    deepStrictEqual((({ name, state, heartbeat }) => ({ name, state, heartbeat }))(await vm.status()), {
      name: 'win11-a',
      state: 'Running',
      heartbeat: 'OkApplicationsHealthy',
    });
    equal((await vm.stop({ turnOff: true })).state, 'Off');
    const started = await vm.start();
    deepStrictEqual([started.state, started.heartbeat], ['Running', 'NoContact']);
    const ready = await vm.waitUntilReady({ timeoutMs: 60_000 }).catch((e: unknown) => e);
    // Readiness goes on to PowerShell Direct once the heartbeat is healthy.
    if (missing('Test-VMPowerShellDirect')) match(String(ready), /Test-VMPowerShellDirect/);
    else ok(!(ready instanceof Error), String(ready));
    equal((await vm.status()).heartbeat, 'OkApplicationsHealthy');
  });

  test('an unknown VM is a configuration error naming it', { skip: missing('Get-VM') }, async () => {
    const lab = await openLab();
    const host = (lab.vm('win11-a') as HypervVm).host;
    await rejects(host.run('Get-VM', { vmName: 'nosuch' }, "VM 'nosuch'"), {
      name: 'ConfigurationError',
      message:
        /^Get-VM on VM 'nosuch' failed because the host has no VM by that name \("Hyper-V was unable to find a virtual machine with name "nosuch""\); check the VM name in the lab file/,
    });
  });

  test('checkpoints, restore and the guest through PowerShell Direct', {
    skip: missing(
      'Checkpoint-VM',
      'Get-VMCheckpoint',
      'Restore-VMCheckpoint',
      'Remove-VMCheckpoint',
      'Invoke-GuestCommand',
      'Test-VMPowerShellDirect',
    ),
  }, async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-b');
    await vm.guest.run(['bcdedit', '/set', '{current}', 'description', 'changed']);
    await vm.checkpoint('changed');
    await vm.restore('baseline');
    match((await vm.guest.run(['bcdedit', '/enum', '{current}'])).stdout, /description {13}Windows 10/);
    deepStrictEqual(
      (await vm.checkpoints()).map((c) => [c.name, c.parent]),
      [
        ['baseline', null],
        ['changed', 'baseline'],
      ],
    );
    await vm.removeCheckpoint('changed');
    const reboot = await vm.guest.reboot({ timeoutMs: 300_000 });
    equal(reboot.heartbeat, 'OkApplicationsHealthy');
  });

  test('files in and out, registry, events, file counts, COM port, addresses, host info', {
    skip: missing(
      'Copy-VMFile',
      'Copy-GuestFileToHost',
      'Get-GuestRegistryValue',
      'Set-GuestRegistryValue',
      'Get-GuestEvents',
      'New-GuestItems',
      'Remove-GuestItem',
      'Set-VMComPort',
      'Get-VMNetworkAdapter',
    ),
  }, async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-a');
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-copy-'));
    dirs.push(dir);
    const source = join(paths.root, 'lab', 'labs', 'drivers', 'myfault', 'myfault.inf');
    await vm.guest.copyIn(source, 'C:\\Drivers\\myfault\\myfault.inf');
    await vm.guest.copyOut('C:\\Drivers\\myfault\\myfault.inf', join(dir, 'back.inf'));
    equal(readFileSync(join(dir, 'back.inf'), 'utf8'), readFileSync(source, 'utf8'));
    await vm.guest.setRegistryValue(
      'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters',
      'TrackNblOwner',
      'DWord',
      1,
    );
    deepStrictEqual(
      await vm.guest.registryValue(
        'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters',
        'TrackNblOwner',
      ),
      {
        exists: true,
        type: 'DWord',
        value: 1,
      },
    );
    equal(await vm.guest.createFiles('C:\\Windows\\Microsoft.NET\\bloat', 10_001), 10_001);
    await vm.guest.run(['vssadmin', 'list', 'writers']);
    equal((await vm.guest.events({ logName: 'Application', ids: [8193] })).length, 2);
    await vm.guest.remove('C:\\Windows\\Microsoft.NET\\bloat');
    // 1,001 folders break the System Writer as 10,001 files do; 1,000 do not.
    const writers = async () => (await vm.guest.run(['vssadmin', 'list', 'writers'])).stdout;
    equal(await vm.guest.createFolders('C:\\Windows\\Microsoft.NET\\bloat', 1_000), 1_000);
    ok((await writers()).includes("Writer name: 'System Writer'"), 'listed with 1,000 folders');
    equal(await vm.guest.createFolders('C:\\Windows\\Microsoft.NET\\bloat', 1_001), 1_001);
    ok(!(await writers()).includes("Writer name: 'System Writer'"), 'missing with 1,001 folders');
    await vm.guest.remove('C:\\Windows\\Microsoft.NET\\bloat');
    await vm.setComPipe(1, 'win11-a_com1');
    deepStrictEqual(await vm.addresses(), ['192.168.50.11', 'fe80::215:5dff:fe00:111']);
  });
});

describe('lab faults, through the adapter', () => {
  test('heartbeat-never: a broken readiness wait with a sentence, then the VM answers normally', {
    skip: missing('Get-VMHeartbeat', 'Get-VM'),
  }, async () => {
    const lab = await openLab(FAULTS_LAB);
    const vm = lab.vm('heartbeat-never');
    equal(
      await sentence(vm.waitUntilReady({ timeoutMs: 30_000 })),
      "VM 'heartbeat-never' on host 'lab-01' never reported a healthy heartbeat within 30 s (state Running, heartbeat NoContact); check that the guest boots and that the Heartbeat integration service runs on host and guest.",
    );
    equal((await vm.status()).state, 'Running');
  });

  test('slow-boot: the readiness wait gives up at its timeout with a sentence; the VM still answers', {
    skip: missing('Get-VMHeartbeat', 'Get-VM', 'Stop-VM', 'Start-VM'),
  }, async () => {
    const lab = await openLab(FAULTS_LAB);
    const vm = lab.vm('slow-boot');
    await vm.stop({ turnOff: true });
    await vm.start();
    equal(
      await sentence(vm.waitUntilReady({ timeoutMs: 120_000 })),
      "VM 'slow-boot' on host 'lab-01' never reported a healthy heartbeat within 2 min (state Running, heartbeat NoContact); check that the guest boots and that the Heartbeat integration service runs on host and guest.",
    );
    deepStrictEqual((({ state, heartbeat }) => ({ state, heartbeat }))(await vm.status()), {
      state: 'Running',
      heartbeat: 'NoContact',
    });
  });

  test('host-shell-dies: the operation fails with a sentence, the next one gets a new shell', {
    skip: missing('Get-VM'),
  }, async () => {
    const lab = await openLab(FAULTS_LAB);
    const vm = lab.vm('shell-dies');
    equal((await vm.status()).state, 'Running');
    equal(
      await sentence(vm.status()),
      "The PowerShell session for host 'lab-01' ended (exit code 1) while running Get-VM on VM 'shell-dies' on host 'lab-01'; the next operation starts a new shell, but check the host's PowerShell and its event log for why it died.",
    );
    equal((await vm.status()).state, 'Running');
    equal((await vm.status()).heartbeat, 'OkApplicationsHealthy');
  });

  test('psdirect-credential-refused: readiness fails on PowerShell Direct with a sentence', {
    skip: missing('Get-VMHeartbeat', 'Wait-VMPowerShellDirect', 'Get-VM'),
  }, async () => {
    const lab = await openLab(FAULTS_LAB);
    const vm = lab.vm('credential-refused');
    equal(
      (await sentence(vm.waitUntilReady({ timeoutMs: 30_000 }))).replace(
        /in \d+(\.\d+)? (ms|s|min)\)\.$/,
        'in <lab time>).',
      ),
      `Wait-VMPowerShellDirect on the guest OS of VM 'credential-refused' on host 'lab-01' failed because PowerShell Direct refused the guest credential ("The credential is invalid"); check the guest account and its password reference in the lab file, or whether the guest has finished booting (3 attempts in <lab time>).`,
    );
    equal((await vm.status()).state, 'Running');
  });

  test('checkpoint-missing: the restore fails with a sentence naming the checkpoint problem', {
    skip: missing('Restore-VMCheckpoint', 'Get-VM'),
  }, async () => {
    const lab = await openLab(FAULTS_LAB);
    const vm = lab.vm('checkpoint-missing');
    equal(
      await sentence(vm.restore('baseline')),
      `Restore-VMCheckpoint on VM 'checkpoint-missing' on host 'lab-01' failed because the checkpoint does not exist ("Unable to find a snapshot matching the given criteria"); create it on the host with Checkpoint-VM or fix the checkpoint name in the lab file.`,
    );
    equal((await vm.status()).state, 'Running');
  });

  test('disk-full: after a bugcheck no dump comes out, 1001 says so; the guest answers normally after', {
    skip: missing(
      'Debug-VM',
      'Get-GuestEvents',
      'Copy-GuestFileToHost',
      'Get-VMHeartbeat',
      'Test-VMPowerShellDirect',
    ),
  }, async () => {
    const lab = await openLab(FAULTS_LAB);
    const vm = lab.vm('disk-full');
    await vm.injectNmi();
    await vm.waitUntilReady({ timeoutMs: 300_000 });
    const [report] = await vm.guest.events({ logName: 'System', ids: [1001] });
    match(
      report?.message.replace(/\s+/g, ' ') ?? '',
      /The bugcheck was: 0x00000080 .* A dump was not saved\./,
    );
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-dump-'));
    dirs.push(dir);
    match(
      await sentence(vm.guest.copyOut('C:\\Windows\\MEMORY.DMP', join(dir, 'MEMORY.DMP'))),
      /failed because a path it needs does not exist \("Cannot find path 'C:\\Windows\\MEMORY\.DMP' because it does not exist"\); check the path/,
    );
    equal((await vm.guest.run(['hostname'])).stdout.trim(), 'DISK-FULL');
  });

  test('a dump the guest wrote comes out as a real host file', {
    skip: missing('Debug-VM', 'Copy-GuestFileToHost', 'Get-VMHeartbeat', 'Test-VMPowerShellDirect'),
  }, async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-a');
    await vm.injectNmi();
    await vm.waitUntilReady({ timeoutMs: 300_000 });
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-dump-'));
    dirs.push(dir);
    await vm.guest.copyOut('C:\\Windows\\MEMORY.DMP', join(dir, 'MEMORY.DMP'));
    const dump = await openDumpTarget(join(dir, 'MEMORY.DMP'));
    match(await dump.execute('!analyze -v'), /^NMI_HARDWARE_FAILURE \(80\)$/m);
  });
});

describe('lab faults, classified as the adapter classifies what the host reports', () => {
  async function reported(fault: string, call: (host: SimHost) => Promise<unknown>): Promise<PsError> {
    const host = await SimHost.open({ lab: await loadLabFile(FAULTS_LAB), statePath: null });
    try {
      await call(host);
    } catch (error) {
      ok(error instanceof SimulatedPowerShellError, `${fault}: ${String(error)}`);
      return error.toJSON();
    }
    throw new Error(`${fault}: the host reported no error`);
  }
  const credential = { user: 'Administrator', password: 'Embedded-Lab-Only-1' };

  test('psdirect-credential-refused', async () => {
    const e = await reported('credential', (h) =>
      handle(h, 'Test-VMPowerShellDirect', { vmName: 'credential-refused', credential }),
    );
    const what = "Test-VMPowerShellDirect on the guest OS of VM 'credential-refused' on host 'lab-01'";
    equal(
      classifyHostError(e, what).message,
      `${what} failed because PowerShell Direct refused the guest credential ("The credential is invalid"); check the guest account and its password reference in the lab file, or whether the guest has finished booting.`,
    );
  });

  test('checkpoint-missing', async () => {
    const e = await reported('checkpoint', (h) =>
      handle(h, 'Restore-VMCheckpoint', { vmName: 'checkpoint-missing', checkpointName: 'baseline' }),
    );
    const what = "Restore-VMCheckpoint on VM 'checkpoint-missing' on host 'lab-01'";
    ok(classifyHostError(e, what) instanceof LabCompromisedError);
    equal(
      classifyHostError(e, what).message,
      `${what} failed because the checkpoint does not exist ("Unable to find a snapshot matching the given criteria"); create it on the host with Checkpoint-VM or fix the checkpoint name in the lab file.`,
    );
  });

  test('a guest that is not up: the remote-session text', async () => {
    const e = await reported('off', async (h) => {
      await handle(h, 'Stop-VM', { vmName: 'slow-boot', turnOff: true });
      await handle(h, 'Invoke-GuestCommand', {
        vmName: 'slow-boot',
        credential,
        file: 'hostname',
        timeoutSeconds: 10,
      });
    });
    match(
      classifyHostError(e, 'x').message,
      /PowerShell Direct could not reach the guest .*the VM is not running or its OS has not finished booting\.$/,
    );
  });

  test('an NMI to a VM that is off: Hyper-V’s text, as a lab-compromised error', async () => {
    const e = await reported('nmi', async (h) => {
      await handle(h, 'Stop-VM', { vmName: 'disk-full', turnOff: true });
      await handle(h, 'Debug-VM', { vmName: 'disk-full' });
    });
    const error = classifyHostError(e, "Debug-VM on VM 'disk-full' on host 'lab-01'");
    ok(error instanceof LabCompromisedError);
    match(
      error.message,
      /Hyper-V refused the NMI \("Cannot inject a non-maskable interrupt into the virtual machine"\); an NMI reaches only a running VM, so start it first\./,
    );
  });
});
