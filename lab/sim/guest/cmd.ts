/**
 * `cmd.exe /c <command line>` in the simulated guest: what a scenario (or the lab contract) runs
 * through cmd, answered as cmd answers it.
 *
 * - The command line is the arguments after /c, joined the way PowerShell hands an argument array
 *   to a native program (an argument with a space is quoted). %VARIABLES% expand once, when the
 *   line is read, as cmd expands a line before running it (so `a & echo %ERRORLEVEL%` prints the
 *   level from before `a`).
 * - `&` runs the next command, `&&` only after success, `||` only after failure; `^` escapes.
 * - Redirections: `>file`, `>>file`, `n>file`, `n>&m`, `>nul`, `2>nul` (a pipe `|` is not
 *   modelled and is refused with cmd's syntax error).
 * - Built-ins: echo (`echo.`, the "ECHO is on." of a bare echo, trailing spaces kept as cmd keeps
 *   them), exit [/b] [n], type, dir [/b] [/o[-]d|n] (the listing driverlab reads: bare names),
 *   ver, cd, rem; anything else is a program of the guest, or cmd's "is not recognized" with
 *   errorlevel 9009.
 * - The exit code of `cmd /c` is the level of the last command, or the `exit` code.
 */
import type { GuestFileSystem } from './fs.js';
import { type ToolResult, text } from './tool.js';

export type Stream = 'stdout' | 'stderr';

/** Where a PowerShell Direct session starts a program: the account's Documents folder. */
const WORKING_DIRECTORY = 'C:\\Users\\Administrator\\Documents';

/** What cmd needs of the guest. */
export interface CmdHost {
  /** Environment variables, by lower-case name. */
  env: Record<string, string>;
  fs: GuestFileSystem;
  /** The OS version `ver` prints ("10.0.19041.1"). */
  version: string;
  nowIso(): string;
  /** Runs a program of the guest (not a built-in); `write` receives what it prints as it prints it. */
  program(
    name: string,
    args: string[],
    write: (stream: Stream, text: string) => void,
  ): Promise<ToolResult | null>;
  /** Where cmd's own output goes as it is printed (the command's standard output and error). */
  write(stream: Stream, text: string): void;
}

/** How a cmd line is split: commands joined by &, && or ||. */
interface Segment {
  text: string;
  /** How this command is joined to the one before it. */
  join: '&' | '&&' | '||' | null;
}

/** The arguments after /c as one command line, as PowerShell passes an argument array. */
export function commandLineOf(args: readonly string[]): string {
  return args.map((a) => (a === '' || (/\s/.test(a) && !/^".*"$/.test(a)) ? `"${a}"` : a)).join(' ');
}

function expandVariables(line: string, env: Record<string, string>): string {
  return line.replace(/%([^%\s]+)%/g, (all, name: string) => env[name.toLowerCase()] ?? all);
}

/** Splits at unquoted, unescaped &, && and || ; null when an unquoted | (a pipe) is met. */
function splitSegments(line: string): Segment[] | null {
  const segments: Segment[] = [];
  let current = '';
  let quoted = false;
  let join: Segment['join'] = null;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i] as string;
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '^' && i + 1 < line.length) {
      current += `^${line[i + 1]}`;
      i += 1;
      continue;
    }
    if (!quoted && (ch === '&' || ch === '|')) {
      // `>&2` duplicates a handle: its & joins nothing.
      if (ch === '&' && current.at(-1) === '>') {
        current += ch;
        continue;
      }
      const double = line[i + 1] === ch;
      if (ch === '|' && !double) return null;
      segments.push({ text: current, join });
      join = double ? (ch === '&' ? '&&' : '||') : '&';
      if (double) i += 1;
      current = '';
      continue;
    }
    current += ch;
  }
  segments.push({ text: current, join });
  return segments;
}

type Target =
  | { kind: 'stream'; stream: Stream }
  | { kind: 'file'; path: string; append: boolean }
  | { kind: 'nul' };

interface Redirected {
  /** The command without its redirections (the spaces around them kept, as cmd keeps them). */
  command: string;
  stdout: Target;
  stderr: Target;
}

/** Takes the redirections out of one command. */
function redirections(segment: string): Redirected | { error: string } {
  const routes: Record<Stream, Target> = {
    stdout: { kind: 'stream', stream: 'stdout' },
    stderr: { kind: 'stream', stream: 'stderr' },
  };
  const pattern = /(\d)?(>>?)(?:&(\d)|\s*("[^"]*"|[^\s&|<>]+))|<\s*("[^"]*"|[^\s&|<>]+)/g;
  let error: string | null = null;
  const command = segment.replace(
    pattern,
    (_all, fd: string | undefined, op: string, to: string | undefined, file: string | undefined) => {
      if (op === undefined) return ''; // input redirection: nothing reads standard input here
      const stream: Stream = fd === '2' ? 'stderr' : 'stdout';
      if (fd !== undefined && fd !== '1' && fd !== '2') return '';
      if (to !== undefined) {
        routes[stream] = to === '2' ? routes.stderr : to === '1' ? routes.stdout : routes[stream];
        if (to !== '1' && to !== '2')
          error = 'The handle could not be duplicated\r\nduring redirection of handle 1.';
        return '';
      }
      const path = (file ?? '').replace(/^"|"$/g, '');
      routes[stream] = /^nul$/i.test(path) ? { kind: 'nul' } : { kind: 'file', path, append: op === '>>' };
      return '';
    },
  );
  if (error !== null) return { error };
  return { command, stdout: routes.stdout, stderr: routes.stderr };
}

/** Splits a command's words as cmd passes them on (quotes group, and are removed; ^ escapes). */
export function splitWords(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let has = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i] as string;
    if (ch === '^' && !quoted && i + 1 < line.length) {
      current += line[i + 1];
      has = true;
      i += 1;
    } else if (ch === '"') {
      quoted = !quoted;
      has = true;
    } else if (/\s/.test(ch) && !quoted) {
      if (has) out.push(current);
      current = '';
      has = false;
    } else {
      current += ch;
      has = true;
    }
  }
  if (has) out.push(current);
  return out;
}

function withoutCarets(text: string): string {
  return text.replace(/\^(.)/g, '$1');
}

/** The answer of a built-in, or null when the word is not one. */
interface Answer {
  stdout: string;
  stderr: string;
  level: number;
  exit?: boolean;
}

function echo(rest: string): Answer {
  // `echo.` / `echo:` print an empty line; a bare `echo` reports the echo state.
  if (/^[.:(]/.test(rest)) return { stdout: text(withoutCarets(rest.slice(1))), stderr: '', level: 0 };
  const said = rest.replace(/^[ \t,;=]/, '');
  if (said.trim() === '') return { stdout: text('ECHO is on.'), stderr: '', level: 0 };
  return { stdout: text(withoutCarets(said)), stderr: '', level: 0 };
}

function exit(args: string[], level: number): Answer {
  const words = args.filter((a) => !/^\/b$/i.test(a));
  const code = words[0] === undefined ? level : Number.parseInt(words[0], 10);
  return { stdout: '', stderr: '', level: Number.isNaN(code) ? 0 : code, exit: true };
}

function dir(args: string[], host: CmdHost): Answer {
  const switches = args.filter((a) => a.startsWith('/')).map((a) => a.toLowerCase());
  const paths = args.filter((a) => !a.startsWith('/'));
  const bare = switches.includes('/b');
  const target = paths[0] ?? 'C:\\Windows\\system32';
  const cut = Math.max(target.lastIndexOf('\\'), target.lastIndexOf('/'));
  const wildcard = /[*?]/.test(target.slice(cut + 1));
  const folder = wildcard ? target.slice(0, Math.max(cut, 0)) : target;
  const pattern = wildcard ? target.slice(cut + 1) : '*';
  const matcher = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  let nodes: ReturnType<GuestFileSystem['list']>;
  try {
    const found = host.fs.lookup(folder);
    if (found.kind === 'file' && !wildcard) {
      nodes = [found.file];
    } else if (found.kind !== 'dir') {
      return { stdout: '', stderr: text('File Not Found'), level: 1 };
    } else {
      nodes = host.fs.list(folder).filter((n) => matcher.test(n.name));
    }
  } catch {
    return {
      stdout: '',
      stderr: text('The filename, directory name, or volume label syntax is incorrect.'),
      level: 1,
    };
  }
  if (nodes.length === 0) return { stdout: '', stderr: text('File Not Found'), level: 1 };
  const order = switches.find((s) => s.startsWith('/o'));
  const byDate = (a: (typeof nodes)[number], b: (typeof nodes)[number]) =>
    (a.kind === 'file' ? Date.parse(a.modified) : 0) - (b.kind === 'file' ? Date.parse(b.modified) : 0);
  const byName = (a: (typeof nodes)[number], b: (typeof nodes)[number]) =>
    a.name.toLowerCase().localeCompare(b.name.toLowerCase());
  const sorted = [...nodes].sort(order?.includes('d') ? byDate : byName);
  if (order?.includes('-')) sorted.reverse();
  if (!bare) {
    // Only the bare listing is modelled: the full one prints the volume serial and free space.
    return { stdout: '', stderr: text('The parameter is incorrect.'), level: 1 };
  }
  return { stdout: text(...sorted.map((n) => n.name)), stderr: '', level: 0 };
}

function type(args: string[], host: CmdHost): Answer {
  const path = args[0];
  if (path === undefined)
    return { stdout: '', stderr: text('The syntax of the command is incorrect.'), level: 1 };
  try {
    return { stdout: host.fs.readText(path), stderr: '', level: 0 };
  } catch {
    return { stdout: '', stderr: text('The system cannot find the file specified.'), level: 1 };
  }
}

/** cmd's answer for a program that is not there: the name as it was typed, errorlevel 9009. */
export function notRecognized(name: string): ToolResult {
  return {
    stdout: '',
    stderr: text(
      `'${name}' is not recognized as an internal or external command,`,
      'operable program or batch file.',
    ),
    exitCode: 9009,
  };
}

/** `cmd /c …` (or /k, which in a non-interactive session ends the same way). */
export async function cmd(args: readonly string[], host: CmdHost): Promise<ToolResult> {
  const at = args.findIndex((a) => /^\/[ck]$/i.test(a));
  if (at < 0) return { stdout: '', stderr: '', exitCode: 0 };
  // The dynamic variables as they stand when the line is read: nothing has run yet.
  const dynamic = { errorlevel: '0', cd: WORKING_DIRECTORY };
  const line = expandVariables(commandLineOf(args.slice(at + 1)), { ...host.env, ...dynamic });
  const segments = splitSegments(line);
  const out = { stdout: '', stderr: '' };
  const emit = (target: Target, chunk: string, live: boolean): void => {
    if (chunk === '') return;
    if (target.kind === 'stream') {
      out[target.stream] += chunk;
      if (live) host.write(target.stream, chunk);
    }
  };
  if (segments === null) {
    const said = text('| was unexpected at this time.');
    emit({ kind: 'stream', stream: 'stderr' }, said, true);
    return { stdout: '', stderr: said, exitCode: 255 };
  }
  let level = 0;
  for (const segment of segments) {
    if (segment.join === '&&' && level !== 0) continue;
    if (segment.join === '||' && level === 0) continue;
    const routed = redirections(segment.text);
    if ('error' in routed) {
      emit({ kind: 'stream', stream: 'stderr' }, text(routed.error), true);
      level = 1;
      continue;
    }
    const files = new Map<string, { append: boolean; text: string }>();
    const deliver = (stream: Stream, chunk: string, live: boolean) => {
      const target = routed[stream];
      if (target.kind === 'file') {
        const file = files.get(target.path) ?? { append: target.append, text: '' };
        file.text += chunk;
        files.set(target.path, file);
      } else emit(target, chunk, live);
    };
    const trimmed = routed.command.replace(/^[\s@]+/, '');
    // echo is the one word a dot, colon or parenthesis may end (`echo.` prints an empty line).
    const echoed = /^echo(?=$|[\s.:(,;=])/i.exec(trimmed);
    const word = echoed ? 'echo' : (/^\S+/.exec(trimmed)?.[0] ?? '');
    const rest = trimmed.slice(word.length);
    const words = splitWords(rest);
    let answer: Answer;
    switch (echoed ? 'echo' : word.toLowerCase()) {
      case '':
        continue;
      case 'echo':
        answer = echo(rest);
        break;
      case 'exit':
        answer = exit(words, level);
        break;
      case 'dir':
        answer = dir(words, host);
        break;
      case 'type':
        answer = type(words, host);
        break;
      case 'ver':
        answer = { stdout: text('', `Microsoft Windows [Version ${host.version}]`), stderr: '', level: 0 };
        break;
      case 'cd':
      case 'chdir':
        answer = { stdout: text(WORKING_DIRECTORY), stderr: '', level: 0 };
        break;
      case 'rem':
        answer = { stdout: '', stderr: '', level };
        break;
      default: {
        const [program, ...programArgs] = splitWords(trimmed);
        const streamed: Record<Stream, boolean> = { stdout: false, stderr: false };
        const r = await host.program(program ?? word, programArgs, (stream, chunk) => {
          streamed[stream] = true;
          deliver(stream, chunk, true);
        });
        const result = r ?? notRecognized(program ?? word);
        // What the program printed as it went was delivered live; the rest is delivered now.
        for (const stream of ['stdout', 'stderr'] as const) {
          if (!streamed[stream]) deliver(stream, result[stream], true);
        }
        answer = { stdout: '', stderr: '', level: result.exitCode };
        break;
      }
    }
    deliver('stdout', answer.stdout, true);
    deliver('stderr', answer.stderr, true);
    for (const [path, file] of files) {
      try {
        const before = file.append && host.fs.exists(path) ? host.fs.readText(path) : '';
        host.fs.writeFile(path, Buffer.from(before + file.text, 'utf8'), host.nowIso());
      } catch {
        emit({ kind: 'stream', stream: 'stderr' }, text('The system cannot find the path specified.'), true);
      }
    }
    level = answer.level;
    if (answer.exit) break;
  }
  return { stdout: out.stdout, stderr: out.stderr, exitCode: level };
}
