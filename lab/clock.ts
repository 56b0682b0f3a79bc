/**
 * Lab time.
 *
 * Every wait and timeout in the harness is expressed in lab time (milliseconds). On a real
 * Hyper-V host lab time is wall time (factor 1). The embedded lab runs faster than the wall clock
 * by a factor from its lab file, so a 40 s boot takes 40 ms at factor 1000 and the same harness
 * code serves both without sleeping for real minutes.
 *
 * The factor cannot compress work that really happens (starting a process, a loaded CI machine),
 * so every timeout also gets a minimum of wall time, the `graceMs` of the clock.
 */
export interface LabClock {
  /** Lab milliseconds that pass per wall millisecond (1 on a real host). */
  readonly factor: number;
  /** The least wall time any lab timeout is given, however short it is in lab time. */
  readonly graceMs: number;
  /** Lab milliseconds since the clock was made (monotonic). */
  now(): number;
  /** Waits `labMs` of lab time. */
  sleep(labMs: number, signal?: AbortSignal): Promise<void>;
  /** The wall time to allow for a lab-time timeout: labMs / factor, but never less than graceMs. */
  wallTimeout(labMs: number): number;
}

export interface ClockOptions {
  factor?: number;
  graceMs?: number;
}

/** A clock on the process's monotonic time, scaled by `factor`. */
export function scaledClock(options: ClockOptions = {}): LabClock {
  const factor = options.factor ?? 1;
  const graceMs = options.graceMs ?? 0;
  if (!(factor > 0) || !Number.isFinite(factor)) {
    throw new RangeError(`A lab clock factor must be a positive finite number, not ${factor}.`);
  }
  const origin = performance.now();
  return {
    factor,
    graceMs,
    now: () => (performance.now() - origin) * factor,
    sleep: (labMs, signal) => wallSleep(labMs / factor, signal),
    wallTimeout: (labMs) => Math.max(labMs / factor, graceMs),
  };
}

/** Resolves after `ms` wall milliseconds, or rejects with the signal's reason when it aborts. */
export function wallSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** "40 s", "1.5 min", "250 ms": a lab duration for messages, from lab milliseconds. */
export function formatLabDuration(labMs: number): string {
  if (labMs < 1000) return `${Math.round(labMs)} ms`;
  const seconds = labMs / 1000;
  if (seconds < 120) return `${Number(seconds.toFixed(seconds < 10 ? 1 : 0))} s`;
  return `${Number((seconds / 60).toFixed(1))} min`;
}
