/**
 * The embedded simulated lab host: started by the PowerShell session in place of pwsh
 * (`node dist/sim/host.mjs --lab=<file> --worker=<n> --state=<file> -NoProfile -NonInteractive -NoExit -Command -`),
 * it reads standard input line by line and answers as a Hyper-V host's PowerShell would.
 *
 * Every VM runs the simulated kernel (lab/sim/kernel): triggers, process starts, driver loads,
 * PnP removes, commits and NMIs reach it, and the VM reacts to its bugchecks and hangs. The debug
 * link (lab/sim/kdnet/links.ts) plugs in here: a guest whose BCD turns debugging on (KDNET to a
 * host IP and port with a key, or a COM port on a pipe) is reachable by the simulated debugger.
 */
import { readFileSync } from 'node:fs';
import { parseLabFile } from '../../config/lab-file.js';
import { debugLinkFactory } from '../kdnet/links.js';
import { runHost } from './run.js';

function argument(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function fail(message: string): never {
  process.stderr.write(`driverlab embedded lab host: ${message}\n`);
  process.exit(1);
}

const labPath = argument('lab') ?? fail('no --lab=<file> was given');
let text: string;
try {
  text = readFileSync(labPath, 'utf8');
} catch (error) {
  fail(
    `the lab file '${labPath}' cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
  );
}
let lab: ReturnType<typeof parseLabFile>;
try {
  lab = parseLabFile(text, labPath);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (lab.data.kind !== 'embedded') fail(`the lab file '${labPath}' is not an embedded lab`);

// A bug must not take the shell down silently: say it where PowerShell reports errors, and go on.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(
    `driverlab embedded lab host: ${reason instanceof Error ? reason.stack : String(reason)}\n`,
  );
});

void runHost({
  lab,
  statePath: argument('state') ?? null,
  timePath: argument('time') ?? null,
  links: debugLinkFactory(),
});
