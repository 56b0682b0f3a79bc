/**
 * What the debugger tests share: counting the debugger processes a test process started, so a
 * test can prove that no debugger outlives its session.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The debugger processes this process started that are still alive (Linux: through /proc). */
export function debuggerChildren(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes('kd.mjs') || cmdline.includes('ignores-its-input')) found.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Why child processes cannot be counted here, or false where they can. */
export const noProc =
  process.platform !== 'linux' && 'child processes are counted through /proc, which only Linux has';
