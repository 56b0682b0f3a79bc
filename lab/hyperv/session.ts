/**
 * A persistent PowerShell process on the lab host (docs/adr/0010-real-powershell-engine.md).
 *
 * The process is started with `-NoExit -Command -`, so it reads standard input line by line and
 * runs each line. Every command is framed the way node-powershell framed it (which the embedded
 * lab host still answers): a random delimiter is written to stderr and stdout before and after the
 * command, by the shell itself, and the reply is what each stream printed between its two
 * delimiters. driverlab owns this small protocol instead of reaching into a library's private
 * fields for the child process and its exit.
 *
 * - stderr is data: a WARNING or a progress record never turns a good reply into an exception; the
 *   reply parser reads it and the transcript keeps it;
 * - a timed-out command keeps running in the shell, so after a timeout the shell is killed and a
 *   fresh one is started for the next operation;
 * - a shell that cannot start (ENOENT) or dies becomes a LabCompromisedError with a sentence, and
 *   the next operation starts a new shell.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { LabCompromisedError, sentenceStart } from '../errors.js';

export interface ShellCommand {
  /** The executable: pwsh, powershell(.exe), a full path, or node for the embedded host. */
  file: string;
  /** Arguments placed before PowerShell's own (the embedded host's script path). */
  leadingArgs: string[];
  /** The shell's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /**
   * Wall milliseconds a new shell may take to start, allowed on top of the first command's time
   * limit after every start (a real pwsh with the stand-in module loads its types and its model).
   */
  startupMs?: number;
}

export interface ShellReply {
  stdout: string;
  stderr: string;
  /** Wall milliseconds the shell took. */
  durationMs: number;
}

/** An operation did not answer in time; the shell that ran it was killed. */
export class ShellTimeoutError extends LabCompromisedError {}

interface Ending {
  code: number | null;
  signal: string | null;
  spawnError?: NodeJS.ErrnoException;
}

/** The arguments PowerShell gets after the command's own leading ones. */
export function shellArguments(command: ShellCommand): string[] {
  return [
    ...command.leadingArgs,
    ...(command.leadingArgs.length === 0 ? ['-NoLogo'] : []),
    '-NoProfile',
    '-NonInteractive',
    '-NoExit',
    '-Command',
    '-',
  ];
}

/** One stream's text, collected until a command's closing delimiter shows up on it. */
class StreamReader {
  private buffer = '';
  private waiting: { delimiter: string; resolve: (text: string) => void } | undefined;

  push(chunk: string): void {
    this.buffer += chunk;
    this.check();
  }

  /** Resolves with what the stream printed between two lines holding only `delimiter`. */
  read(delimiter: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = { delimiter, resolve };
      this.check();
    });
  }

  private check(): void {
    const w = this.waiting;
    if (!w) return;
    const first = this.buffer.indexOf(w.delimiter);
    if (first === -1) return;
    const second = this.buffer.indexOf(w.delimiter, first + w.delimiter.length);
    if (second === -1) return;
    const text = this.buffer.slice(first + w.delimiter.length, second);
    this.buffer = this.buffer.slice(second + w.delimiter.length);
    this.waiting = undefined;
    w.resolve(text.replace(/^\r?\n/, '').replace(/\r?\n$/, ''));
  }
}

interface Shell {
  child: ChildProcess;
  stdout: StreamReader;
  stderr: StreamReader;
  /** Resolves when the process has ended (exit or spawn failure). */
  gone: Promise<void>;
}

/** One PowerShell process; restarted transparently after a timeout or a crash. */
export class PowerShellSession {
  private shell: Shell | undefined;
  private ended: Ending | undefined;
  private starts = 0;

  constructor(
    private readonly command: ShellCommand,
    /** "the PowerShell session for host 'lab-01'": used in messages. */
    private readonly description: string,
  ) {}

  describe(): string {
    return this.description;
  }

  /** The executable this session starts. */
  get executable(): string {
    return this.command.file;
  }

  /** How many processes this session has started (1 unless it restarted after a timeout or crash). */
  get processStarts(): number {
    return this.starts;
  }

  /** The process id of the current shell, if one runs. */
  get pid(): number | undefined {
    return this.shell && !this.ended ? this.shell.child.pid : undefined;
  }

  private open(): Shell {
    if (this.shell && !this.ended) return this.shell;
    const child = spawn(this.command.file, shellArguments(this.command), {
      env: this.command.env ?? process.env,
      windowsHide: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.ended = undefined;
    this.starts += 1;
    const stdout = new StreamReader();
    const stderr = new StreamReader();
    child.stdout?.setEncoding('utf8').on('data', (c: string) => stdout.push(c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
    // Writing to a shell that just died fails with EPIPE; the exit is what gets reported.
    child.stdin?.on('error', () => {});
    let done: () => void = () => {};
    const gone = new Promise<void>((resolve) => {
      done = resolve;
    });
    const shell: Shell = { child, stdout, stderr, gone };
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (this.shell === shell && !this.ended) this.ended = { code: null, signal: null, spawnError: error };
      done();
    });
    child.once('exit', (code, signal) => {
      if (this.shell === shell && !this.ended) this.ended = { code, signal };
      done();
    });
    this.shell = shell;
    return shell;
  }

  /**
   * Sends one line and waits for its output, at most `timeoutMs` wall milliseconds. A shell that
   * died since the last operation is reported (once) instead of silently replaced, since whatever
   * state the scenario had in it is gone.
   */
  async invoke(line: string, timeoutMs: number, what: string): Promise<ShellReply> {
    if (this.shell && this.ended) throw this.endedError(what, undefined, 'before');
    const fresh = !this.shell;
    const shell = this.open();
    const limitMs = timeoutMs + (fresh ? (this.command.startupMs ?? 0) : 0);
    const started = performance.now();
    const delimiter = `driverlab-${randomBytes(12).toString('hex')}`;
    const replies = Promise.all([shell.stdout.read(delimiter), shell.stderr.read(delimiter)]);
    const write = (s: string) => `[Console]::Error.WriteLine("${s}")\n[Console]::Out.WriteLine("${s}")\n`;
    shell.child.stdin?.write(`${write(delimiter)}${line}\n${write(delimiter)}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limitMs);
    });
    try {
      const outcome = await Promise.race([replies, timeout, shell.gone.then(() => 'gone' as const)]);
      if (outcome === 'timeout') {
        await this.restart();
        throw new ShellTimeoutError(
          `${what} did not answer within ${formatWall(limitMs)} of wall time, so ${this.description} was stopped and will start again for the next operation (a timed-out command keeps running in PowerShell); check that the host is responsive and that the lab file's timeouts suit it.`,
        );
      }
      if (outcome === 'gone' || this.ended) {
        this.ended ??= { code: shell.child.exitCode, signal: shell.child.signalCode };
        throw this.endedError(what);
      }
      const [stdout, stderr] = outcome;
      return { stdout, stderr, durationMs: performance.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }

  private endedError(what: string, cause?: unknown, when: 'before' | 'while' = 'while'): LabCompromisedError {
    const ended = this.ended;
    this.shell = undefined;
    const spawnError = ended?.spawnError;
    if (spawnError) {
      const why =
        spawnError.code === 'ENOENT' ? 'it is not on PATH' : `${spawnError.code ?? spawnError.message}`;
      return new LabCompromisedError(
        `${this.description} could not start '${this.command.file}' for ${what}, because ${why}; install PowerShell on this machine or set the host's shell in the lab file to the full path of pwsh.exe or powershell.exe.`,
        { cause: cause ?? spawnError },
      );
    }
    const how = ended?.signal ? `signal ${ended.signal}` : `exit code ${ended?.code ?? 'unknown'}`;
    return new LabCompromisedError(
      `${sentenceStart(this.description)} ended (${how}) ${when === 'while' ? 'while running' : 'before it could run'} ${what}; the next operation starts a new shell, but check the host's PowerShell and its event log for why it died.`,
      { cause },
    );
  }

  private async restart(): Promise<void> {
    const shell = this.shell;
    this.shell = undefined;
    this.ended = undefined;
    if (shell) await stop(shell);
  }

  /** Stops the shell process (and waits, briefly, for it to go). */
  async close(): Promise<void> {
    await this.restart();
  }
}

function formatWall(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

async function stop(shell: Shell): Promise<void> {
  const child = shell.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill('SIGKILL');
  } catch {
    // Already gone: nothing to kill.
  }
  // The fallback timer must not keep the process alive once the shell is gone.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    shell.gone,
    new Promise((r) => {
      timer = setTimeout(r, 2000);
    }),
  ]);
  clearTimeout(timer);
}
