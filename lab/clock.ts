/**
 * Lab time.
 *
 * Every wait and timeout in the harness is expressed in lab time (milliseconds). On a real
 * Hyper-V host lab time is wall time (`wallClock`). The embedded lab and the tests run on virtual
 * time (`virtualClock`): a discrete-event clock that never sleeps for real. Pending sleeps are kept
 * in deadline order, and when nothing else in the process is left to run the clock jumps to the
 * earliest deadline and wakes that sleeper — so concurrent waits (a command racing its time limit)
 * end in lab-time order, a 40 s boot costs no wall time, and how loaded the machine is can never
 * change which wait ends first (docs/adr/0004-virtual-lab-time.md).
 *
 * A virtual clock cannot see into other processes, so a wait on another process (a PowerShell
 * operation, the debugger's reply) is bounded in wall time instead, by `wallTimeout`: on a real
 * lab that is the lab time itself; on the embedded lab it is a generous budget that only a lab
 * fault (a hung simulator) ever reaches.
 */
export interface LabClock {
  /** Lab milliseconds since the clock's origin (monotonic). */
  now(): number;
  /** Waits `labMs` of lab time; rejects with the signal's reason when it aborts. */
  sleep(labMs: number, signal?: AbortSignal): Promise<void>;
  /** The wall time to allow a wait on another process whose lab-time limit is `labMs`. */
  wallTimeout(labMs: number): number;
  /**
   * The wall time to watch another process for something that must not happen within `labMs`
   * (a debugger that must not connect): the lab time on a real lab, a short window on virtual time.
   */
  wallWatch(labMs: number): number;
}

/** Where a virtual clock keeps its time: in memory, or shared with other processes (lab/sim/shared-time.ts). */
export interface TimeStore {
  read(): number;
  /** Moves the time to `labMs` if that is later; returns the time after. */
  advanceTo(labMs: number): number;
}

/** A virtual clock: sleeps end in lab-time order when the process is otherwise idle. */
export interface VirtualClock extends LabClock {
  /** Moves the time forward by `labMs` (a test's hand on the clock); due sleepers wake in order. */
  advance(labMs: number): void;
  /** Moves the time to `labMs` if that is later (time learnt from another process). */
  advanceTo(labMs: number): void;
  /**
   * A sleep a hold keeps back: it does not end while the clock is held, even when other sleeps
   * move the time past its deadline (it ends, overdue, once the hold is released).
   */
  sleepHeld(labMs: number, signal?: AbortSignal): Promise<void>;
  /**
   * Holds back the `sleepHeld` sleeps until the returned release is called: something outside
   * this process (a debugger holding a stopped guest) decides what happens to them next, not the
   * passing of time. Other sleeps go on.
   */
  hold(): () => void;
  /** The earliest pending sleep's deadline, or null when nothing sleeps. */
  nextDeadline(): number | null;
}

export interface VirtualClockOptions {
  /** Where the time is kept; an in-memory store starting at 0 when absent. */
  store?: TimeStore;
  /**
   * The least wall budget of a wait on another process (see LabClock.wallTimeout); 30 s when
   * absent. A long lab-time limit gets a wall millisecond per lab second on top of it.
   */
  wallBudgetMs?: number;
  /** The wall window of a watch for something that must not happen; 500 ms when absent. */
  watchMs?: number;
  /**
   * Wall milliseconds to spend per lab millisecond before each jump (0 when absent): only a test
   * that needs a host slow in wall time (an operation still running when its shell is killed) sets it.
   */
  pace?: number;
}

/** An in-memory time store. */
export function memoryTime(start = 0): TimeStore {
  let now = start;
  return {
    read: () => now,
    advanceTo: (labMs) => {
      now = Math.max(now, labMs);
      return now;
    },
  };
}

interface Sleeper {
  at: number;
  order: number;
  /** Kept back while the clock is held (sleepHeld). */
  held: boolean;
  wake: () => void;
}

/** A discrete-event lab clock (see the header). */
export function virtualClock(options: VirtualClockOptions = {}): VirtualClock {
  const store = options.store ?? memoryTime();
  const wallBudgetMs = options.wallBudgetMs ?? 30_000;
  const watchMs = options.watchMs ?? 500;
  const pace = options.pace ?? 0;
  const sleepers: Sleeper[] = [];
  let order = 0;
  let holds = 0;
  let scheduled = false;

  /** The earliest sleeper that may end now (a held-back one not while the clock is held). */
  const earliest = (): Sleeper | undefined => {
    let best: Sleeper | undefined;
    for (const s of sleepers) {
      if (s.held && holds > 0) continue;
      if (!best || s.at < best.at || (s.at === best.at && s.order < best.order)) best = s;
    }
    return best;
  };
  const remove = (sleeper: Sleeper): void => {
    const i = sleepers.indexOf(sleeper);
    if (i >= 0) sleepers.splice(i, 1);
  };
  /** Wakes every sleeper whose deadline the time has reached, in deadline order. */
  const wakeDue = (): void => {
    const now = store.read();
    for (let next = earliest(); next && next.at <= now; next = earliest()) {
      remove(next);
      next.wake();
    }
  };
  // Two turns of the event loop with nothing woken: whatever was runnable (promise chains, I/O
  // callbacks that were ready, other immediates) has run, so the process waits on the clock alone.
  const jump = (): void => {
    scheduled = false;
    const next = earliest();
    if (!next) return;
    const go = (): void => {
      store.advanceTo(next.at);
      wakeDue();
      schedule();
    };
    const wallMs = (next.at - store.read()) * pace;
    if (wallMs > 0) {
      scheduled = true;
      setTimeout(() => {
        scheduled = false;
        go();
      }, wallMs);
    } else go();
  };
  const schedule = (): void => {
    if (scheduled || !earliest()) return;
    scheduled = true;
    setImmediate(() => setImmediate(jump));
  };
  const sleep = (labMs: number, signal: AbortSignal | undefined, held: boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        remove(sleeper);
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        at: store.read() + Math.max(0, labMs),
        order: order++,
        held,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
      schedule();
    });

  return {
    now: () => store.read(),
    sleep: (labMs, signal) => sleep(labMs, signal, false),
    sleepHeld: (labMs, signal) => sleep(labMs, signal, true),
    wallTimeout: (labMs) => Math.max(labMs / 1000, wallBudgetMs),
    wallWatch: (labMs) => Math.min(labMs, watchMs),
    advance: (labMs) => {
      store.advanceTo(store.read() + labMs);
      wakeDue();
    },
    advanceTo: (labMs) => {
      store.advanceTo(labMs);
      wakeDue();
    },
    hold: () => {
      holds += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holds -= 1;
        schedule();
      };
    },
    nextDeadline: () => earliest()?.at ?? null,
  };
}

/** Lab time on a real lab: wall time. */
export function wallClock(): LabClock {
  const origin = performance.now();
  return {
    now: () => performance.now() - origin,
    sleep: (labMs, signal) => wallSleep(labMs, signal),
    wallTimeout: (labMs) => labMs,
    wallWatch: (labMs) => labMs,
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
