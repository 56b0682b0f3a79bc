/**
 * Time in the simulated lab: lab milliseconds from lab/clock.ts, continued across host processes
 * (the adapter restarts its PowerShell after a timeout; the simulated VMs must not notice), and a
 * calendar so the guest has dates (event times, checkpoint times, boot times).
 */
import type { LabClock } from '../../clock.js';

/** A clock that goes on from `offset` lab ms: lab time survives a restart of the host process. */
export function continuedClock(base: LabClock, offset: number): LabClock {
  return {
    factor: base.factor,
    graceMs: base.graceMs,
    now: () => base.now() + offset,
    sleep: (labMs, signal) => base.sleep(labMs, signal),
    wallTimeout: (labMs) => base.wallTimeout(labMs),
  };
}

export class SimTime {
  constructor(
    readonly clock: LabClock,
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
}
