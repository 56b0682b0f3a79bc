import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GuestPathError } from '../guest/fs.js';
import { GuestDown, type GuestHost, GuestProgramNotFound } from '../guest/guest.js';
import type { RegistryKind } from '../guest/registry.js';
import type { ToolResult } from '../guest/tool.js';
import {
  credentialInvalid,
  invalidState,
  pathNotFound,
  programNotFound,
  remoteSessionEnded,
  SimulatedPowerShellError,
} from './errors.js';
import { VmCheckpoints } from './vm-checkpoints.js';
import type { GuestCommandIo } from './vm-state.js';
import { DURATIONS } from './vm-state.js';

export type {
  CheckpointState,
  CrashState,
  GuestCommandIo,
  GuestPhase,
  PowerState,
  VmOptions,
  VmSnapshot,
  VmState,
} from './vm-state.js';
export { DURATIONS } from './vm-state.js';

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** Guest tools that wait on Plug and Play or the service manager, so a hung PnP remove blocks them. */
const PNP_BOUND = new Set(['pnputil', 'sc', 'shutdown', 'fltmc']);

/** A simulated Hyper-V VM, whole: the guest bridge over the layers below. */
export class SimVm extends VmCheckpoints {
  /** The GuestHost a guest command runs with: kernel decisions, shutdown scheduling, its time and output. */
  protected guestHost(io: GuestCommandIo): GuestHost {
    return {
      sleep: (ms) => this.time.guestSleep(ms, io.signal),
      write: (stream, chunk) => io.write(stream, chunk),
      nowIso: () => this.time.iso(),
      kernel: async (action) => {
        const kernel = this.currentKernel();
        if (!kernel) throw new Error(`VM '${this.name}' runs a guest command without a booted kernel`);
        const outcome = kernel.apply(action);
        if (outcome.kind === 'bugcheck') {
          this.crash(outcome, this.time.now(), true);
          throw new GuestDown(`VM '${this.name}' bugchecked with 0x${outcome.bugcheck.code.toString(16)}`);
        }
        if (outcome.kind === 'hang') {
          this.state.hang = { what: outcome.what };
          await this.options.persist?.();
          return never();
        }
        if (outcome.kind === 'verifier-error') {
          await this.options.persist?.();
          await this.verifierError(outcome);
          return { kind: 'none' };
        }
        return outcome;
      },
      scheduleShutdown: (reboot, delaySeconds) => {
        if (this.state.scheduledShutdown) return 'already-scheduled';
        this.state.scheduledShutdown = { reboot, at: this.time.now() + delaySeconds * 1000 };
        return 'scheduled';
      },
      abortShutdown: () => {
        if (!this.state.scheduledShutdown) return false;
        this.state.scheduledShutdown = null;
        return true;
      },
    };
  }

  // ---------------------------------------------------------------- PowerShell Direct and the guest

  /** The checks of a PowerShell Direct session: the credential, then a guest that is up. */
  protected async session(credential: { user: string; password: string }): Promise<void> {
    await this.settle();
    await this.whileStopped();
    const s = this.state;
    if (s.power !== 'Running' || s.phase !== 'up') throw remoteSessionEnded();
    if (this.fault('psdirect-credential-refused')) throw credentialInvalid();
    const user = credential.user.replace(/^\.\\|^[^\\]+\\/, '');
    const known = this.options.accounts.some(
      (a) => a.user.toLowerCase() === user.toLowerCase() && a.password === credential.password,
    );
    if (!known) throw credentialInvalid();
  }

  /**
   * A guest stopped in the debugger does not answer PowerShell Direct: the call stalls until the
   * debugger lets the target go (or it goes down), as the VM bus stalls with the frozen guest. The
   * caller's own time limit bounds the wait. It also makes a `g` that is still on its way to the
   * target when the next guest command arrives harmless, as it is on a real host.
   */
  protected async whileStopped(): Promise<void> {
    while (this.state.phase === 'frozen' && this.state.power === 'Running') {
      await this.time.guestSleep(this.options.timings.command);
      await this.settle();
    }
  }

  /** Test-VMPowerShellDirect: the guest's name and boot time. */
  async probe(credential: {
    user: string;
    password: string;
  }): Promise<{ computerName: string; bootTime: string }> {
    await this.session(credential);
    await this.time.sleep(this.options.timings.command);
    return {
      computerName: this.state.guest.computerName,
      bootTime: this.state.guest.bootTime ?? this.time.iso(),
    };
  }

  /**
   * Invoke-GuestCommand: runs a program in the guest; a bugcheck ends the session, a hang never
   * answers, a program the guest does not have is the script's Get-Command error. `io` receives
   * what the program prints as it goes, and stops it (its time limit) when its signal aborts.
   */
  async invoke(
    credential: { user: string; password: string },
    file: string,
    args: readonly string[],
    io: GuestCommandIo = { write: () => {} },
  ): Promise<ToolResult> {
    await this.session(credential);
    await this.time.sleep(this.options.timings.command);
    await this.settle();
    await this.whileStopped();
    if (this.state.power !== 'Running' || this.state.phase !== 'up') throw remoteSessionEnded();
    const tool = (file.split(/[\\/]/).pop() ?? file).toLowerCase().replace(/\.exe$/, '');
    if (this.state.hang && PNP_BOUND.has(tool)) {
      await this.options.persist?.();
      return never<ToolResult>();
    }
    try {
      return await this.guestOs.run(file, args, this.guestHost(io));
    } catch (error) {
      if (error instanceof GuestDown) throw remoteSessionEnded();
      if (error instanceof GuestProgramNotFound) throw programNotFound(error.message);
      throw error;
    }
  }

  /** Copy-VMFile -FileSource Host: reads the real host file into the guest. */
  async copyIn(sourcePath: string, destinationPath: string): Promise<number> {
    await this.settle();
    if (this.state.power !== 'Running' || this.state.phase !== 'up') throw invalidState('CopyVMFile');
    let bytes: Uint8Array;
    try {
      bytes = await readFile(sourcePath);
    } catch {
      throw pathNotFound(sourcePath, 'CopyVMFile');
    }
    await this.time.sleep(Math.ceil((bytes.byteLength / 1_048_576) * DURATIONS.copyPerMb));
    try {
      this.guestOs.fs.writeFile(destinationPath, bytes, this.time.iso());
    } catch (error) {
      if (error instanceof GuestPathError) {
        throw new SimulatedPowerShellError(
          `Failed to copy the source file '${sourcePath}' to the destination '${destinationPath}' in the guest: ${error.message}`,
          'CopyFileFailed,Microsoft.HyperV.PowerShell.Commands.CopyVMFile',
          'Microsoft.HyperV.PowerShell.VirtualizationException',
          'InvalidArgument',
        );
      }
      throw error;
    }
    return bytes.byteLength;
  }

  /** Copy-Item -FromSession: writes a real host file with the guest file's bytes (a dump comes out whole). */
  async copyOut(
    credential: { user: string; password: string },
    guestPath: string,
    hostPath: string,
  ): Promise<number> {
    await this.session(credential);
    let bytes: Uint8Array;
    try {
      // Copy-Item -LiteralPath takes %SystemRoot% as the name of a folder, not a variable.
      if (/%[^%\\]+%/.test(guestPath)) throw new GuestPathError(guestPath, 'not-found');
      bytes = this.guestOs.fs.readFile(guestPath);
    } catch {
      throw pathNotFound(guestPath, 'CopyItemCommand');
    }
    await this.time.sleep(Math.ceil((bytes.byteLength / 1_048_576) * DURATIONS.copyPerMb));
    try {
      await mkdir(dirname(hostPath), { recursive: true });
      await writeFile(hostPath, bytes);
    } catch (error) {
      throw new SimulatedPowerShellError(
        `Could not write the host file '${hostPath}': ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
        'CopyItemFailed,Microsoft.PowerShell.Commands.CopyItemCommand',
        'System.IO.IOException',
        'WriteError',
      );
    }
    return bytes.byteLength;
  }

  async registryValue(
    credential: { user: string; password: string },
    path: string,
    name: string,
  ): Promise<{ exists: boolean; type: string | null; value: string | number | null }> {
    await this.session(credential);
    const v = this.guestOs.registry.get(path, name);
    if (!v) return { exists: false, type: null, value: null };
    const value = Array.isArray(v.data) ? v.data.join('\n') : v.data;
    return { exists: true, type: v.kind, value };
  }

  async setRegistryValue(
    credential: { user: string; password: string },
    path: string,
    name: string,
    kind: RegistryKind,
    value: string | number,
  ): Promise<void> {
    await this.session(credential);
    if ((kind === 'DWord' || kind === 'QWord') && typeof value !== 'number') {
      const n = /^0x[0-9a-f]+$/i.test(value) ? Number.parseInt(value.slice(2), 16) : Number(value);
      if (!Number.isInteger(n)) {
        throw new SimulatedPowerShellError(
          `Cannot convert value "${value}" to type "System.Int32".`,
          'InvalidCastFromStringToInteger',
          'System.Management.Automation.PSInvalidCastException',
          'InvalidArgument',
        );
      }
      this.guestOs.registry.set(path, name, kind, n);
    } else {
      this.guestOs.registry.set(path, name, kind, value);
    }
  }

  async events(
    credential: { user: string; password: string },
    filter: { logName: string; ids: number[]; providerName?: string; since?: string; maxEvents: number },
  ) {
    await this.session(credential);
    return this.guestOs.log.query(filter);
  }

  /** New-GuestItems: `count` new empty files (kept as compact ranges) or folders; with the folder's count after. */
  async createItems(
    credential: { user: string; password: string },
    directory: string,
    count: number,
    prefix: string,
    kind: 'file' | 'folder' = 'file',
  ): Promise<{ created: number; total: number }> {
    await this.session(credential);
    await this.time.sleep(this.options.timings.command + count * 0.05);
    return this.guestOs.fs.createItems(directory, prefix, count, kind, this.time.iso());
  }

  async removeItem(credential: { user: string; password: string }, path: string): Promise<boolean> {
    await this.session(credential);
    await this.time.sleep(this.options.timings.command);
    try {
      return this.guestOs.fs.remove(path);
    } catch (error) {
      if (error instanceof GuestPathError) return false;
      throw error;
    }
  }

  /** Set-VMComPort: takes effect at the next cold start (a Generation 2 VM cannot hot-add a UART). */
  async setComPort(port: 1 | 2, pipeName: string): Promise<string> {
    await this.settle();
    const path = `\\\\.\\pipe\\${pipeName}`;
    this.state.comPorts[port] = path;
    return path;
  }

  /** The guest's addresses as KVP reports them: only while the guest is up. */
  async addresses(declared: string[]): Promise<string[]> {
    await this.settle();
    return this.state.power === 'Running' && this.state.phase === 'up' ? declared : [];
  }
}
