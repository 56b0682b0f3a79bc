/**
 * A simulated Hyper-V VM: its power state machine (Off, Starting, Running, Stopping, Saved,
 * Paused) with the refusals real Hyper-V gives, its guest OS (lab/sim/guest) and kernel, its
 * checkpoints (standard checkpoints of the whole guest), the Heartbeat integration service and
 * PowerShell Direct, guest reboots and crashes, on the lab clock.
 *
 * Time-driven transitions (a boot finishing, a shutdown completing, a dump being written) are not
 * timers: the VM settles whatever lab time has made due whenever it is looked at, so its state is
 * plain JSON that survives the host process and restores from checkpoints.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LabFault } from '../../config/embedded.js';
import { GuestPathError } from '../guest/fs.js';
import {
  baselineGuest,
  GuestDown,
  type GuestEnvironment,
  type GuestHost,
  GuestOs,
  GuestProgramNotFound,
  type GuestState,
} from '../guest/guest.js';
import { stableGuid } from '../guest/ids.js';
import type { RegistryKind } from '../guest/registry.js';
import type { ToolResult } from '../guest/tool.js';
import { writeDump } from '../kernel/dump.js';
import { createKernel, type Kernel, type KernelState, restoreKernel } from '../kernel/index.js';
import { KernelDebugTarget, type TargetVm, verifierBreakText } from '../kernel/target.js';
import { VERIFIER_PROMPT } from '../kernel/verifier-questions.js';
import type { KernelOutcome } from '../ports.js';
import type { DebugLink, DebugLinkFactory, EffectiveDebugSettings } from './debug-link.js';
import {
  credentialInvalid,
  type HyperVCmdlet,
  invalidState,
  nmiRefused,
  pathNotFound,
  programNotFound,
  remoteSessionEnded,
  SimulatedPowerShellError,
  snapshotNotFound,
} from './errors.js';
import type { SimTime } from './time.js';

export type PowerState = 'Off' | 'Starting' | 'Running' | 'Stopping' | 'Saved' | 'Paused';

/**
 * What the guest OS is doing while the VM has power: booting, up, shutting down, stopped in the
 * debugger (frozen), writing a crash dump, or halted on a bugcheck screen (AutoReboot off).
 */
export type GuestPhase = 'off' | 'booting' | 'up' | 'shutting-down' | 'frozen' | 'dumping' | 'halted';

/** The VM's side of a bugcheck (what bugchecked, and how, is in the kernel state). */
export interface CrashState {
  /** The WER report id event 1001 names. */
  reportId: string;
  /** Lab time of the bugcheck. */
  at: number;
}

/** The part of a VM a checkpoint captures: everything but the checkpoint tree, times made relative. */
export interface VmSnapshot {
  power: PowerState;
  phase: GuestPhase;
  phaseRemainingMs: number | null;
  afterShutdown: 'reboot' | 'off' | null;
  uptimeMs: number;
  frozenFrom: { phase: GuestPhase; remainingMs: number | null } | null;
  shutdownInMs: { reboot: boolean; inMs: number } | null;
  guest: GuestState;
  kernel: KernelState | null;
  crash: CrashState | null;
  hang: { what: string } | null;
  bootDebug: EffectiveDebugSettings | null;
}

export interface CheckpointState {
  id: string;
  name: string;
  created: string;
  parentId: string | null;
  snapshot: VmSnapshot;
}

/** A VM as the host's state file keeps it. */
export interface VmState {
  id: string;
  power: PowerState;
  phase: GuestPhase;
  phaseEndsAt: number | null;
  afterShutdown: 'reboot' | 'off' | null;
  /** Lab time the VM was last powered on or reset; null when off. */
  runningSince: number | null;
  /** Saved or Paused: how much of the current phase was left, and the uptime, when it was frozen. */
  suspended: { remainingMs: number | null; uptimeMs: number } | null;
  frozenFrom: { phase: GuestPhase; remainingMs: number | null } | null;
  scheduledShutdown: { reboot: boolean; at: number } | null;
  guest: GuestState;
  /** The kernel of the running guest, changed in place by the kernel; null when off. */
  kernel: KernelState | null;
  /** Lab time the kernel's clock was last brought up to date. */
  kernelClockAt: number | null;
  crash: CrashState | null;
  hang: { what: string } | null;
  bootDebug: EffectiveDebugSettings | null;
  /** COM port pipes as configured, and as in effect since the last cold start. */
  comPorts: { 1: string | null; 2: string | null };
  effectiveComPorts: { 1: string | null; 2: string | null };
  checkpoints: CheckpointState[];
  currentCheckpoint: string | null;
}

/** Where a guest command's output goes as it is printed, and what stops it. */
export interface GuestCommandIo {
  write(stream: 'stdout' | 'stderr', text: string): void;
  signal?: AbortSignal;
}

export interface VmOptions {
  name: string;
  env: GuestEnvironment;
  time: SimTime;
  faults: readonly LabFault[];
  /** Accounts PowerShell Direct accepts (resolved passwords). */
  accounts: { user: string; password: string }[];
  timings: { bootSeconds: number; restoreSeconds: number; commandSeconds: number; shutdownSeconds: number };
  /** Opens the target end of the debug link at each boot with debugging on (lab/sim/kdnet). */
  links?: DebugLinkFactory;
  /** Called when state changed outside an operation (debugger activity), or before a guest command hangs. */
  persist?: () => Promise<void>;
}

/** Lab milliseconds for what the guest timings in the lab file do not cover. */
export const DURATIONS = {
  powerOn: 2000,
  checkpoint: 3000,
  /** Writing MEMORY.DMP after a bugcheck, before the automatic reboot. */
  dump: 12000,
  resume: 4000,
  /** Copy-VMFile / Copy-Item throughput: lab milliseconds per megabyte. */
  copyPerMb: 20,
} as const;

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** Guest tools that wait on Plug and Play or the service manager, so a hung PnP remove blocks them. */
const PNP_BOUND = new Set(['pnputil', 'sc', 'shutdown', 'fltmc']);

export class SimVm {
  readonly name: string;
  readonly state: VmState;
  private guestOs: GuestOs;
  /** The kernel of the running guest, working on `state.kernel`; null when off. */
  private kernel: Kernel | null = null;
  private link: DebugLink | null = null;
  /** What the open link talks to: the kernel of the current boot, in this VM. */
  private target: KernelDebugTarget | null = null;
  /** A guest command waiting for the debugger's answer to Driver Verifier's question. */
  private question: { answered: () => void; gone: (error: Error) => void } | null = null;

  constructor(
    private readonly options: VmOptions,
    state?: VmState,
  ) {
    this.name = options.name;
    this.state = state ?? this.freshState();
    this.guestOs = new GuestOs(this.state.guest, options.env);
    this.adoptKernel(this.state.kernel);
    if (this.state.bootDebug?.debug && this.state.power !== 'Off') this.openLink();
  }

  /** Takes a saved kernel state (the state file's, a checkpoint's) as the running kernel, validated. */
  private adoptKernel(saved: KernelState | null): void {
    const s = this.state;
    if (saved === null) {
      this.kernel = null;
      s.kernel = null;
      return;
    }
    try {
      this.kernel = restoreKernel(saved);
    } catch (cause) {
      throw new Error(
        `the saved kernel state of VM '${this.name}' is not one this version reads; remove the lab's state file to start from the baseline`,
        { cause },
      );
    }
    s.kernel = this.kernel.state;
  }

  private get time(): SimTime {
    return this.options.time;
  }

  private fault<K extends LabFault['kind']>(kind: K): Extract<LabFault, { kind: K }> | undefined {
    return this.options.faults.find((f): f is Extract<LabFault, { kind: K }> => f.kind === kind);
  }

  private freshState(): VmState {
    return {
      id: randomUUID(),
      power: 'Off',
      phase: 'off',
      phaseEndsAt: null,
      afterShutdown: null,
      runningSince: null,
      suspended: null,
      frozenFrom: null,
      scheduledShutdown: null,
      guest: baselineGuest(this.options.env, this.time.iso()),
      kernel: null,
      kernelClockAt: null,
      crash: null,
      hang: null,
      bootDebug: null,
      comPorts: { 1: null, 2: null },
      effectiveComPorts: { 1: null, 2: null },
      checkpoints: [],
      currentCheckpoint: null,
    };
  }

  /** The embedded lab's starting point: powered on, booted, and the baseline checkpoint taken. */
  async poweredOnAndBooted(baseline: string | null): Promise<void> {
    const s = this.state;
    s.power = 'Running';
    s.runningSince = this.time.now();
    await this.beginBoot(this.time.now());
    s.phaseEndsAt = this.time.now();
    await this.settle();
    if (baseline !== null) this.takeCheckpoint(baseline);
  }

  get guest(): GuestOs {
    return this.guestOs;
  }

  /** The settings the last boot read from the BCD (for the debug link), or null before a boot. */
  get bootDebugSettings(): EffectiveDebugSettings | null {
    return this.state.bootDebug;
  }

  // ---------------------------------------------------------------- observation

  uptimeSeconds(): number {
    const s = this.state;
    if (s.suspended) return s.suspended.uptimeMs / 1000;
    return s.runningSince === null ? 0 : Math.max(0, this.time.now() - s.runningSince) / 1000;
  }

  /** Lab seconds since the guest OS last booted (what the kernel counts; Hyper-V's uptime counts from power-on). */
  guestUptimeSeconds(at: number = this.time.now()): number {
    const booted = this.state.bootDebug?.bootedAt;
    return booted === undefined || this.state.power === 'Off' ? 0 : Math.max(0, at - booted) / 1000;
  }

  /** Heartbeat status as Hyper-V names it, or null when the VM is not running. */
  heartbeat(): string | null {
    const s = this.state;
    if (s.power === 'Paused' || s.power === 'Saved' || s.power === 'Off') return null;
    if (s.power !== 'Running') return 'NoContact';
    if (this.fault('heartbeat-never')) return 'NoContact';
    if (s.phase === 'up') return 'OkApplicationsHealthy';
    return s.phase === 'booting' ? 'NoContact' : 'LostCommunication';
  }

  async status(): Promise<{ power: PowerState; heartbeat: string | null; uptimeSeconds: number }> {
    await this.settle();
    return { power: this.state.power, heartbeat: this.heartbeat(), uptimeSeconds: this.uptimeSeconds() };
  }

  /**
   * The lab time of the VM's next transition that happens by itself (a boot, a shutdown, a dump
   * finishing; a scheduled shutdown starting), or null when it waits for nothing.
   */
  nextTransitionAt(): number | null {
    const s = this.state;
    if (s.power !== 'Running') return null;
    const due = [s.phaseEndsAt, s.phase === 'up' ? (s.scheduledShutdown?.at ?? null) : null].filter(
      (t): t is number => t !== null,
    );
    return due.length > 0 ? Math.min(...due) : null;
  }

  /** Settles the transitions lab time has made due (boot done, shutdown done, dump written). */
  async settle(): Promise<void> {
    const s = this.state;
    for (let step = 0; step < 64; step += 1) {
      const now = this.time.now();
      if (s.scheduledShutdown && s.power === 'Running' && s.phase === 'up' && now >= s.scheduledShutdown.at) {
        const { reboot, at } = s.scheduledShutdown;
        s.scheduledShutdown = null;
        this.beginShutdown(at, reboot ? 'reboot' : 'off');
        continue;
      }
      if (s.power !== 'Running' || s.phaseEndsAt === null || now < s.phaseEndsAt) break;
      const at = s.phaseEndsAt;
      s.phaseEndsAt = null;
      if (s.phase === 'booting') {
        s.phase = 'up';
        this.guestOs.bootCompleted(this.time.iso(at));
      } else if (s.phase === 'shutting-down') {
        // The debugger was told when the shutdown began.
        this.dropLink();
        this.guestOs.poweredOff(null);
        if (s.afterShutdown === 'reboot') await this.beginBoot(at);
        else this.powerOff();
      } else if (s.phase === 'dumping') {
        this.closeLink('bugcheck-reboot');
        this.guestOs.poweredOff(null);
        if (this.guestOs.autoReboot()) await this.beginBoot(at);
        else s.phase = 'halted';
      }
    }
  }

  /**
   * The running kernel, with lab time caught up: the time the guest ran since the kernel was last
   * looked at reaches it (waiting threads age); time stopped in the debugger or suspended does not.
   * Everything that uses the kernel goes through here, so merely looking at the VM changes nothing.
   */
  private currentKernel(): Kernel | null {
    const s = this.state;
    const kernel = this.kernel;
    if (!kernel) return null;
    const now = this.time.now();
    if (s.kernelClockAt !== null && s.power === 'Running' && s.phase !== 'frozen') {
      kernel.elapse(Math.max(0, now - s.kernelClockAt) / 1000);
    }
    s.kernelClockAt = now;
    return kernel;
  }

  /** The kernel's state as of now (what a debugger attached now would read), or null when off. */
  kernelState(): KernelState | null {
    return this.currentKernel()?.state ?? null;
  }

  private bootMs(): number {
    const slow = this.fault('slow-boot');
    return (slow ? slow.bootSeconds : this.options.timings.bootSeconds) * 1000;
  }

  /**
   * A boot starts at lab time `at`: the guest applies what was pending, the kernel boots with the
   * facts of this boot, the debug link opens (when debugging is on), and the boot drivers load in
   * load order — any of them may bugcheck or hang the boot.
   */
  private async beginBoot(at: number): Promise<void> {
    const s = this.state;
    s.phase = 'booting';
    s.phaseEndsAt = at + this.bootMs();
    s.crash = null;
    s.hang = null;
    s.frozenFrom = null;
    s.scheduledShutdown = null;
    const boot = this.guestOs.boot();
    s.bootDebug = { ...boot.debug, bootedAt: at, comPipes: { ...s.effectiveComPorts } };
    const kernel = createKernel(boot.facts);
    this.kernel = kernel;
    s.kernel = kernel.state;
    s.kernelClockAt = at;
    this.openLink();
    for (const driver of boot.drivers) {
      const outcome = kernel.apply({ kind: 'driver-loaded', driver });
      if (outcome.kind === 'bugcheck') {
        this.crash(outcome, at, true);
        return;
      }
      if (outcome.kind === 'hang') {
        // A driver that never returns from loading: the boot never completes.
        s.hang = { what: outcome.what };
        s.phaseEndsAt = null;
        return;
      }
    }
  }

  private beginShutdown(at: number, then: 'reboot' | 'off'): void {
    const s = this.state;
    s.phase = 'shutting-down';
    s.afterShutdown = then;
    s.phaseEndsAt = at + this.options.timings.shutdownSeconds * 1000;
    this.link?.notify({ kind: 'going-down', reason: then === 'reboot' ? 'reboot' : 'power-off' });
  }

  private powerOff(): void {
    const s = this.state;
    s.power = 'Off';
    s.phase = 'off';
    s.phaseEndsAt = null;
    s.afterShutdown = null;
    s.runningSince = null;
    s.suspended = null;
    s.frozenFrom = null;
    s.scheduledShutdown = null;
    s.crash = null;
    s.hang = null;
    this.kernel = null;
    s.kernel = null;
    s.kernelClockAt = null;
  }

  // ---------------------------------------------------------------- the debug link

  /** Opens the target end of the debug link for the current boot, when the boot turned debugging on. */
  private openLink(): void {
    this.dropLink();
    const settings = this.state.bootDebug;
    if (!this.options.links || !settings?.debug || !this.kernel) return;
    this.target = new KernelDebugTarget(this.targetVm());
    this.link = this.options.links.open({ name: this.name, target: this.target }, settings);
  }

  /** Tells the debugger the target goes down, and closes the link. */
  private closeLink(reason: 'reboot' | 'power-off' | 'bugcheck-reboot'): void {
    this.link?.notify({ kind: 'going-down', reason });
    this.dropLink();
  }

  /** Closes the link without a word (the debugger was told already, or the VM is saved). */
  private dropLink(): void {
    this.link?.close();
    this.link = null;
    this.target = null;
    // A command waiting for the debugger's answer goes down with the guest.
    const question = this.question;
    this.question = null;
    question?.gone(new GuestDown(`VM '${this.name}' went down while Driver Verifier waited for an answer`));
  }

  /** What the debugger's commands do to this VM (the kernel's debug target calls these). */
  private targetVm(): TargetVm {
    const changed = async () => {
      await this.options.persist?.();
    };
    return {
      kernel: () => {
        const kernel = this.currentKernel();
        if (!kernel) throw new Error(`VM '${this.name}' is off: its debug link should be closed`);
        return kernel;
      },
      isStopped: () => this.state.phase === 'frozen',
      stop: async () => {
        await this.settle();
        this.freeze();
      },
      resume: async () => {
        const s = this.state;
        if (s.phase !== 'frozen') return;
        // The time spent stopped in the debugger does not reach the kernel's clock.
        this.currentKernel();
        if (s.crash) this.writeDump(this.time.now());
        else this.thaw();
        await changed();
      },
      answerVerifier: async (choice) => {
        const kernel = this.currentKernel();
        if (!kernel) return '';
        const answer = kernel.answerVerifier(choice);
        // `b` leaves the target broken in; any other answer lets it (and the waiting command) go on.
        if (answer.runs) this.thaw();
        await changed();
        return answer.runs ? answer.text : `${answer.text}${verifierBreakText(kernel.state)}`;
      },
      reboot: async () => {
        const code = this.state.crash ? (this.kernel?.state.crash?.code ?? 0) : 0;
        this.closeLink('reboot');
        this.guestOs.poweredOff({ bugcheckCode: code });
        await this.beginBoot(this.time.now());
        await changed();
      },
      crashed: async (outcome) => {
        if (outcome.kind === 'bugcheck') this.crash(outcome, this.time.now(), false);
        await changed();
      },
      changed,
      uptimeSeconds: () => this.guestUptimeSeconds(),
    };
  }

  /** The guest stops where it is (in the debugger): its phase waits until thaw(). */
  private freeze(): void {
    const s = this.state;
    if (s.phase === 'frozen' || s.power !== 'Running') return;
    this.currentKernel();
    const remaining = s.phaseEndsAt === null ? null : Math.max(0, s.phaseEndsAt - this.time.now());
    s.frozenFrom = { phase: s.phase, remainingMs: remaining };
    s.phase = 'frozen';
    s.phaseEndsAt = null;
  }

  /** The guest runs on from where freeze() stopped it; a command waiting on the verifier goes on. */
  private thaw(): void {
    const s = this.state;
    if (s.phase === 'frozen' && s.frozenFrom) {
      const now = this.time.now();
      s.phase = s.frozenFrom.phase;
      s.phaseEndsAt = s.frozenFrom.remainingMs === null ? null : now + s.frozenFrom.remainingMs;
      s.frozenFrom = null;
    }
    const question = this.question;
    this.question = null;
    question?.answered();
  }

  /**
   * Driver Verifier reports a non-fatal I/O error: with a debugger attached the target prints it
   * and, unless zapped, stops to ask (the guest command waits for the answer); without one the
   * error is ignored, as Windows ignores a non-fatal verifier error when no debugger listens.
   */
  private verifierError(outcome: Extract<KernelOutcome, { kind: 'verifier-error' }>): Promise<void> {
    const link = this.link;
    if (!link?.attached()) return Promise.resolve();
    if (!outcome.ask) {
      link.notify({ kind: 'print', text: outcome.text });
      return Promise.resolve();
    }
    this.freeze();
    const waiting = new Promise<void>((answered, gone) => {
      this.question = { answered, gone };
    });
    link.notify({ kind: 'verifier-question', text: `${outcome.text}${VERIFIER_PROMPT}` });
    return waiting;
  }

  // ---------------------------------------------------------------- kernel outcomes

  /**
   * A bugcheck: with a debugger attached the target stops (and the debugger is told, unless it
   * caused the bugcheck itself with .crash); without, the dump is written and the VM reboots.
   */
  private crash(outcome: Extract<KernelOutcome, { kind: 'bugcheck' }>, at: number, announce: boolean): void {
    const s = this.state;
    // A fresh id per crash, derived so that the same lab run writes the same reports.
    s.crash = { reportId: stableGuid(`${this.name}/report/${s.guest.bootCount}/${at}`), at };
    s.scheduledShutdown = null;
    if (this.link?.attached()) {
      s.phase = 'frozen';
      s.phaseEndsAt = null;
      s.frozenFrom = null;
      const event = this.target?.noteOutcome(outcome);
      if (announce && event) this.link.notify(event);
      return;
    }
    this.writeDump(at);
  }

  /** Writes MEMORY.DMP and a minidump from the kernel state (the guest decides whether it can), then the VM reboots. */
  private writeDump(at: number): void {
    const s = this.state;
    const c = s.crash as CrashState;
    const state = this.kernel?.state;
    const bugcheck = state?.crash;
    if (!state || !bugcheck) throw new Error(`VM '${this.name}' has no bugchecked kernel to write a dump of`);
    const moment = { crashTime: this.time.date(c.at), uptimeSeconds: this.guestUptimeSeconds(c.at) };
    this.guestOs.recordCrash({
      code: bugcheck.code,
      args: bugcheck.args,
      reportId: c.reportId,
      crashTime: moment.crashTime,
      dump: (kind) => writeDump(state, kind, moment),
    });
    s.phase = 'dumping';
    s.phaseEndsAt = at + DURATIONS.dump;
  }

  /** The GuestHost a guest command runs with: kernel decisions, shutdown scheduling, its time and output. */
  private guestHost(io: GuestCommandIo): GuestHost {
    return {
      sleep: (ms) => this.time.sleep(ms, io.signal),
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

  // ---------------------------------------------------------------- power operations

  private refuseDuringTransition(cmdlet: HyperVCmdlet): void {
    if (this.state.power === 'Starting' || this.state.power === 'Stopping') throw invalidState(cmdlet);
  }

  /** Start-VM: Off boots, Saved resumes, Running is left as it is; Paused and transitions are refused. */
  async start(): Promise<void> {
    await this.settle();
    const s = this.state;
    this.refuseDuringTransition('StartVM');
    if (s.power === 'Running') return;
    if (s.power === 'Paused') throw invalidState('StartVM');
    const fromSaved = s.power === 'Saved';
    s.power = 'Starting';
    await this.time.sleep(fromSaved ? DURATIONS.resume : DURATIONS.powerOn);
    // The kernel of a saved VM takes up its clock from now: the time saved does not reach it.
    this.currentKernel();
    s.power = 'Running';
    const now = this.time.now();
    if (fromSaved && s.suspended) {
      s.runningSince = now - s.suspended.uptimeMs;
      s.phaseEndsAt = s.suspended.remainingMs === null ? null : now + s.suspended.remainingMs;
      s.suspended = null;
      if (s.bootDebug?.debug) this.openLink();
      return;
    }
    s.effectiveComPorts = { ...s.comPorts };
    s.runningSince = now;
    await this.beginBoot(now);
  }

  /** Stop-VM -Force (through the guest when it is up) or -TurnOff (pull the power). */
  async stop(turnOff: boolean): Promise<void> {
    await this.settle();
    const s = this.state;
    this.refuseDuringTransition('StopVM');
    if (s.power === 'Off') return;
    if ((s.power === 'Saved' || s.power === 'Paused') && !turnOff) throw invalidState('StopVM');
    if (!turnOff && s.power === 'Running' && s.phase === 'up') {
      s.power = 'Stopping';
      this.link?.notify({ kind: 'going-down', reason: 'power-off' });
      await this.time.sleep(this.options.timings.shutdownSeconds * 1000);
      this.dropLink();
      this.guestOs.poweredOff(null);
      this.powerOff();
      return;
    }
    // Pulling the power (or -Force on a guest that cannot shut down): an unclean shutdown.
    const wasRunning = s.power === 'Running' && s.phase !== 'off';
    this.closeLink('power-off');
    this.guestOs.poweredOff(wasRunning ? { bugcheckCode: 0 } : null);
    this.powerOff();
  }

  /** Restart-VM -Force: a hard reset of a running VM. */
  async restart(): Promise<void> {
    await this.settle();
    const s = this.state;
    if (s.power !== 'Running') throw invalidState('RestartVM');
    this.closeLink('reboot');
    this.guestOs.poweredOff({ bugcheckCode: 0 });
    s.runningSince = this.time.now();
    await this.beginBoot(this.time.now());
  }

  /** Save-VM: memory to disk, the VM stops. */
  async save(): Promise<void> {
    await this.settle();
    const s = this.state;
    if (s.power !== 'Running') throw invalidState('StopVM');
    this.suspend();
    this.dropLink();
    s.power = 'Saved';
  }

  /** Suspend-VM. */
  async pause(): Promise<void> {
    await this.settle();
    if (this.state.power !== 'Running') throw invalidState('StopVM');
    this.suspend();
    this.state.power = 'Paused';
  }

  /** Resume-VM. */
  async resume(): Promise<void> {
    const s = this.state;
    if (s.power !== 'Paused' || !s.suspended) throw invalidState('StartVM');
    const now = this.time.now();
    this.currentKernel();
    s.power = 'Running';
    s.runningSince = now - s.suspended.uptimeMs;
    s.phaseEndsAt = s.suspended.remainingMs === null ? null : now + s.suspended.remainingMs;
    s.suspended = null;
  }

  private suspend(): void {
    const s = this.state;
    const now = this.time.now();
    this.currentKernel();
    s.suspended = {
      remainingMs: s.phaseEndsAt === null ? null : Math.max(0, s.phaseEndsAt - now),
      uptimeMs: this.uptimeSeconds() * 1000,
    };
    s.phaseEndsAt = null;
  }

  /** Debug-VM -InjectNonMaskableInterrupt: only a running VM takes one. */
  async injectNmi(): Promise<void> {
    await this.settle();
    if (this.state.power !== 'Running') throw nmiRefused();
    if (this.state.phase === 'frozen' || this.state.phase === 'dumping' || this.state.phase === 'halted')
      return;
    const kernel = this.currentKernel();
    if (!kernel) throw new Error(`VM '${this.name}' runs without a booted kernel`);
    const outcome = kernel.apply({ kind: 'nmi' });
    if (outcome.kind === 'bugcheck') this.crash(outcome, this.time.now(), true);
  }

  // ---------------------------------------------------------------- checkpoints

  private snapshot(): VmSnapshot {
    const s = this.state;
    const now = this.time.now();
    this.currentKernel();
    return structuredClone({
      power: s.power,
      phase: s.phase,
      phaseRemainingMs: s.suspended
        ? s.suspended.remainingMs
        : s.phaseEndsAt === null
          ? null
          : Math.max(0, s.phaseEndsAt - now),
      afterShutdown: s.afterShutdown,
      uptimeMs: this.uptimeSeconds() * 1000,
      frozenFrom: s.frozenFrom,
      shutdownInMs: s.scheduledShutdown
        ? { reboot: s.scheduledShutdown.reboot, inMs: Math.max(0, s.scheduledShutdown.at - now) }
        : null,
      guest: s.guest,
      kernel: s.kernel,
      crash: s.crash,
      hang: s.hang,
      bootDebug: s.bootDebug,
    });
  }

  private takeCheckpoint(name: string): CheckpointState {
    const checkpoint: CheckpointState = {
      id: randomUUID(),
      name,
      created: this.time.iso(),
      parentId: this.state.currentCheckpoint,
      snapshot: this.snapshot(),
    };
    this.state.checkpoints.push(checkpoint);
    this.state.currentCheckpoint = checkpoint.id;
    return checkpoint;
  }

  /** Checkpoint-VM: a standard checkpoint of the whole VM, memory included when it runs. */
  async checkpoint(name: string): Promise<CheckpointState> {
    await this.settle();
    this.refuseDuringTransition('CheckpointVM');
    await this.time.sleep(DURATIONS.checkpoint);
    return this.takeCheckpoint(name);
  }

  checkpoints(name?: string): CheckpointState[] {
    const all = this.state.checkpoints;
    if (name === undefined) return all;
    const pattern = new RegExp(
      `^${name
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    );
    const found = all.filter((c) => pattern.test(c.name));
    if (found.length === 0) throw snapshotNotFound('GetVMSnapshot');
    return found;
  }

  parentName(checkpoint: CheckpointState): string | null {
    return this.state.checkpoints.find((c) => c.id === checkpoint.parentId)?.name ?? null;
  }

  private findCheckpoint(name: string, cmdlet: HyperVCmdlet): CheckpointState {
    const matches = this.state.checkpoints.filter((c) => c.name.toLowerCase() === name.toLowerCase());
    const found = matches[matches.length - 1];
    if (!found) throw snapshotNotFound(cmdlet);
    return found;
  }

  /** Restore-VMCheckpoint: the whole VM returns to the checkpoint; a running one comes back running. */
  async restore(name: string): Promise<void> {
    await this.settle();
    this.refuseDuringTransition('RestoreVMSnapshot');
    const checkpoint = this.findCheckpoint(name, 'RestoreVMSnapshot');
    await this.time.sleep(this.options.timings.restoreSeconds * 1000);
    this.closeLink('power-off');
    const snap = structuredClone(checkpoint.snapshot);
    const s = this.state;
    const now = this.time.now();
    s.power = snap.power;
    s.phase = snap.phase;
    s.afterShutdown = snap.afterShutdown;
    s.frozenFrom = snap.frozenFrom;
    s.crash = snap.crash;
    s.hang = snap.hang;
    s.bootDebug = snap.bootDebug;
    s.scheduledShutdown = snap.shutdownInMs
      ? { reboot: snap.shutdownInMs.reboot, at: now + snap.shutdownInMs.inMs }
      : null;
    if (snap.power === 'Saved' || snap.power === 'Paused') {
      s.suspended = { remainingMs: snap.phaseRemainingMs, uptimeMs: snap.uptimeMs };
      s.phaseEndsAt = null;
      s.runningSince = null;
    } else {
      s.suspended = null;
      s.phaseEndsAt = snap.phaseRemainingMs === null ? null : now + snap.phaseRemainingMs;
      s.runningSince = snap.power === 'Off' ? null : now - snap.uptimeMs;
    }
    s.guest = snap.guest;
    this.guestOs = new GuestOs(s.guest, this.options.env);
    this.adoptKernel(snap.kernel);
    s.kernelClockAt = s.kernel ? now : null;
    s.currentCheckpoint = checkpoint.id;
    if (s.power === 'Running' && s.bootDebug?.debug) this.openLink();
  }

  /** Remove-VMCheckpoint: its children move to its parent. */
  async removeCheckpoint(name: string): Promise<string> {
    await this.settle();
    const checkpoint = this.findCheckpoint(name, 'RemoveVMSnapshot');
    const s = this.state;
    for (const c of s.checkpoints) if (c.parentId === checkpoint.id) c.parentId = checkpoint.parentId;
    if (s.currentCheckpoint === checkpoint.id) s.currentCheckpoint = checkpoint.parentId;
    s.checkpoints = s.checkpoints.filter((c) => c !== checkpoint);
    return checkpoint.name;
  }

  // ---------------------------------------------------------------- PowerShell Direct and the guest

  /** The checks of a PowerShell Direct session: the credential, then a guest that is up. */
  private async session(credential: { user: string; password: string }): Promise<void> {
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
  private async whileStopped(): Promise<void> {
    while (this.state.phase === 'frozen' && this.state.power === 'Running') {
      await this.time.sleep(this.options.timings.commandSeconds * 1000);
      await this.settle();
    }
  }

  /** Test-VMPowerShellDirect: the guest's name and boot time. */
  async probe(credential: {
    user: string;
    password: string;
  }): Promise<{ computerName: string; bootTime: string }> {
    await this.session(credential);
    await this.time.sleep(this.options.timings.commandSeconds * 1000);
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
    await this.time.sleep(this.options.timings.commandSeconds * 1000);
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
    await this.time.sleep(this.options.timings.commandSeconds * 1000 + count * 0.05);
    return this.guestOs.fs.createItems(directory, prefix, count, kind, this.time.iso());
  }

  async removeItem(credential: { user: string; password: string }, path: string): Promise<boolean> {
    await this.session(credential);
    await this.time.sleep(this.options.timings.commandSeconds * 1000);
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
