/**
 * The frame every `driverlab` subcommand fits into: a name, a one-line summary for the command
 * list, a help text, and a run function that returns the process exit code.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigurationError } from '../errors.js';

/** Where a command reads and writes; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /**
   * Standard input as text, read only when a command asks for it (`driverlab parse … -`); null
   * when it holds more than `maxBytes` (reading stops there).
   */
  readStdin: (maxBytes?: number) => Promise<string | null>;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  /** One line for `driverlab --help`. */
  summary: string;
  /** The whole `driverlab <name> --help` text, usage line first. */
  help: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Exit codes every command keeps to. */
export const EXIT = {
  ok: 0,
  /** The command ran and found a problem (a failed run, unreadable input, a missing lab part). */
  problem: 1,
  /** The command line itself was wrong, or the configuration it names: nothing ran. */
  usage: 2,
  /** The run was interrupted (128 + SIGINT, as a shell reports it). */
  interrupted: 130,
} as const;

/** A wrong command line: printed as one sentence, exit code 2. */
export class UsageError extends ConfigurationError {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs, with its errors turned into one sentence that names the command and
 * says how to get its help.
 */
export function parseCommandArgs<const O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(
      `${usageSentence(command, error)}; run 'driverlab ${command} --help' to see its usage.`,
      {
        cause: error,
      },
    );
  }
}

function usageSentence(command: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `'driverlab ${command}' has no option '${unknown[1]}'`;
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `The option '${missing[1]}' of 'driverlab ${command}' needs a value`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `'driverlab ${command}' takes no argument '${positional[1]}'`;
  const typed = /Option '([^']+)' does not take an argument/.exec(message);
  if (typed) return `The option '${typed[1]}' of 'driverlab ${command}' takes no value`;
  return `The command line for 'driverlab ${command}' could not be read (${message.replace(/\.$/, '')})`;
}

/** Parses a whole positive number from an option value, or says which option was wrong. */
export function positiveInteger(command: string, option: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(
      `The option '--${option}' of 'driverlab ${command}' needs a whole number of 1 or more, not '${value}'.`,
    );
  }
  return n;
}
