/**
 * The simulated VM's life cycle, which every other part of it builds on: its state, lab time
 * settling what it made due (a boot finishing, a shutdown completing, a dump written), the kernel
 * of the running guest, boots and shutdowns, and the debug link opened at each boot with
 * debugging on.
 *
 * Time-driven transitions are not timers: the VM settles whatever lab time has made due whenever
 * it is looked at, so its state is plain JSON that survives the host process and restores from
 * checkpoints. The parts: vm-crashes.ts (bugchecks, dumps and the debugger's hand on the VM),
 * vm-power.ts (the power operations), vm-checkpoints.ts, and vm.ts (the guest bridge: PowerShell
 * Direct and guest commands), each a layer over the one before.
 */
import { randomUUID } from 'node:crypto';
import type { LabFault } from '../../config/embedded.js';
import { baselineGuest, GuestDown, GuestOs } from '../guest/guest.js';
import { createKernel, type Kernel, type KernelState, restoreKernel } from '../kernel/index.js';
import { KernelDebugTarget, type TargetVm } from '../kernel/target.js';
import type { KernelOutcome } from '../ports.js';
import type { DebugLink, EffectiveDebugSettings } from './debug-link.js';
import type { SimTime } from './time.js';
import type { PowerState, VmOptions, VmState } from './vm-state.js';

/** The base every layer of the VM builds on: its state and life cycle on the lab clock. */
export abstract class VmCore {
  readonly name: string;
  readonly state: VmState;
  protected guestOs: GuestOs;
  /** The kernel of the running guest, working on `state.kernel`; null when off. */
  protected kernel: Kernel | null = null;
  protected link: DebugLink | null = null;
  /** What the open link talks to: the kernel of the current boot, in this VM. */
  protected target: KernelDebugTarget | null = null;
  /** A guest command waiting for the debugger's answer to Driver Verifier's question. */
  protected question: { answered: () => void; gone: (error: Error) => void } | null = null;
  /** Set while the guest is stopped in an attached debugger: lab time waits for the debugger. */
  private debuggerHold: (() => void) | null = null;

  constructor(
    protected readonly options: VmOptions,
    state?: VmState,
  ) {
    this.name = options.name;
    this.state = state ?? this.freshState();
    this.guestOs = new GuestOs(this.state.guest, options.env);
    this.adoptKernel(this.state.kernel);
    if (this.state.bootDebug?.debug && this.state.power !== 'Off') this.openLink();
  }

  /** Takes a saved kernel state (the state file's, a checkpoint's) as the running kernel, validated. */
  protected adoptKernel(saved: KernelState | null): void {
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

  protected get time(): SimTime {
    return this.options.time;
  }

  protected fault<K extends LabFault['kind']>(kind: K): Extract<LabFault, { kind: K }> | undefined {
    return this.options.faults.find((f): f is Extract<LabFault, { kind: K }> => f.kind === kind);
  }

  protected freshState(): VmState {
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

  get guest(): GuestOs {
    return this.guestOs;
  }

  /** The settings the last boot read from the BCD (for the debug link), or null before a boot. */
  get bootDebugSettings(): EffectiveDebugSettings | null {
    return this.state.bootDebug;
  }

  // ---------------------------------------------------------------- observation

  /** Lab ms since the VM was powered on or reset (what Hyper-V counts), frozen while saved or paused. */
  uptimeMs(): number {
    const s = this.state;
    if (s.suspended) return s.suspended.uptimeMs;
    return s.runningSince === null ? 0 : Math.max(0, this.time.now() - s.runningSince);
  }

  /** The uptime in seconds, the unit Get-VM reports it in. */
  uptimeSeconds(): number {
    return this.uptimeMs() / 1000;
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
    this.syncDebuggerHold();
  }

  /**
   * The running kernel, with lab time caught up: the time the guest ran since the kernel was last
   * looked at reaches it (waiting threads age); time stopped in the debugger or suspended does not.
   * Everything that uses the kernel goes through here, so merely looking at the VM changes nothing.
   */
  protected currentKernel(): Kernel | null {
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

  protected bootMs(): number {
    const slow = this.fault('slow-boot');
    return slow ? slow.boot : this.options.timings.boot;
  }

  /**
   * A boot starts at lab time `at`: the guest applies what was pending, the kernel boots with the
   * facts of this boot, the debug link opens (when debugging is on), and the boot drivers load in
   * load order — any of them may bugcheck or hang the boot.
   */
  protected async beginBoot(at: number): Promise<void> {
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

  protected beginShutdown(at: number, then: 'reboot' | 'off'): void {
    const s = this.state;
    s.phase = 'shutting-down';
    s.afterShutdown = then;
    s.phaseEndsAt = at + this.options.timings.shutdown;
    this.link?.notify({ kind: 'going-down', reason: then === 'reboot' ? 'reboot' : 'power-off' });
  }

  protected powerOff(): void {
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
  protected openLink(): void {
    this.dropLink();
    const settings = this.state.bootDebug;
    if (!this.options.links || !settings?.debug || !this.kernel) return;
    this.target = new KernelDebugTarget(this.targetVm());
    this.link = this.options.links.open({ name: this.name, target: this.target }, settings);
    this.syncDebuggerHold();
  }

  /** Whether the current boot's debug link is open (a debugger may attach to it). */
  hasOpenLink(): boolean {
    return this.link !== null;
  }

  /** Whether a debugger is attached to the current boot's debug link. */
  debuggerAttached(): boolean {
    return this.link?.attached() ?? false;
  }

  /** Tells the debugger the target goes down, and closes the link. */
  protected closeLink(reason: 'reboot' | 'power-off' | 'bugcheck-reboot'): void {
    this.link?.notify({ kind: 'going-down', reason });
    this.dropLink();
  }

  /** Closes the link without a word (the debugger was told already, or the VM is saved). */
  protected dropLink(): void {
    this.link?.close();
    this.link = null;
    this.target = null;
    // A command waiting for the debugger's answer goes down with the guest.
    const question = this.question;
    this.question = null;
    question?.gone(new GuestDown(`VM '${this.name}' went down while Driver Verifier waited for an answer`));
    this.syncDebuggerHold();
  }

  /**
   * A guest stopped in an attached debugger holds the lab clock's guest waits: what happens next is
   * the debugger's to decide, so no wait of the guest (a command stalled on the stopped guest, its
   * time limit) ends by the clock jumping ahead meanwhile. The host's own operations (a restore, a
   * checkpoint of the stopped VM) go on.
   */
  protected syncDebuggerHold(): void {
    const stopped = this.state.phase === 'frozen' && this.state.power === 'Running' && this.link !== null;
    if (stopped && !this.debuggerHold) this.debuggerHold = this.time.hold();
    if (!stopped && this.debuggerHold) {
      this.debuggerHold();
      this.debuggerHold = null;
    }
  }

  /** What the debugger's commands do to this VM (vm-crashes.ts). */
  protected abstract targetVm(): TargetVm;
  /** A bugcheck of the running kernel (vm-crashes.ts). */
  protected abstract crash(
    outcome: Extract<KernelOutcome, { kind: 'bugcheck' }>,
    at: number,
    announce: boolean,
  ): void;
}
