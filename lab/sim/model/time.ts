/**
 * Time in the simulated lab: lab milliseconds on a virtual clock (lab/clock.ts) — shared with the
 * harness through the session's time file when the host runs as a process, so lab time survives a
 * restart of the host process — and a calendar so the guest has dates (event times, checkpoint
 * times, boot times).
 */
import type { VirtualClock } from '../../clock.js';

export class SimTime {
  constructor(
    readonly clock: VirtualClock,
    /** The calendar time (epoch ms) of lab time 0. */
    readonly calendarOrigin: number,
  ) {}

  now(): number {
    return this.clock.now();
  }

  date(labMs: number = this.now()): Date {
    return new Date(this.calendarOrigin + labMs);
  }

  iso(labMs: number = this.now()): string {
    return this.date(labMs).toISOString();
  }

  sleep(labMs: number, signal?: AbortSignal): Promise<void> {
    return this.clock.sleep(labMs, signal);
  }

  /**
   * A wait of the guest itself (a program's run, a command's time limit, a call stalled on the
   * stopped guest): it stands still while a guest is held stopped in the debugger (see hold).
   */
  guestSleep(labMs: number, signal?: AbortSignal): Promise<void> {
    return this.clock.sleepHeld(labMs, signal);
  }

  /** Keeps the guests' waits (guestSleep) back while something outside the host decides. */
  hold(): () => void {
    return this.clock.hold();
  }
}
