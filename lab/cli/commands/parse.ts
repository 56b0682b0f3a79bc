/**
 * `driverlab parse <kind> [file|-]`: reads debugger or tool output and prints what the parser of
 * that kind reads from it, as one JSON object. Text that cannot be read gets one sentence on
 * stderr and exit code 1; nothing is guessed.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError } from '../../errors.js';
import { decodeBytes, isKind, kinds, ParseError, parsers } from '../../parsers/index.js';
import { closest } from '../../util/similar.js';
import { type CliIo, type Command, EXIT, parseCommandArgs, UsageError } from '../command.js';

function help(): string {
  const width = Math.max(...kinds.map((k) => k.length));
  const lines = kinds.map((k) => `  ${k.padEnd(width)}  ${parsers[k].description}`);
  return `Usage: driverlab parse <kind> [file|-]

Reads the output of a debugger command or Windows tool (from the file, or standard input for '-'
or no file) and prints what it says as one JSON object. Pasted text is fine: prompts, indentation,
'> ' quotes, CRLF and debugger noise lines are seen through.

Kinds:
${lines.join('\n')}

Options:
  -h, --help   this text

Input larger than 32 MB (DRIVERLAB_PARSE_MAX_BYTES) is refused unread.

Exit code: 0 when the text was read, 1 when it could not be (one sentence on stderr says why),
2 for a wrong command line.`;
}

async function parse(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommandArgs('parse', args, {});
  const [kind, file, extra] = positionals;
  if (kind === undefined) {
    throw new UsageError(
      `'driverlab parse' needs a kind (one of ${kinds.join(', ')}); run 'driverlab parse --help' for what each reads.`,
    );
  }
  if (!isKind(kind)) {
    const like = closest(kind, kinds);
    const hint = like.length > 0 ? ` Did you mean '${like.join("' or '")}'?` : '';
    throw new UsageError(
      `'${kind}' is not a parser kind of 'driverlab parse'; run 'driverlab parse --help' to see the kinds.${hint}`,
    );
  }
  if (extra !== undefined) {
    throw new UsageError(
      `'driverlab parse' takes one input file, not also '${extra}'; pass one file or '-' for standard input.`,
    );
  }
  const maxBytes = parseInputLimit(io.env);
  const tooBig = (what: string, size: string) =>
    `${what} holds ${size}, more than the ${formatBytes(maxBytes)} 'driverlab parse' reads (no kd or tool output it knows is that long), so it was not read; give it the output of one command, or raise the limit with DRIVERLAB_PARSE_MAX_BYTES.\n`;
  let text: string;
  if (file === undefined || file === '-') {
    const read = await io.readStdin(maxBytes);
    if (read === null) {
      io.stderr(tooBig('Standard input', `more than ${formatBytes(maxBytes)}`));
      return EXIT.problem;
    }
    text = read;
  } else {
    const path = isAbsolute(file) ? file : resolve(io.cwd, file);
    try {
      // Bounded before it is read: a parser never holds more than the limit.
      const { size } = await stat(path);
      if (size > maxBytes) {
        io.stderr(tooBig(`The input file '${file}'`, formatBytes(size)));
        return EXIT.problem;
      }
      text = decodeBytes(await readFile(path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'an I/O error';
      io.stderr(
        `The input file '${file}' could not be read (${code}); check the path and that it is a readable text file.\n`,
      );
      return EXIT.problem;
    }
  }
  try {
    const value = parsers[kind].parse(text);
    io.stdout(`${JSON.stringify(value, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ParseError) {
      // The parser's sentence already says what could not be read, where, and what to do.
      const wrapped = new ConfigurationError(error.message, { cause: error });
      io.stderr(`${wrapped.message}\n`);
      return EXIT.problem;
    }
    throw error;
  }
}

/** The most 'driverlab parse' reads (DRIVERLAB_PARSE_MAX_BYTES): no output a parser knows comes near it. */
export const DEFAULT_PARSE_MAX_BYTES = 32 * 1024 * 1024;

function parseInputLimit(env: NodeJS.ProcessEnv): number {
  const raw = env.DRIVERLAB_PARSE_MAX_BYTES;
  if (raw === undefined || raw === '') return DEFAULT_PARSE_MAX_BYTES;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(
      `DRIVERLAB_PARSE_MAX_BYTES must be a whole number of bytes of 1 or more, not '${raw}'; unset it for the default of ${formatBytes(DEFAULT_PARSE_MAX_BYTES)}.`,
    );
  }
  return n;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KB`;
  return `${n} bytes`;
}

export const parseCommand: Command = {
  name: 'parse',
  summary: 'read kd or Windows tool output and print it as JSON (driverlab parse --help lists the kinds)',
  get help() {
    return help();
  },
  run: parse,
};
