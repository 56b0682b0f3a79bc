/**
 * kd's own logs (`-logo`), one per debugger session, in the lab file's `debugger.logDir` or a
 * temporary folder: kept bounded. A `driverlab run` keeps them in its private temp folder, removed
 * when the run ends; elsewhere (a plain cucumber-js run, a lab file's logDir) the logs of processes
 * that are gone are removed beyond the newest few, kept for a look after a failure.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** How many logs of finished processes a log folder keeps. */
export const KEPT_KD_LOGS = 20;

/** kd-<subject>-<pid>-<n>.log, as KdSession names them. */
const LOG_NAME = /^kd-.+-(\d+)-\d+\.log$/;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the logs of gone processes in `dir` but the newest `keep`; returns the names removed. */
export function pruneKdLogs(dir: string, keep: number = KEPT_KD_LOGS): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const finished: { name: string; mtimeMs: number }[] = [];
  for (const name of names) {
    const pid = LOG_NAME.exec(name)?.[1];
    if (pid === undefined || isRunning(Number(pid))) continue;
    try {
      finished.push({ name, mtimeMs: statSync(join(dir, name)).mtimeMs });
    } catch {
      // Removed meanwhile.
    }
  }
  finished.sort((a, b) => b.mtimeMs - a.mtimeMs || b.name.localeCompare(a.name));
  const removed = finished.slice(keep).map((f) => f.name);
  for (const name of removed) rmSync(join(dir, name), { force: true });
  return removed;
}
