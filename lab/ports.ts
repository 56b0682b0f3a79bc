/**
 * The lab ports: what a scenario can ask of a lab, independent of how the lab does it.
 *
 * There is one implementation (the Hyper-V adapter, lab/hyperv/), which talks PowerShell either to
 * a real Hyper-V host or to the embedded simulated lab host. Every object describes itself
 * ("VM 'win11-a' on host 'lab-01'") for error messages and report step titles.
 *
 * All durations are lab milliseconds (see lab/clock.ts).
 */
import type { LabClock } from './clock.js';
import type { DriverConfig, LabFile, Timeouts, VmConfig } from './config/lab-file.js';
import type { Redactor } from './config/secrets.js';
import { LabCompromisedError } from './errors.js';
import type { ProcessCommand } from './wiring.js';

export interface Describable {
  /** "VM 'win11-a' on host 'lab-01'": used in messages and report step titles. */
  describe(): string;
}

/**
 * Where the lab tells the report what it does: named steps and evidence. support/ turns these into
 * Allure steps and attachments; lab/ never imports Allure.
 */
export interface Narrator {
  /**
   * A named step around `body`. When `body` throws an error `options.expected` gives a sentence for,
   * the step is shown as having ended as the scenario expected ("cut short by …"), not as a fault,
   * and the error still reaches the caller.
   */
  step<T>(title: string, body: () => Promise<T>, options?: StepOptions): Promise<T>;
  attach(name: string, content: string | Uint8Array, mediaType: string): Promise<void>;
}

export interface StepOptions {
  /** How the step ended, when `error` is an end the scenario expected; null for a fault. */
  expected?: (error: unknown) => string | null;
}

/** A narrator that reports nothing (CLI, unit tests). */
export const silentNarrator: Narrator = {
  step: (_title, body) => body(),
  attach: async () => {},
};

/** Hyper-V VMState names (documented names; see domain brief §1.2). Other names pass through as strings. */
export type VmState =
  | 'Off'
  | 'Running'
  | 'Starting'
  | 'Stopping'
  | 'Saved'
  | 'Paused'
  | 'Saving'
  | 'Pausing'
  | 'Resuming'
  | 'Reset'
  | 'Other'
  | (string & {});

export interface VmStatus {
  name: string;
  state: VmState;
  /** Heartbeat integration service status name (OkApplicationsHealthy, NoContact, …) or null when off. */
  heartbeat: string | null;
  uptimeSeconds: number;
}

export interface CheckpointInfo {
  name: string;
  vmName: string;
  /** ISO 8601. */
  created: string;
  parent: string | null;
}

export interface GuestCommandResult {
  /** The command line as run, for messages and transcripts. */
  command: readonly string[];
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Lab milliseconds the command took. */
  durationMs: number;
}

/**
 * A guest command passed its time limit and was stopped in the guest. A lab fault unless the
 * scenario expects a hang (a PnP remove waiting for NBLs): such a step catches this class and reads
 * what the program printed until it was stopped.
 */
export class GuestCommandTimeoutError extends LabCompromisedError {
  constructor(
    message: string,
    readonly partial: GuestCommandResult,
  ) {
    super(message);
  }
}

/**
 * The guest could not be used: it refused the credential or could not be reached (PowerShell
 * Direct on Hyper-V).
 * Both happen for a while after every boot, so these are the failures worth trying again.
 */
export class GuestUnreachableError extends LabCompromisedError {
  constructor(
    message: string,
    readonly reason: 'credential' | 'unreachable',
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface ReadyReport {
  /** Lab milliseconds until the heartbeat was OK and PowerShell Direct answered. */
  waitedMs: number;
  heartbeat: string;
}

export interface GuestEventQuery {
  logName: 'System' | 'Application' | (string & {});
  ids?: number[];
  providerName?: string;
  /** Only events at or after this ISO time. */
  since?: string;
  maxEvents?: number;
}

/** A guest event as Get-WinEvent reports it, with its insertion strings and binary data. */
export interface GuestEvent {
  id: number;
  provider: string;
  level: string;
  logName: string;
  timeCreated: string;
  message: string;
  /** Insertion strings ($e.Properties[n].Value), as strings. */
  properties: string[];
  /** The event's binary data as lowercase hex, or null when it has none. */
  binaryHex: string | null;
}

export interface RegistryValue {
  exists: boolean;
  type: string | null;
  value: string | number | null;
}

export interface GuestRunOptions {
  /** Lab milliseconds the program may run (default: the lab file's guestCommand timeout). */
  timeoutMs?: number;
  /**
   * What may end the command on purpose, e.g. 'the bug check the scenario provoked': when the
   * guest stops answering under it, its step says it was cut short by that, not that the guest
   * could not be reached (the error still reaches the caller, who checks what happened).
   */
  cutShortBy?: string;
  /**
   * The command may legitimately still run at its time limit (a removal that never finishes is
   * what the scenario looks at): its step says it was stopped there, not that something broke
   * (GuestCommandTimeoutError still reaches the caller, who reads it as data).
   */
  limitIsData?: boolean;
}

export interface Host extends Describable {
  readonly name: string;
  readonly computerName: string;
}

export interface Guest extends Describable {
  /**
   * Runs a program with its arguments (each a separate string) and returns its output and exit
   * code; past `timeoutMs` (lab time) the program is stopped and GuestCommandTimeoutError thrown.
   */
  run(command: readonly string[], options?: GuestRunOptions): Promise<GuestCommandResult>;
  /**
   * Copies a file of the Hyper-V host into the guest (Copy-VMFile); a big file may need a longer
   * `timeoutMs` (lab time) than the default of five host operations.
   */
  copyIn(hostPath: string, guestPath: string, options?: { timeoutMs?: number }): Promise<void>;
  /** Copies a guest file to the Hyper-V host (PowerShell Direct Copy-Item -FromSession), e.g. a dump. */
  copyOut(guestPath: string, hostPath: string, options?: { timeoutMs?: number }): Promise<void>;
  /** Restarts the guest OS and waits until it is ready again. */
  reboot(options?: { timeoutMs?: number }): Promise<ReadyReport>;
  events(query: GuestEventQuery): Promise<GuestEvent[]>;
  registryValue(path: string, name: string): Promise<RegistryValue>;
  setRegistryValue(
    path: string,
    name: string,
    type: 'DWord' | 'String' | 'QWord',
    value: string | number,
  ): Promise<void>;
  /** Creates `count` empty files in a guest directory (for scenarios about file counts). */
  createFiles(directory: string, count: number): Promise<number>;
  /** Creates `count` empty folders in a guest directory (for scenarios about folder counts). */
  createFolders(directory: string, count: number): Promise<number>;
  /** Removes a guest file or directory (recursively); true when there was something to remove. */
  remove(path: string): Promise<boolean>;
}

export interface Vm extends Describable {
  readonly name: string;
  readonly host: Host;
  readonly config: VmConfig;
  readonly guest: Guest;
  status(): Promise<VmStatus>;
  isRunning(): Promise<boolean>;
  start(): Promise<VmStatus>;
  stop(options?: { turnOff?: boolean }): Promise<VmStatus>;
  /** A hard restart (Restart-VM -Force). */
  restart(): Promise<VmStatus>;
  checkpoints(): Promise<CheckpointInfo[]>;
  checkpoint(name: string): Promise<CheckpointInfo>;
  restore(name: string): Promise<VmStatus>;
  removeCheckpoint(name: string): Promise<void>;
  /** Waits, bounded, for the Heartbeat integration service and then a PowerShell Direct answer. */
  waitUntilReady(options?: { timeoutMs?: number }): Promise<ReadyReport>;
  /** Debug-VM -InjectNonMaskableInterrupt. */
  injectNmi(): Promise<void>;
  /** Set-VMComPort: exposes COM `port` as the named pipe \\.\pipe\<pipeName>. */
  setComPipe(port: 1 | 2, pipeName: string): Promise<void>;
  /** The guest's IP addresses as Hyper-V reports them. */
  addresses(): Promise<string[]>;
}

export interface Lab extends Describable {
  readonly name: string;
  readonly kind: 'hyperv' | 'embedded';
  readonly file: LabFile;
  readonly clock: LabClock;
  readonly redactor: Redactor;
  readonly timeouts: Timeouts;
  vms(): readonly Vm[];
  /** The VM by name; a ConfigurationError names the VMs the lab has when there is no such VM. */
  vm(name: string): Vm;
  /** The VM a Cucumber worker uses: one VM per worker, so parallel workers never share a VM. */
  lease(workerIndex: number): Vm;
  /** A driver from the lab's drivers list; a ConfigurationError lists them when there is none. */
  driver(name: string): DriverConfig;
  /** The debugger executable the lab's debuggers start (a ConfigurationError when it is not there). */
  debuggerExecutable(): ProcessCommand;
  /** Stops the lab's PowerShell sessions and anything else it started. */
  close(): Promise<void>;
}
