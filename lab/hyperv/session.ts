/**
 * A persistent PowerShell process on the lab host, driven through node-powershell.
 *
 * node-powershell quirks handled here, deliberately:
 * - `throwOnInvocationError` is off: with it on, any stderr output (a WARNING, a CLIXML progress
 *   record) turns a good reply into an exception and loses its stdout; here stderr is data that the
 *   reply parser reads and the transcript keeps;
 * - a timed-out command keeps running in the shell, so after a timeout the shell is killed and a
 *   fresh one is started for the next operation;
 * - `NODE_POWERSHELL` in the environment would silently replace the executable, so it is ignored;
 * - a shell that cannot start (ENOENT) or dies rejects node-powershell's exit promise; that is
 *   observed here, so it becomes a LabCompromisedError with a sentence instead of an unhandled
 *   rejection, and the next operation starts a new shell.
 */
import type { ChildProcess } from 'node:child_process';
import { PowerShell, type PowerShellOptions } from 'node-powershell';
import { LabCompromisedError } from '../errors.js';

/** node-powershell keeps the child process and its exit promise private; driverlab needs both. */
interface ShellInternals {
  process: ChildProcess;
  exitPromise: Promise<void>;
}

function internals(shell: PowerShell): ShellInternals {
  return shell as unknown as ShellInternals;
}

export interface ShellCommand {
  /** The executable: pwsh, powershell(.exe), a full path, or node for the embedded host. */
  file: string;
  /** Arguments placed before PowerShell's own (the embedded host's script path). */
  leadingArgs: string[];
  env?: NodeJS.ProcessEnv;
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

/** One PowerShell process; restarted transparently after a timeout or a crash. */
export class PowerShellSession {
  private shell: PowerShell | undefined;
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

  /** How many processes this session has started (1 unless it restarted after a timeout or crash). */
  get processStarts(): number {
    return this.starts;
  }

  /** The process id of the current shell, if one runs. */
  get pid(): number | undefined {
    return this.shell && !this.ended ? internals(this.shell).process.pid : undefined;
  }

  private open(): PowerShell {
    if (this.shell && !this.ended) return this.shell;
    const saved = process.env.NODE_POWERSHELL;
    delete process.env.NODE_POWERSHELL;
    try {
      const executableOptions: Record<string, boolean> = { '-NoLogo': this.command.leadingArgs.length === 0 };
      for (const arg of this.command.leadingArgs) executableOptions[arg] = true;
      executableOptions['-NoProfile'] = true;
      executableOptions['-NonInteractive'] = true;
      const options: PowerShellOptions = {
        executable: this.command.file,
        executableOptions,
        throwOnInvocationError: false,
        spawnOptions: { env: this.command.env ?? process.env, windowsHide: true },
      };
      const shell = new PowerShell(options);
      this.ended = undefined;
      this.starts += 1;
      const child = internals(shell).process;
      // Writing to a shell that just died fails with EPIPE; the exit is what gets reported.
      child.stdin?.on('error', () => {});
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (this.shell === shell) this.ended = { code: null, signal: null, spawnError: error };
      });
      child.once('exit', (code, signal) => {
        if (this.shell === shell && !this.ended) this.ended = { code, signal };
      });
      // The exit promise rejects when the process fails or dies; reported on the next invoke.
      internals(shell).exitPromise.catch(() => {});
      this.shell = shell;
      return shell;
    } finally {
      if (saved !== undefined) process.env.NODE_POWERSHELL = saved;
    }
  }

  /**
   * Sends one line and waits for its output, at most `timeoutMs` wall milliseconds. A shell that
   * died since the last operation is reported (once) instead of silently replaced, since whatever
   * state the scenario had in it is gone.
   */
  async invoke(line: string, timeoutMs: number, what: string): Promise<ShellReply> {
    if (this.shell && this.ended) throw this.endedError(what, undefined, 'before');
    const shell = this.open();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const pending = shell.invoke(line);
      // After a timeout nobody awaits this promise; it rejects when the shell is killed.
      pending.catch(() => {});
      const outcome = await Promise.race([pending, timeout]);
      if (outcome === 'timeout') {
        await this.restart();
        throw new ShellTimeoutError(
          `${what} did not answer within ${formatWall(timeoutMs)} of wall time, so ${this.description} was stopped and will start again for the next operation (a timed-out command keeps running in PowerShell); check that the host is responsive and that the lab file's timeouts suit it.`,
        );
      }
      if (this.ended) throw this.endedError(what);
      return {
        stdout: outcome.stdout?.toString('utf8') ?? '',
        stderr: outcome.stderr?.toString('utf8') ?? '',
        durationMs: performance.now() - started,
      };
    } catch (error) {
      if (error instanceof LabCompromisedError) throw error;
      const child = internals(shell).process;
      if (this.ended || child.exitCode !== null || child.signalCode !== null) {
        this.ended ??= { code: child.exitCode, signal: child.signalCode };
        throw this.endedError(what, error);
      }
      throw new LabCompromisedError(
        `${what} could not be sent to ${this.description} (${String(error)}); the shell is restarted for the next operation.`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private endedError(what: string, cause?: unknown, when: 'before' | 'while' = 'while'): LabCompromisedError {
    const ended = this.ended;
    this.shell = undefined;
    const spawn = ended?.spawnError;
    if (spawn) {
      const why = spawn.code === 'ENOENT' ? 'it is not on PATH' : `${spawn.code ?? spawn.message}`;
      return new LabCompromisedError(
        `${this.description} could not start '${this.command.file}' for ${what}, because ${why}; install PowerShell on this machine or set the host's shell in the lab file to the full path of pwsh.exe or powershell.exe.`,
        { cause: cause ?? spawn },
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
    if (shell) await disposeQuietly(shell);
  }

  /** Stops the shell process (and waits, briefly, for it to go). */
  async close(): Promise<void> {
    await this.restart();
  }
}

function formatWall(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

async function disposeQuietly(shell: PowerShell): Promise<void> {
  const child = internals(shell).process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    child.kill('SIGKILL');
  } catch {
    // Already gone: nothing to kill.
  }
  // The fallback timer must not keep the process alive once the shell is gone.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    gone,
    new Promise((r) => {
      timer = setTimeout(r, 2000);
    }),
  ]);
  clearTimeout(timer);
}

/** "the PowerShell session …" at the start of a sentence. */
function sentenceStart(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
