/**
 * The simulated debugger as a process: kd's command line in, kd's console on standard input and
 * output, its exit code out. Started by main.ts (`node dist/sim/kd.mjs …`) or, from a startup
 * snapshot of this code (lab/sim/launch.ts), by snapshot.ts.
 */
import { openDumpTarget } from '../kernel/dump.js';
import { runKd } from './console.js';

/** Runs kd with its arguments (`-k net:port=…,key=…`, `-z dump`, …) until it quits. */
export async function startKd(args: readonly string[]): Promise<void> {
  // kd never outlives driverlab: when the process that started it is gone (its standard input closes
  // too, which the console also takes as a quit), this debugger ends as well.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 500).unref();

  const code = await runKd(
    [...args],
    {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      onInterrupt: (handler) => {
        // SIGINT is CTRL+C on a POSIX terminal and, on Windows, the console's CTRL+C event;
        // SIGBREAK is the Windows console's CTRL+BREAK.
        const signals: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT'];
        for (const s of signals) process.on(s, handler);
        return () => {
          for (const s of signals) process.off(s, handler);
        };
      },
    },
    { dumpOpener: openDumpTarget },
  );
  process.exitCode = code;
  process.stdin.destroy();
  // Everything is closed, so the process ends once standard output drains; this ends it regardless.
  setTimeout(() => process.exit(code), 2000).unref();
}
