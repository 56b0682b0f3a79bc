/**
 * The stand-in Hyper-V module's model process: the embedded lab's simulated host, answering the
 * stand-in's cmdlets (lab/sim/pwsh/Hyper-V/) one JSON line per call on standard input/output.
 *
 * A real pwsh runs the operation scripts; when a script calls `Hyper-V\Get-VM`, PowerShell loads the
 * stand-in module, which starts this process (`node --import tsx lab/sim/pwsh/bridge.ts --lab=…
 * --state=…`) and asks it: `{"id":1,"cmd":"vms","name":"win11-a"}` → `{"id":1,"ok":…}` or
 * `{"id":1,"error":{error,fqid,type,category}}`. The stand-in builds the real Hyper-V objects
 * (VirtualMachine with a VMState State, a TimeSpan Uptime, …) and error records from the answer.
 * Guest script blocks (Invoke-Command -VMId) are not run: the block's `# driverlab-guest: <op>`
 * line names the operation whose guest part it is, and the guest model answers that part.
 *
 * The VMs persist in the state file after every call, so a new pwsh (after a timeout) finds them.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { parseLabFile } from '../../config/lab-file.js';
import type { OperationName } from '../../hyperv/ops/operations.js';
import { handle } from '../host/handlers.js';
import { debugLinkFactory } from '../kdnet/links.js';
import { pathNotFound, SimulatedPowerShellError, snapshotNotFound } from '../model/errors.js';
import { SimHost } from '../model/host.js';
import { type CheckpointState, DURATIONS, type SimVm } from '../model/vm.js';

type Request = Record<string, unknown> & { id: number; cmd: string };

/** Integration services of a Generation 2 VM: the names and the id part that is not localized. */
const INTEGRATION_SERVICES = [
  { name: 'Guest Service Interface', id: '6C09BB55-D683-4DA0-8931-C9BF705F6480' },
  { name: 'Heartbeat', id: '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47' },
  { name: 'Key-Value Pair Exchange', id: '2A34B1C2-FD73-4043-8A5B-DD2159BC743F' },
  { name: 'Shutdown', id: '9F8233AC-BE49-4C79-8EE3-E7E1985B2077' },
  { name: 'Time Synchronization', id: '2497F4DE-E9FA-4204-80E4-4B75C46419C0' },
  { name: 'VSS', id: '5CED1297-4598-4915-A5FC-AD21BB4D02A4' },
] as const;

/** How many looks at a VM a checkpoint's disk merge lasts after Remove-VMSnapshot returns. */
const MERGE_LOOKS = 2;

/** The guest parts of operations: their script block's arguments, in order, as operation params. */
const GUEST_ARGUMENTS: Partial<Record<OperationName, readonly string[]>> = {
  'Test-VMPowerShellDirect': [],
  'Invoke-GuestCommand': ['file', 'arguments', 'timeoutSeconds'],
  'Get-GuestEvents': ['logName', 'ids', 'providerName', 'since', 'maxEvents'],
  'Get-GuestRegistryValue': ['path', 'valueName'],
  'Set-GuestRegistryValue': ['path', 'valueName', 'type', 'value'],
  'New-GuestItems': ['directory', 'count', 'prefix', 'kind'],
  'Remove-GuestItem': ['path'],
};

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`the stand-in sent ${what} as ${typeof value}, not text`);
  return value;
}

export class Bridge {
  private readonly merging = new Map<string, number>();

  constructor(private readonly host: SimHost) {}

  private byId(id: unknown, cmdlet: string): SimVm {
    const wanted = str(id, 'a VM id').toLowerCase();
    for (const vm of this.host.vms.values()) if (vm.state.id.toLowerCase() === wanted) return vm;
    throw new SimulatedPowerShellError(
      `Hyper-V was unable to find a virtual machine with identifier "${wanted}".`,
      `InvalidParameter,Microsoft.HyperV.PowerShell.Commands.${cmdlet}`,
      'Microsoft.HyperV.PowerShell.VirtualizationException',
      'InvalidArgument',
    );
  }

  private async vmRecord(vm: SimVm) {
    const status = await vm.status();
    const left = this.merging.get(vm.state.id) ?? 0;
    if (left > 0) this.merging.set(vm.state.id, left - 1);
    return {
      name: vm.name,
      id: vm.state.id,
      state: status.power,
      heartbeat: status.heartbeat,
      uptimeSeconds: status.uptimeSeconds,
      status: left > 0 ? 'Merging disks' : 'Operating normally',
      operationalStatus: left > 0 ? ['Ok', 'MergingDisks'] : ['Ok'],
      generation: 2,
      // Not a Hyper-V property: what the guest is doing, so that Stop-VM -Force can hang like Hyper-V.
      guestPhase: vm.state.phase,
    };
  }

  private checkpointRecord(vm: SimVm, c: CheckpointState) {
    return {
      name: c.name,
      id: c.id,
      vmName: vm.name,
      vmId: vm.state.id,
      created: c.created,
      parentName: vm.parentName(c),
      parentId: c.parentId,
      type: 'Standard',
    };
  }

  private checkpointById(vm: SimVm, id: unknown, cmdlet: 'RestoreVMSnapshot' | 'RemoveVMSnapshot') {
    const c = vm.state.checkpoints.find(
      (x) => x.id.toLowerCase() === str(id, 'a checkpoint id').toLowerCase(),
    );
    if (!c) throw snapshotNotFound(cmdlet);
    const namesakes = vm.state.checkpoints.filter((x) => x.name.toLowerCase() === c.name.toLowerCase());
    if (namesakes.length > 1) {
      // The model keeps checkpoints by name; Hyper-V itself would act on the id.
      throw new Error(
        `the embedded model cannot act on one of ${namesakes.length} checkpoints named '${c.name}' of VM '${vm.name}'`,
      );
    }
    return c;
  }

  /** The guest part of Copy-GuestFileToHost: the file gzipped next to itself. */
  private async pack(vm: SimVm, request: Request) {
    // The model's own PowerShell Direct checks: the credential, a guest that is up.
    await handle(this.host, 'Test-VMPowerShellDirect', {
      vmName: vm.name,
      credential: credentialOf(request),
    });
    const path = str(Array.isArray(request.arguments) ? request.arguments[0] : undefined, 'a guest path');
    let bytes: Uint8Array;
    try {
      if (/%[^%\\]+%/.test(path)) throw new Error('a variable is not a folder');
      bytes = vm.guest.fs.readFile(path);
    } catch {
      throw pathNotFound(path, 'CopyItemCommand');
    }
    const packed = gzipSync(bytes);
    vm.guest.fs.writeFile(`${path}.driverlab.gz`, packed, this.host.time.iso());
    return { path: `${path}.driverlab.gz`, bytes: bytes.byteLength, packedBytes: packed.byteLength };
  }

  /** A chunk of a guest file, as base64 (the stand-in hands it on as the byte[] the guest block writes). */
  private async chunk(vm: SimVm, request: Request) {
    await handle(this.host, 'Test-VMPowerShellDirect', {
      vmName: vm.name,
      credential: credentialOf(request),
    });
    const args = Array.isArray(request.arguments) ? request.arguments : [];
    const path = str(args[0], 'a guest path');
    const offset = Number(args[1]);
    const count = Number(args[2]);
    let bytes: Uint8Array;
    try {
      bytes = vm.guest.fs.readFile(path);
    } catch {
      throw pathNotFound(path, 'CopyItemCommand');
    }
    const slice = bytes.subarray(offset, offset + count);
    // Moving bytes over the VM bus takes lab time, as Copy-Item -FromSession does in the model.
    await this.host.time.sleep(Math.ceil((slice.byteLength / 1_048_576) * DURATIONS.copyPerMb));
    return { base64: Buffer.from(slice).toString('base64') };
  }

  /** One call of the stand-in module. */
  async answer(request: Request): Promise<unknown> {
    const host = this.host;
    switch (request.cmd) {
      case 'vms': {
        const name = request.name === undefined || request.name === null ? null : str(request.name, 'a name');
        if (name !== null) {
          const vm = host.vm(name);
          if (!vm) return [];
          if (host.countOperation(vm.name) === 'die') return { die: true };
          return [await this.vmRecord(vm)];
        }
        return Promise.all([...host.vms.values()].map((vm) => this.vmRecord(vm)));
      }
      case 'vm': {
        return this.vmRecord(this.byId(request.vmId, 'GetVM'));
      }
      case 'start': {
        const vm = this.byId(request.vmId, 'StartVM');
        await vm.start();
        return this.vmRecord(vm);
      }
      case 'resume': {
        const vm = this.byId(request.vmId, 'ResumeVM');
        await vm.resume();
        return this.vmRecord(vm);
      }
      case 'stop': {
        const vm = this.byId(request.vmId, 'StopVM');
        const how = str(request.how, 'how to stop');
        if (how === 'shutdown') {
          await vm.settle();
          // The Shutdown integration service of a guest that is not up (stopped in the debugger,
          // at a bug check, writing a dump) never answers: Hyper-V waits.
          if (vm.state.power === 'Running' && vm.state.phase !== 'up') return { hangs: true };
        }
        await vm.stop(how === 'turnoff');
        return this.vmRecord(vm);
      }
      case 'restart': {
        const vm = this.byId(request.vmId, 'RestartVM');
        await vm.restart();
        return this.vmRecord(vm);
      }
      case 'checkpoint': {
        const vm = this.byId(request.vmId, 'CheckpointVM');
        return this.checkpointRecord(vm, await vm.checkpoint(str(request.name, 'a checkpoint name')));
      }
      case 'checkpoints': {
        const vm = this.byId(request.vmId, 'GetVMSnapshot');
        await vm.settle();
        return vm.state.checkpoints.map((c) => this.checkpointRecord(vm, c));
      }
      case 'restore': {
        const vm = this.byId(request.vmId, 'RestoreVMSnapshot');
        const c = this.checkpointById(vm, request.checkpointId, 'RestoreVMSnapshot');
        await vm.restore(c.name);
        return null;
      }
      case 'remove': {
        const vm = this.byId(request.vmId, 'RemoveVMSnapshot');
        const c = this.checkpointById(vm, request.checkpointId, 'RemoveVMSnapshot');
        await vm.removeCheckpoint(c.name);
        // Remove-VMSnapshot returns while Hyper-V merges the checkpoint's disk into its parent.
        this.merging.set(vm.state.id, MERGE_LOOKS);
        return null;
      }
      case 'integration': {
        const vm = this.byId(request.vmId, 'GetVMIntegrationService');
        const status = await vm.status();
        const running = status.power === 'Running';
        return INTEGRATION_SERVICES.map((service) => ({
          ...service,
          enabled: true,
          primaryStatus: !running
            ? null
            : service.name === 'Heartbeat' && !status.heartbeat?.startsWith('Ok')
              ? 'No Contact'
              : 'OK',
        }));
      }
      case 'adapters': {
        const vm = this.byId(request.vmId, 'GetVMNetworkAdapter');
        const declared = host.data.embedded.guests[vm.name]?.addresses ?? [];
        const index = host.data.vms.findIndex((v) => v.name === vm.name);
        return [
          {
            name: 'Network Adapter',
            switchName: 'Default Switch',
            macAddress: `00155D${(0x010100 + index).toString(16).toUpperCase().padStart(6, '0')}`,
            ipAddresses: await vm.addresses(declared),
          },
        ];
      }
      case 'comports': {
        const vm = this.byId(request.vmId, 'GetVMComPort');
        return ([1, 2] as const).map((number) => ({ number, path: vm.state.comPorts[number] ?? '' }));
      }
      case 'setcomport': {
        const vm = this.byId(request.vmId, 'SetVMComPort');
        const number = request.number === 2 ? 2 : 1;
        const path = str(request.path, 'a pipe path');
        const pipe = /^\\\\\.\\pipe\\(.+)$/.exec(path);
        if (!pipe) throw new Error(`the stand-in models only named pipes, not '${path}'`);
        await vm.setComPort(number, pipe[1] as string);
        return null;
      }
      case 'now':
        // Get-Date without arguments: the lab's time, which a script waiting on the host measures by.
        return { iso: host.time.iso() };
      case 'sleep': {
        // Start-Sleep in a script on the host: lab time passes, as it does for a real host's wait.
        const ms = Number(request.ms);
        if (!Number.isFinite(ms) || ms < 0)
          throw new Error(`the stand-in sent a sleep of ${String(request.ms)} ms`);
        await host.time.sleep(ms);
        return null;
      }
      case 'nmi': {
        await this.byId(request.vmId, 'DebugVM').injectNmi();
        return null;
      }
      case 'copyin': {
        const vm = this.byId(request.vmId, 'CopyVMFile');
        return vm.copyIn(str(request.source, 'a source path'), str(request.destination, 'a destination'));
      }
      case 'session': {
        // New-PSSession -VMId: the model's own PowerShell Direct checks (credential, guest up).
        const vm = this.byId(request.vmId, 'NewPSSessionCommand');
        return handle(host, 'Test-VMPowerShellDirect', {
          vmName: vm.name,
          credential: credentialOf(request),
        });
      }
      case 'copyout': {
        const vm = this.byId(request.vmId, 'CopyItemCommand');
        return vm.copyOut(
          credentialOf(request),
          str(request.guestPath, 'a guest path'),
          str(request.hostPath, 'a host path'),
        );
      }
      case 'guest': {
        const vm = this.byId(request.vmId, 'InvokeCommandCommand');
        const op = str(request.operation, 'a guest operation') as OperationName;
        if (op === 'Copy-GuestFileToHost') return this.pack(vm, request);
        if ((op as string) === 'Read-GuestFileChunk') return this.chunk(vm, request);
        const names = GUEST_ARGUMENTS[op];
        if (!names) throw new Error(`'${op}' has no guest part the stand-in knows`);
        const args = Array.isArray(request.arguments) ? request.arguments : [];
        const params: Record<string, unknown> = { vmName: vm.name, credential: credentialOf(request) };
        names.forEach((name, i) => {
          if (args[i] !== null && args[i] !== undefined) params[name] = args[i];
        });
        const result = await handle(host, op, params);
        // What each guest block writes: Get-GuestEvents one record per event; Invoke-GuestCommand
        // always says whether the time limit passed.
        if (op === 'Get-GuestEvents') return (result as { events: unknown[] }).events;
        if (op === 'Invoke-GuestCommand') return { timedOut: false, ...(result as object) };
        return result;
      }
      default:
        throw new Error(`the stand-in asked for '${request.cmd}', which the model does not answer`);
    }
  }
}

function credentialOf(request: Request): { user: string; password: string } {
  return { user: str(request.user, 'a user'), password: str(request.password, 'a password') };
}

function errorJson(error: unknown) {
  return error instanceof SimulatedPowerShellError
    ? error.toJSON()
    : {
        error: `The embedded lab's model failed: ${error instanceof Error ? error.message : String(error)}.`,
        fqid: 'SimulatorFault',
        type: 'System.Exception',
        category: 'NotSpecified',
      };
}

async function main(): Promise<void> {
  const arg = (name: string) =>
    process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? null;
  const labPath = arg('lab');
  if (!labPath) throw new Error('no --lab=<file> was given');
  const lab = parseLabFile(readFileSync(labPath, 'utf8'), labPath);
  if (lab.data.kind !== 'embedded') throw new Error(`the lab file '${labPath}' is not an embedded lab`);
  const host = await SimHost.open({
    lab,
    statePath: arg('state'),
    timePath: arg('time'),
    links: debugLinkFactory(),
  });
  const bridge = new Bridge(host);
  const trace = process.env.DRIVERLAB_STANDIN_TRACE;
  const write = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const queue: string[] = [];
  let busy = false;
  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    while (queue.length > 0) {
      const line = queue.shift() as string;
      let request: Request;
      try {
        request = JSON.parse(line) as Request;
      } catch {
        write({ id: 0, error: errorJson(new Error('a line that is not JSON')) });
        continue;
      }
      // DRIVERLAB_STANDIN_TRACE: a file that gets each call's command, for a test that must know the
      // stand-in (and so a real pwsh) answered.
      if (trace)
        appendFileSync(
          trace,
          `${request.cmd}${typeof request.operation === 'string' ? ` ${request.operation}` : ''}\n`,
        );
      try {
        write({ id: request.id, ok: (await bridge.answer(request)) ?? null });
      } catch (error) {
        write({ id: request.id, error: errorJson(error) });
      }
      await host.save();
    }
    busy = false;
  };
  createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
    .on('line', (line) => {
      queue.push(line);
      void pump();
    })
    .on('close', () => {
      host.stopWaking();
      void host.save().finally(() => process.exit(0));
    });
  write({ id: 0, ok: 'ready' });
}

if (process.argv[1] && /bridge\.(ts|mjs|js)$/.test(process.argv[1])) {
  main().catch((error) => {
    process.stderr.write(
      `driverlab stand-in Hyper-V model: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
