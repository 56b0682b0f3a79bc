/**
 * How a run stops when its user asks: the first SIGINT or SIGTERM stops scheduling (a stop file
 * every scenario looks for before it starts) and gives the running scenarios a grace period; after
 * it, or at a second signal, the whole process tree of the run is ended at once.
 *
 * A run started through npm (`npm start`, `npx driverlab`) runs under `npm → sh -c → node`. npm
 * (9.6.7 and later, @npmcli/run-script's signal manager) passes SIGINT and SIGTERM only to its
 * child, the shell: on SIGTERM the shell dies at once and npm exits with it, on SIGINT the shell
 * waits for its command. So a run whose parent went away ends at once, as at a second signal:
 * nobody waits for it any more, and it must not go on writing results behind the user's prompt.
 */
import { writeFileSync } from 'node:fs';

export type StopReason = 'SIGINT' | 'SIGTERM' | 'parent-exited' | 'deadline';

export interface InterruptOptions {
  /** The file whose existence tells every worker to start no more scenarios. */
  stopFile: string;
  /** Wall milliseconds the running scenarios get after the first signal. */
  graceMs: number;
  /** Ends the run's whole process tree at once. */
  abort: () => void;
  /** Tells the user what happens now (one line each). */
  say: (line: string) => void;
  /** Watch the parent process (set when npm started this run). */
  watchParent: boolean;
  /** Wall milliseconds after which the run is stopped as at a first signal (`--deadline`). */
  deadlineMs?: number;
}

/** What happened to the run, read when it ends. */
export interface InterruptState {
  /** The first stop request, or null when the run was never asked to stop. */
  reason: StopReason | null;
  /** True when the run was ended at once (a second signal or the end of the grace period). */
  aborted: boolean;
  /** Removes the signal handlers and timers. */
  dispose: () => void;
}

/** Installs the handlers for one run. */
export function handleInterrupts(options: InterruptOptions): InterruptState {
  const state: InterruptState = { reason: null, aborted: false, dispose: () => {} };
  let grace: NodeJS.Timeout | undefined;
  const abortNow = (why: string) => {
    if (state.aborted) return;
    state.aborted = true;
    options.say(`driverlab: ${why}; ending every process of the run now.`);
    options.abort();
  };
  const stop = (reason: StopReason) => {
    if (state.reason !== null) {
      abortNow(`a second stop request (${reason}) came`);
      return;
    }
    if (reason === 'parent-exited') {
      state.reason = reason;
      writeFileSync(options.stopFile, `${reason}\n`);
      abortNow('the npm process that started this run exited, so nobody waits for the run any more');
      return;
    }
    state.reason = reason;
    writeFileSync(options.stopFile, `${reason}\n`);
    const seconds = Math.round(options.graceMs / 1000);
    options.say(
      `driverlab: ${reason === 'deadline' ? "the run's deadline (--deadline) passed" : `${reason} received`}; no further scenario starts, the running ones get ${seconds} s to finish (a second Ctrl-C ends them at once).`,
    );
    grace = setTimeout(() => abortNow(`the ${seconds} s grace period is over`), options.graceMs);
    grace.unref();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let watcher: NodeJS.Timeout | undefined;
  if (options.watchParent) {
    const parent = process.ppid;
    watcher = setInterval(() => {
      if (process.ppid !== parent) stop('parent-exited');
    }, 250);
    watcher.unref();
  }
  const deadline =
    options.deadlineMs === undefined ? undefined : setTimeout(() => stop('deadline'), options.deadlineMs);
  deadline?.unref();
  state.dispose = () => {
    if (deadline) clearTimeout(deadline);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    if (grace) clearTimeout(grace);
    if (watcher) clearInterval(watcher);
  };
  return state;
}

/** Ends a process group (POSIX) or the process itself (Windows), ignoring one that is gone. */
export function killTree(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
