/**
 * The `driverlab` command line: `driverlab <command> [options]`. Every command has --help; a
 * wrong command line gets one sentence on stderr and exit code 2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, DriverlabError, describeError } from '../errors.js';
import { paths } from '../paths.js';
import { closest } from '../util/similar.js';
import { type CliIo, type Command, EXIT, UsageError } from './command.js';
import { commands as allCommands } from './commands/index.js';

function version(): string {
  return (JSON.parse(readFileSync(join(paths.root, 'package.json'), 'utf8')) as { version: string }).version;
}

export function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: driverlab <command> [options]

driverlab runs Gherkin scenarios against Windows driver test VMs (Hyper-V, or the embedded
simulated lab) with a kernel debugger in the loop, and reports them in Allure.

Commands:
${lines.join('\n')}

Run 'driverlab <command> --help' for a command's options.`;
}

/** Runs the command line and returns the exit code; all output goes through `io`. */
export async function main(
  argv: readonly string[],
  io: CliIo,
  commands: readonly Command[] = allCommands,
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(`${overview(commands)}\n`);
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout(`${overview(commands)}\n`);
    return EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    io.stdout(`${version()}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    const like = closest(
      first,
      commands.map((c) => c.name),
    );
    const hint = like.length > 0 ? ` Did you mean '${like.join("' or '")}'?` : '';
    const what = first.startsWith('-')
      ? `'${first}' is not an option of driverlab`
      : `'${first}' is not a driverlab command`;
    io.stderr(`${what}; run 'driverlab --help' to see the commands.${hint}\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigurationError) {
      // Bad input (a lab file, a secret, a feature parameter): refused before anything ran.
      const detail = io.env.DRIVERLAB_DEBUG ? `\n${describeError(error)}` : '';
      io.stderr(`driverlab ${command.name}: ${error.message}${detail}\n`);
      return EXIT.usage;
    }
    if (error instanceof DriverlabError) {
      // The message is the whole sentence; the chain of causes is for whoever debugs driverlab.
      const detail = io.env.DRIVERLAB_DEBUG ? `\n${describeError(error)}` : '';
      io.stderr(`driverlab ${command.name}: ${error.message}${detail}\n`);
      return EXIT.problem;
    }
    io.stderr(
      `driverlab ${command.name} stopped on an unexpected error, which is a driverlab defect: ${describeError(error)}\n${error instanceof Error ? (error.stack ?? '') : ''}\n`,
    );
    return EXIT.problem;
  }
}

/** The process's own streams. */
export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: async (maxBytes = Number.POSITIVE_INFINITY) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        process.stdin.destroy();
        return null;
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  },
  cwd: process.cwd(),
  env: process.env,
};
