/**
 * The simulated host's answer to each operation (lab/hyperv/ops/operations.ts): same
 * name, the same params, the same result shape in canonical form (enum names, ISO times) as the
 * operation's script on a real Hyper-V host — and for failures the {error, fqid, type, category}
 * the script reports, with the texts Hyper-V and PowerShell use.
 */
import { readFileSync } from 'node:fs';
import type * as z from 'zod';
import type { OperationName, OperationResult, VmRecord } from '../../hyperv/ops/operations.js';
import { operations } from '../../hyperv/ops/operations.js';
import { powerShellDirectRefusal } from '../../hyperv/reply.js';
import { SimulatedPowerShellError, vmNotFound } from '../model/errors.js';
import type { SimHost } from '../model/host.js';
import type { CheckpointState, SimVm } from '../model/vm.js';

/** An operation's params as the model takes them: a guest credential always with its password. */
type Resolved<T> = T extends { credential: unknown }
  ? Omit<T, 'credential'> & { credential: { user: string; password: string } }
  : T;
type Params<N extends OperationName> = Resolved<z.infer<(typeof operations)[N]['params']>>;
type Handler<N extends OperationName> = (host: SimHost, params: Params<N>) => Promise<OperationResult<N>>;

function vmOf(host: SimHost, name: string, cmdlet: string): SimVm {
  const vm = host.vm(name);
  if (!vm) throw vmNotFound(name, cmdlet);
  return vm;
}

async function record(vm: SimVm): Promise<VmRecord> {
  const status = await vm.status();
  return {
    name: vm.name,
    id: vm.state.id,
    state: status.power,
    heartbeat: status.heartbeat,
    uptimeSeconds: Math.round(status.uptimeSeconds * 1000) / 1000,
    status: 'Operating normally',
    generation: 2,
  };
}

function checkpointRecord(vm: SimVm, c: CheckpointState): OperationResult<'Checkpoint-VM'> {
  return {
    name: c.name,
    id: c.id,
    vmName: vm.name,
    created: c.created,
    parentName: vm.parentName(c),
    checkpointType: 'Standard',
  };
}

const MAC_PREFIX = '00155D';

/** The integration services of a Generation 2 VM, by name and the id part that is not localized. */
const INTEGRATION_SERVICES = [
  { name: 'Guest Service Interface', id: '6C09BB55-D683-4DA0-8931-C9BF705F6480' },
  { name: 'Heartbeat', id: '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47' },
  { name: 'Key-Value Pair Exchange', id: '2A34B1C2-FD73-4043-8A5B-DD2159BC743F' },
  { name: 'Shutdown', id: '9F8233AC-BE49-4C79-8EE3-E7E1985B2077' },
  { name: 'Time Synchronization', id: '2497F4DE-E9FA-4204-80E4-4B75C46419C0' },
  { name: 'VSS', id: '5CED1297-4598-4915-A5FC-AD21BB4D02A4' },
] as const;

export const handlers: { [N in OperationName]: Handler<N> } = {
  'Get-VM': async (host, p) => record(vmOf(host, p.vmName, 'GetVM')),
  'Start-VM': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'StartVM');
    await vm.start();
    return record(vm);
  },
  'Stop-VM': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'StopVM');
    await vm.stop(p.turnOff);
    return record(vm);
  },
  'Restart-VM': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'RestartVM');
    await vm.restart();
    return record(vm);
  },
  'Checkpoint-VM': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'CheckpointVM');
    const taken = vm.state.checkpoints.find((c) => c.name.toLowerCase() === p.checkpointName.toLowerCase());
    if (taken) {
      throw new SimulatedPowerShellError(
        `VM '${vm.name}' already has a checkpoint named '${p.checkpointName}' (taken ${taken.created}).`,
        'DriverlabCheckpointExists',
        'System.InvalidOperationException',
        'ResourceExists',
      );
    }
    return checkpointRecord(vm, await vm.checkpoint(p.checkpointName));
  },
  'Get-VMCheckpoint': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'GetVMSnapshot');
    await vm.settle();
    return { checkpoints: vm.checkpoints(p.checkpointName).map((c) => checkpointRecord(vm, c)) };
  },
  'Restore-VMCheckpoint': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'RestoreVMSnapshot');
    await vm.restore(p.checkpointName);
    return record(vm);
  },
  'Remove-VMCheckpoint': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'RemoveVMSnapshot');
    return { removed: await vm.removeCheckpoint(p.checkpointName) };
  },
  'Get-VMHeartbeat': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'GetVMIntegrationService');
    const status = await vm.status();
    return { enabled: true, status: status.heartbeat, state: status.power };
  },
  'Test-VMPowerShellDirect': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'InvokeCommandCommand');
    return vm.probe(p.credential);
  },
  'Wait-VMPowerShellDirect': async (host, p) => {
    // The script finds the VM before it waits: a wrong name fails at once.
    const vm = vmOf(host, p.vmName, 'GetVM');
    const started = host.time.now();
    const deadline = started + p.timeoutSeconds * 1000;
    let looks = 0;
    let refusals = 0;
    let lastError: ReturnType<SimulatedPowerShellError['toJSON']> | null = null;
    let answer: { computerName: string; bootTime: string } | null = null;
    for (;;) {
      looks += 1;
      try {
        const seen = await vm.probe(p.credential);
        lastError = null;
        if (p.bootTimeOtherThan === null || seen.bootTime !== p.bootTimeOtherThan) {
          answer = seen;
          break;
        }
      } catch (error) {
        // Only PowerShell Direct's own refusals are waited out, as the script tells them apart.
        if (!(error instanceof SimulatedPowerShellError)) throw error;
        const refusal = error.toJSON();
        const kind = powerShellDirectRefusal(refusal);
        if (kind === null) throw error;
        lastError = refusal;
        if (kind === 'credential') {
          refusals += 1;
          if (refusals >= p.credentialRefusals) break;
        }
      }
      if (looks >= p.minimumLooks && host.time.now() + p.pollMilliseconds > deadline) break;
      await host.time.sleep(p.pollMilliseconds);
    }
    return {
      answered: answer !== null,
      computerName: answer?.computerName ?? null,
      bootTime: answer?.bootTime ?? null,
      looks,
      waitedSeconds: (host.time.now() - started) / 1000,
      lastError,
    };
  },
  'Invoke-GuestCommand': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'InvokeCommandCommand');
    const started = host.time.now();
    // The time limit is kept in the guest, as the operation's script keeps it: a program still
    // running when it passes is given up on (exit code -1), and the guest goes on without it.
    const limit = new AbortController();
    const expired = host.time
      .guestSleep(p.timeoutSeconds * 1000, limit.signal)
      .then(() => null)
      .catch(() => null);
    // What the program printed so far: a program stopped at its limit answers with it.
    const printed = { stdout: '', stderr: '' };
    const stop = new AbortController();
    const running = vm.invoke(p.credential, p.file, p.arguments, {
      write: (stream, chunk) => {
        printed[stream] += chunk;
      },
      signal: stop.signal,
    });
    // Given up on, it may still fail later (the guest bugchecks): nobody is waiting for it then.
    running.catch(() => {});
    const r = await Promise.race([running, expired]).finally(() => limit.abort());
    const durationMs = Math.round(host.time.now() - started);
    if (r === null) {
      stop.abort();
      return { stdout: printed.stdout, stderr: printed.stderr, exitCode: -1, durationMs, timedOut: true };
    }
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, durationMs };
  },
  'Copy-VMFile': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'CopyVMFile');
    return { copied: p.destinationPath, bytes: await vm.copyIn(p.sourcePath, p.destinationPath) };
  },
  'Copy-GuestFileToHost': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'InvokeCommandCommand');
    return { copied: p.hostPath, bytes: await vm.copyOut(p.credential, p.guestPath, p.hostPath) };
  },
  'Set-VMComPort': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'SetVMComPort');
    return { number: p.number, path: await vm.setComPort(p.number, p.pipeName) };
  },
  'Get-VMComPort': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'GetVMComPort');
    // Get-VMComPort lists COM1 and COM2 always; a port that points nowhere has an empty Path.
    return {
      ports: ([1, 2] as const).map((number) => ({ number, path: vm.state.comPorts[number] ?? '' })),
    };
  },
  'Get-VMIntegrationService': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'GetVMIntegrationService');
    const status = await vm.status();
    const running = status.power === 'Running';
    return {
      services: INTEGRATION_SERVICES.map((service) => ({
        ...service,
        enabled: true,
        primaryStatus: !running
          ? null
          : service.name === 'Heartbeat' && !status.heartbeat?.startsWith('Ok')
            ? 'No Contact'
            : 'OK',
      })),
    };
  },
  'Debug-VM': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'DebugVM');
    await vm.injectNmi();
    return { injected: true };
  },
  'Get-VMNetworkAdapter': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'GetVMNetworkAdapter');
    const declared = host.data.embedded.guests[vm.name]?.addresses ?? [];
    const index = host.data.vms.findIndex((v) => v.name === vm.name);
    return {
      adapters: [
        {
          name: 'Network Adapter',
          switchName: 'Default Switch',
          macAddress: `${MAC_PREFIX}${(0x010100 + index).toString(16).toUpperCase().padStart(6, '0')}`,
          ipAddresses: await vm.addresses(declared),
        },
      ],
    };
  },
  'Get-GuestEvents': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'InvokeCommandCommand');
    const events = await vm.events(p.credential, {
      logName: p.logName,
      ids: p.ids,
      ...(p.providerName !== undefined ? { providerName: p.providerName } : {}),
      ...(p.since !== undefined ? { since: p.since } : {}),
      maxEvents: p.maxEvents,
    });
    return {
      events: events.map((e) => ({
        id: e.id,
        provider: e.provider,
        level: e.level,
        logName: e.logName,
        timeCreated: e.timeCreated,
        message: e.message,
        properties: e.properties,
        binaryHex: e.binaryHex,
      })),
    };
  },
  'Get-GuestRegistryValue': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'InvokeCommandCommand');
    return vm.registryValue(p.credential, p.path, p.valueName);
  },
  'Set-GuestRegistryValue': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'InvokeCommandCommand');
    await vm.setRegistryValue(p.credential, p.path, p.valueName, p.type, p.value);
    return { written: true };
  },
  'New-GuestItems': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'InvokeCommandCommand');
    return vm.createItems(p.credential, p.directory, p.count, p.prefix, p.kind);
  },
  'Remove-GuestItem': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'InvokeCommandCommand');
    return { removed: await vm.removeItem(p.credential, p.path) };
  },
  'Get-HostInfo': async (host) => ({
    computerName: (host.data.hosts[0]?.name ?? 'localhost').toUpperCase(),
    psEdition: 'Desktop',
    psVersion: '5.1',
    hyperVModule: true,
    osVersion: 'driverlab embedded lab host (simulated Hyper-V)',
  }),
};

/**
 * A script's data document names the host file that holds a guest password (never the password,
 * lab/hyperv/credentials.ts); the simulated host reads it as the script does.
 */
function withPassword(params: unknown): unknown {
  const credential = (
    params as { credential?: { user?: unknown; passwordFile?: unknown; credentialFile?: unknown } } | null
  )?.credential;
  if (credential && typeof credential.credentialFile === 'string') {
    // A DPAPI credential file is for a real host; the embedded host has no such file to import.
    throw new SimulatedPowerShellError(
      `Could not find file '${credential.credentialFile}'.`,
      'FileOpenFailure,Microsoft.PowerShell.Commands.ImportClixmlCommand',
      'System.IO.FileNotFoundException',
      'OpenError',
    );
  }
  if (!credential || typeof credential.passwordFile !== 'string') return params;
  let password: string;
  try {
    password = readFileSync(credential.passwordFile, 'utf8');
  } catch {
    throw new SimulatedPowerShellError(
      `Could not find file '${credential.passwordFile}'.`,
      'FileNotFoundException',
      'System.IO.FileNotFoundException',
      'NotSpecified',
    );
  }
  return { ...(params as Record<string, unknown>), credential: { user: credential.user, password } };
}

/** Runs one operation against the simulated host; params are validated with the operation's schema. */
export async function handle(host: SimHost, name: OperationName, params: unknown): Promise<unknown> {
  const parsed = operations[name].params.safeParse(withPassword(params));
  if (!parsed.success) {
    // What PowerShell says when a script reads a property the JSON document does not have.
    throw new SimulatedPowerShellError(
      `Cannot bind the parameters of ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'params'} ${i.message}`).join('; ')}.`,
      `ParameterBindingFailed,${name}`,
      'System.Management.Automation.ParameterBindingException',
      'InvalidArgument',
    );
  }
  const handler = handlers[name] as Handler<OperationName>;
  return handler(host, parsed.data as Params<OperationName>);
}

/** The VM an operation acts on, when it has one (for counting operations per VM). */
export function operationVm(params: unknown): string | null {
  const vmName = (params as { vmName?: unknown } | null)?.vmName;
  return typeof vmName === 'string' ? vmName : null;
}
