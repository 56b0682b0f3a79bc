/**
 * A persistent PowerShell process on the lab host, driven through node-powershell.
 *
 * node-powershell quirks handled here, deliberately:
 * - `throwOnInvocationError` is off: stderr output is data (the reply parser classifies it), not an exception;
 * - a timed-out command keeps running in the shell, so after a timeout the shell is disposed and a
 *   fresh one is started for the next operation;
 * - `NODE_POWERSHELL` in the environment would silently replace the executable, so it is ignored;
 * - the shell's exit promise rejects when the process dies; it is observed here so that a dead
 *   shell becomes a LabCompromisedError on the next operation instead of an unhandled rejection.
 */
import type { ChildProcess } from 'node:child_process';
import { PowerShell, type PowerShellOptions } from 'node-powershell';

/** node-powershell keeps the child process and its exit promise private; driverlab needs both. */
interface ShellInternals {
  process: ChildProcess;
  exitPromise: Promise<void>;
}

function internals(shell: PowerShell): ShellInternals {
  return shell as unknown as ShellInternals;
}

import { LabCompromisedError } from '../errors.js';

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

export class ShellTimeoutError extends LabCompromisedError {}

/** One PowerShell process; restarted transparently after a timeout or a crash. */
export class PowerShellSession {
  private shell: PowerShell | undefined;
  private exited: { code: number | null; signal: string | null } | undefined;
  private starts = 0;

  constructor(
    private readonly command: ShellCommand,
    /** "the PowerShell session on host 'lab-01'": used in messages. */
    private readonly description: string,
  ) {}

  describe(): string {
    return this.description;
  }

  /** How many processes this session has started (1 unless it restarted after a timeout or crash). */
  get processStarts(): number {
    return this.starts;
  }

  private open(): PowerShell {
    if (this.shell && !this.exited) return this.shell;
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
      this.exited = undefined;
      this.starts += 1;
      internals(shell).process.once('exit', (code, signal) => {
        if (this.shell === shell) this.exited = { code, signal };
      });
      // The exit promise rejects on a non-zero exit; observed here, reported on the next invoke.
      internals(shell).exitPromise.catch(() => {});
      this.shell = shell;
      return shell;
    } finally {
      if (saved !== undefined) process.env.NODE_POWERSHELL = saved;
    }
  }

  /** Sends one line and waits for its output, at most `timeoutMs` wall milliseconds. */
  async invoke(line: string, timeoutMs: number, what: string): Promise<ShellReply> {
    const shell = this.open();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([shell.invoke(line), timeout]);
      if (outcome === 'timeout') {
        await this.restart();
        throw new ShellTimeoutError(
          `${what} did not answer within ${Math.round(timeoutMs)} ms of wall time, so ${this.description} was restarted (a timed-out command keeps running in PowerShell); check that the host is responsive and that the lab file's timeouts suit it.`,
        );
      }
      if (this.exited) throw this.diedError(what);
      return {
        stdout: outcome.stdout?.toString('utf8') ?? '',
        stderr: outcome.stderr?.toString('utf8') ?? '',
        durationMs: performance.now() - started,
      };
    } catch (error) {
      if (error instanceof LabCompromisedError) throw error;
      const child = internals(shell).process;
      if (this.exited || child.exitCode !== null) {
        this.exited ??= { code: child.exitCode, signal: child.signalCode };
        throw this.diedError(what, error);
      }
      throw new LabCompromisedError(`${what} could not be sent to ${this.description} (${String(error)}).`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private diedError(what: string, cause?: unknown): LabCompromisedError {
    const how = this.exited?.signal
      ? `signal ${this.exited.signal}`
      : `exit code ${this.exited?.code ?? 'unknown'}`;
    this.shell = undefined;
    return new LabCompromisedError(
      `${this.description} ended (${how}) while running ${what}; the next operation starts a new shell, but check the host's PowerShell and event log for why it died.`,
      { cause },
    );
  }

  private async restart(): Promise<void> {
    const shell = this.shell;
    this.shell = undefined;
    if (shell) await disposeQuietly(shell);
  }

  async close(): Promise<void> {
    await this.restart();
  }
}

async function disposeQuietly(shell: PowerShell): Promise<void> {
  try {
    await Promise.race([shell.dispose('SIGKILL'), new Promise((r) => setTimeout(r, 2000))]);
  } catch {
    // Already gone: nothing to dispose.
  }
}
