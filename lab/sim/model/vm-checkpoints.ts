/** The simulated VM's checkpoints: standard checkpoints of the whole VM, its guest and kernel. */
import { randomUUID } from 'node:crypto';
import { GuestOs } from '../guest/guest.js';
import { type HyperVCmdlet, snapshotNotFound } from './errors.js';
import { VmPower } from './vm-power.js';
import type { CheckpointState, VmSnapshot } from './vm-state.js';
import { DURATIONS } from './vm-state.js';

/** The VM's layer for checkpoints: taken, listed, restored and removed. */
export abstract class VmCheckpoints extends VmPower {
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

  // ---------------------------------------------------------------- checkpoints

  protected snapshot(): VmSnapshot {
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
      uptimeMs: this.uptimeMs(),
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

  protected takeCheckpoint(name: string): CheckpointState {
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

  protected findCheckpoint(name: string, cmdlet: HyperVCmdlet): CheckpointState {
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
    await this.time.sleep(this.options.timings.restore);
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
    // A restored running guest's KDNET connects again, unless the lab file says this guest's does
    // not (it then stays silent until the guest restarts; a serial link always comes back).
    const silent =
      s.bootDebug?.debugtype === 'NET' && this.options.env.declaration.kdnetAfterRestore === 'silent';
    if (s.power === 'Running' && s.bootDebug?.debug && !silent) this.openLink();
    this.syncDebuggerHold();
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
}
