/**
 * The simulated debugger executable, started in place of kd.exe with kd's own command line
 * (`node dist/sim/kd.mjs -k net:port=50011,key=… -y … -logo …`, see lab/sim/launch.ts).
 */

import { openDumpTarget } from '../kernel/dump.js';
import { runKd } from './console.js';

// kd never outlives driverlab: when the process that started it is gone (its standard input closes
// too, which the console also takes as a quit), this debugger ends as well.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500).unref();

const code = await runKd(
  process.argv.slice(2),
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
