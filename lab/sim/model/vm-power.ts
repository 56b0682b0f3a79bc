import { type HyperVCmdlet, invalidState, nmiRefused } from './errors.js';
import { VmCrashes } from './vm-crashes.js';
import { DURATIONS } from './vm-state.js';

/** The VM's layer for Start-VM, Stop-VM, Restart-VM, Save-VM, Suspend-VM, Resume-VM and NMIs. */
export abstract class VmPower extends VmCrashes {
  // ---------------------------------------------------------------- power operations

  protected refuseDuringTransition(cmdlet: HyperVCmdlet): void {
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
      await this.time.sleep(this.options.timings.shutdown);
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

  protected suspend(): void {
    const s = this.state;
    const now = this.time.now();
    this.currentKernel();
    s.suspended = {
      remainingMs: s.phaseEndsAt === null ? null : Math.max(0, s.phaseEndsAt - now),
      uptimeMs: this.uptimeMs(),
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
}
