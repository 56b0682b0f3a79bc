/**
 * The embedded simulated lab host: started by node-powershell in place of pwsh
 * (`node dist/sim/host.mjs --lab=<file> --worker=<n> -NoProfile -NonInteractive -NoExit -Command -`),
 * it reads standard input line by line and answers as a Hyper-V host's PowerShell would.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { scaledClock } from '../../clock.js';
import { parseLabFile } from '../../config/lab-file.js';
import { MARKERS } from '../../hyperv/script.js';
import { SimHost } from '../model/host.js';
import { SimulatedPowerShellError } from './errors.js';
import { handle } from './handlers.js';
import { readHostLine } from './protocol.js';

function argument(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function fail(message: string): never {
  process.stderr.write(`driverlab embedded lab host: ${message}\n`);
  process.exit(1);
}

const labPath = argument('lab') ?? fail('no --lab=<file> was given');
const lab = parseLabFile(readFileSync(labPath, 'utf8'), labPath);
if (lab.data.kind !== 'embedded') fail(`the lab file '${labPath}' is not an embedded lab`);
const host = new SimHost(lab.data, scaledClock(lab.data.clock));

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

async function answer(line: string): Promise<void> {
  const read = readHostLine(line);
  switch (read.kind) {
    case 'blank':
      return;
    case 'write':
      (read.stream === 'stdout' ? out : err)(read.text);
      return;
    case 'unknown': {
      const term = read.text.split(/\s+/, 1)[0];
      err(
        `${term} : The term '${term}' is not recognized as a name of a cmdlet, function, script file, or executable program.`,
      );
      return;
    }
    case 'refused':
      err(`driverlab embedded lab host: refused a script, because ${read.reason}.`);
      return;
    case 'operation':
      try {
        const result = await handle(host, read.name, read.input.params);
        out(MARKERS.beginOutput);
        out(JSON.stringify(result));
        out(MARKERS.endOutput);
      } catch (error) {
        const e =
          error instanceof SimulatedPowerShellError
            ? error.toJSON()
            : {
                error: String(error instanceof Error ? error.message : error),
                fqid: 'SimulatorFault',
                type: 'System.Exception',
                category: 'NotSpecified',
              };
        out(MARKERS.beginError);
        out(JSON.stringify(e));
        out(MARKERS.endError);
      }
      return;
  }
}

// One line at a time, in order, as PowerShell would run them.
const lines: string[] = [];
let busy = false;
async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  while (lines.length > 0) await answer(lines.shift() as string);
  busy = false;
}
createInterface({ input: process.stdin })
  .on('line', (l) => {
    lines.push(l);
    void pump();
  })
  .on('close', () => {
    void pump().then(() => process.exit(0));
  });
