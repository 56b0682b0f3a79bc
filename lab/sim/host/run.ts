/**
 * The embedded lab host's main loop: reads standard input line by line exactly as a pwsh started
 * by the PowerShell session would (`-NoExit -Command -`), and answers in order on the same streams:
 * the session's delimiter lines are echoed on the stream they name, operation scripts are
 * answered between the driverlab markers, anything else gets PowerShell's "not recognized" error
 * on stderr. It never lets bad input crash it; it exits cleanly when stdin closes, even while an
 * operation is still running (a hung guest command), after saving its VMs.
 */
import { createInterface } from 'node:readline';
import type { LabFile } from '../../config/lab-file.js';
import { MARKERS } from '../../hyperv/script.js';
import type { DebugLinkFactory } from '../model/debug-link.js';
import { SimulatedPowerShellError } from '../model/errors.js';
import { SimHost, saveFailure } from '../model/host.js';
import { handle, operationVm } from './handlers.js';
import { readHostLine } from './protocol.js';

export interface HostRunOptions {
  lab: LabFile;
  statePath: string | null;
  /** The session's shared lab time file (lab/sim/shared-time.ts). */
  timePath?: string | null;
  links?: DebugLinkFactory;
  input?: NodeJS.ReadableStream;
  /** Writes text (one or more lines) and a line break to standard output. */
  out?: (text: string) => void;
  err?: (text: string) => void;
  exit?: (code: number) => never;
}

/** What Windows PowerShell 5.1 writes to stderr for a line it cannot run. */
export function notRecognizedError(line: string): string {
  const term = line.trim().split(/\s+/, 1)[0] ?? '';
  return [
    `${term} : The term '${term}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.`,
    'At line:1 char:1',
    `+ ${line.trim()}`,
    `+ ${'~'.repeat(Math.max(1, term.length))}`,
    `    + CategoryInfo          : ObjectNotFound: (${term}:String) [], CommandNotFoundException`,
    '    + FullyQualifiedErrorId : CommandNotFoundException',
    ' ',
  ].join('\n');
}

export async function runHost(options: HostRunOptions): Promise<void> {
  const out = options.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = options.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const lines: string[] = [];
  let host: SimHost | undefined;
  let busy = false;
  let closed = false;

  let stopped = false;
  const finish = async (code: number): Promise<never> => {
    stopped = true;
    host?.stopWaking();
    try {
      await host?.save();
    } catch (error) {
      err(saveFailure(error));
    }
    return exit(code);
  };

  // One write for the three lines of a reply: standard output to a pipe is written synchronously.
  const reply = (kind: 'output' | 'error', value: unknown): void => {
    const [begin, end] =
      kind === 'output' ? [MARKERS.beginOutput, MARKERS.endOutput] : [MARKERS.beginError, MARKERS.endError];
    out(`${begin}\n${JSON.stringify(value)}\n${end}`);
  };

  const answer = async (line: string, sim: SimHost): Promise<void> => {
    const read = readHostLine(line);
    switch (read.kind) {
      case 'blank':
        return;
      case 'write':
        (read.stream === 'stdout' ? out : err)(read.text);
        return;
      case 'unknown':
        err(notRecognizedError(read.text));
        return;
      case 'refused':
        err(`driverlab embedded lab host: refused a script, because ${read.reason}.`);
        return;
      case 'operation': {
        const vmName = operationVm(read.input.params);
        if (vmName !== null && sim.countOperation(vmName) === 'die') {
          // The host-shell-dies fault: the shell goes away mid-operation, without a reply.
          await finish(1);
          return;
        }
        try {
          reply('output', await sim.operation(() => handle(sim, read.name, read.input.params)));
        } catch (error) {
          reply(
            'error',
            error instanceof SimulatedPowerShellError
              ? error.toJSON()
              : {
                  error: error instanceof Error ? error.message : String(error),
                  fqid: 'SimulatorFault',
                  type: 'System.Exception',
                  category: 'NotSpecified',
                },
          );
        }
        sim.saveSoon();
        return;
      }
    }
  };

  const pump = async (): Promise<void> => {
    if (busy || !host) return;
    busy = true;
    try {
      while (lines.length > 0 && !stopped) {
        const line = lines.shift() as string;
        try {
          await answer(line, host);
        } catch (error) {
          // Never let one line take the host down: say so where pwsh reports errors.
          err(`driverlab embedded lab host: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } finally {
      busy = false;
    }
    if (closed && !stopped) await finish(0);
  };

  createInterface({ input: options.input ?? process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
    .on('line', (l) => {
      lines.push(l);
      void pump();
    })
    .on('close', () => {
      closed = true;
      // Mid-operation (a guest command that never completes) or idle: save and leave now.
      if (!stopped && (busy || lines.length === 0 || !host)) void finish(0);
    });

  try {
    host = await SimHost.open({
      lab: options.lab,
      statePath: options.statePath,
      timePath: options.timePath ?? null,
      ...(options.links ? { links: options.links } : {}),
      onSaveError: (error) => err(saveFailure(error)),
    });
  } catch (error) {
    err(
      `driverlab embedded lab host: cannot open the lab (${error instanceof Error ? error.message : String(error)}).`,
    );
    exit(1);
    return;
  }
  await pump();
}
