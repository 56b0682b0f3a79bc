/**
 * Lock files for what two driverlab processes on one machine must not use at once: a KDNET
 * endpoint, the embedded run store, the top-level files of reports/. A lock file is created
 * exclusively and names its process; a lock whose process is gone is taken over, and every lock a
 * process holds is removed when it exits, so a killed run never blocks the next one for long.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { wallSleep } from '../clock.js';
import { LabCompromisedError } from '../errors.js';

/** Who holds a lock: the process, when it took it, and where it was started. */
export interface LockOwner {
  pid: number;
  startedAt: string;
  cwd: string;
}

/**
 * The folder of the machine's locks: DRIVERLAB_LOCK_DIR when set (a run hands its own to its
 * workers, whose TMPDIR is the run's private folder), else the temporary folder.
 */
export function machineLockDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DRIVERLAB_LOCK_DIR || tmpdir();
}

/** The process that holds the lock file, or null when there is none or it is half written. */
export function lockOwner(file: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number') return null;
    return { pid: owner.pid, startedAt: String(owner.startedAt ?? '?'), cwd: String(owner.cwd ?? '?') };
  } catch {
    return null;
  }
}

/** Whether a process with this id runs (EPERM: it runs, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const held = new Set<string>();
let exitHook = false;

function releaseOnExit(file: string): void {
  held.add(file);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const f of held) {
      if (lockOwner(f)?.pid === process.pid) rmSync(f, { force: true });
    }
  });
}

/** A lock this process holds. */
export interface HeldLock {
  file: string;
  release(): void;
}

export type LockAttempt = { held: true; lock: HeldLock } | { held: false; owner: LockOwner };

/**
 * Takes the lock once: held, or the live process that holds it. A lock left by a process that is
 * gone is taken over.
 */
export function tryLock(file: string): LockAttempt {
  mkdirSync(dirname(file), { recursive: true });
  const me: LockOwner = { pid: process.pid, startedAt: new Date().toISOString(), cwd: process.cwd() };
  // Written whole beside it, then linked to its name (which fails when the name exists): no
  // process ever reads a lock file half written.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, JSON.stringify(me), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        linkSync(temp, file);
        releaseOnExit(file);
        return {
          held: true,
          lock: {
            file,
            release: () => {
              held.delete(file);
              if (lockOwner(file)?.pid === process.pid) rmSync(file, { force: true });
            },
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = lockOwner(file);
        // Held by a live process, this one included: a lock is never held twice.
        if (owner && isAlive(owner.pid)) return { held: false, owner };
        // Left by a process that is gone: taken over.
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(temp, { force: true });
  }
  return { held: false, owner: lockOwner(file) ?? { pid: 0, startedAt: '?', cwd: '?' } };
}

/** A lock another driverlab process kept for longer than this one could wait. */
export class LockWaitError extends LabCompromisedError {}

/**
 * Takes the lock, waiting (polling, in wall time) while another live process holds it; past
 * `waitMs` a LockWaitError says what is held, by whom, and what to do.
 */
export async function waitForLock(
  file: string,
  options: { waitMs: number; what: string; pollMs?: number },
): Promise<HeldLock> {
  const started = Date.now();
  for (;;) {
    const attempt = tryLock(file);
    if (attempt.held) return attempt.lock;
    if (Date.now() - started >= options.waitMs) {
      const o = attempt.owner;
      throw new LockWaitError(
        `${options.what} is held by another driverlab process (process ${o.pid}, since ${o.startedAt}, started in '${o.cwd}'), which did not let it go within ${Number((options.waitMs / 1000).toFixed(1))} s (lock file '${file}'); wait until that process ends, or end it, and try again.`,
      );
    }
    await wallSleep(options.pollMs ?? 100);
  }
}

/** Runs `work` holding the lock (see waitForLock) and lets it go afterwards, whatever happens. */
export async function withLock<T>(
  file: string,
  options: { waitMs: number; what: string; pollMs?: number },
  work: () => Promise<T>,
): Promise<T> {
  const lock = await waitForLock(file, options);
  try {
    return await work();
  } finally {
    lock.release();
  }
}
