/**
 * The debugger process: how kd is started, fed, read and ended, and how it is kept from outliving
 * driverlab (issue 15 §4, ADR 0007).
 *
 * - Windows, with a console break-in configured: kd is started by `helpers/Start-KdInJob.ps1`,
 *   which creates it with a console of its own (hidden) and a process group of its own, in a Job
 *   object that kills it when the job's last handle closes, and which ends itself (closing the job)
 *   when driverlab's process is gone. It prints kd's process id first (`driverlab-kd-pid N`), so a
 *   CTRL+BREAK can be sent to kd's group alone (`helpers/Send-KdCtrlBreak.ps1`). Unproven on
 *   Windows: the script is held to the PowerShell grammar and to its calls by a test.
 * - Windows otherwise: a hidden child that execa kills when driverlab exits.
 * - Elsewhere (the simulated debugger): a process group of its own, killed as a group; an exit
 *   hook kills every group still alive when driverlab exits; and the debugger watches its parent
 *   (standard input closing, the parent process gone) so a driverlab killed outright leaves no kd.
 *
 * Output is decoded from the console code page kd writes (`outputEncoding`, a WHATWG label:
 * `utf-8`, `windows-1252`, `ibm866`, …), so non-ASCII module paths survive a pipe.
 */
import { join } from 'node:path';
import { TextDecoder } from 'node:util';
import { execa, type ResultPromise } from 'execa';
import { ConfigurationError } from '../errors.js';
import { projectRoot } from '../paths.js';

/** The debugger executable and the arguments that precede kd's own (`node kd.mjs` for the simulated one). */
export interface KdExecutable {
  file: string;
  leadingArgs: readonly string[];
}

export interface KdProcessOptions {
  executable: KdExecutable;
  args: readonly string[];
  env: Record<string, string>;
  /** The code page kd's console writes, as a WHATWG encoding label (default utf-8). */
  outputEncoding?: string;
  /** Start kd in a kill-on-close Job with its own hidden console (Windows, console break-in). */
  ownConsole: boolean;
  platform?: NodeJS.Platform;
  onStdout(text: string): void;
  onStderr(text: string): void;
  onExit(code: number | null, signal: string | null, failure: unknown): void;
}

/** The line Start-KdInJob.ps1 prints on standard error before anything else. */
const KD_PID_LINE = /^driverlab-kd-pid (\d+)\r?$/m;

const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Kills every debugger process group still alive when driverlab exits (POSIX). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of liveGroups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

/** The decoder for kd's console code page; an unknown label is a configuration error. */
export function outputDecoder(label: string | undefined): TextDecoder {
  try {
    return new TextDecoder(label ?? 'utf-8');
  } catch {
    throw new ConfigurationError(
      `The debugger's output encoding '${label}' (debugger.outputEncoding) is not an encoding driverlab can decode; give a WHATWG label such as 'utf-8', 'windows-1252' or 'ibm866', or switch kd's console to UTF-8 (code page 65001).`,
    );
  }
}

/**
 * The launcher that puts kd in a kill-on-close Job with its own console (Windows); found from the
 * project root, since this module also runs from a bundle in dist/ (support/bundle.mjs).
 */
export const JOB_LAUNCHER = join(projectRoot, 'lab', 'kd', 'helpers', 'Start-KdInJob.ps1');

/** How kd is started on this platform: the file, its arguments, and what is detached. */
export function launchPlan(
  options: Pick<KdProcessOptions, 'executable' | 'args' | 'ownConsole'>,
  platform: NodeJS.Platform,
  parentPid: number,
): { file: string; args: string[]; group: boolean; windowsHide: boolean } {
  const kdArgs = [...options.executable.leadingArgs, ...options.args];
  if (platform === 'win32' && options.ownConsole) {
    return {
      file: 'powershell.exe',
      args: [
        '-NoProfile',
        '-NonInteractive',
        '-ExecutionPolicy',
        'Bypass',
        '-File',
        JOB_LAUNCHER,
        '-ParentPid',
        String(parentPid),
        '-Kd',
        options.executable.file,
        // As data, so that no kd argument (`-k`, `-y`) is read as one of the script's parameters.
        '-KdArguments',
        Buffer.from(JSON.stringify(kdArgs), 'utf8').toString('base64'),
      ],
      group: false,
      windowsHide: true,
    };
  }
  return { file: options.executable.file, args: kdArgs, group: platform !== 'win32', windowsHide: true };
}

/** One running debugger process. */
export class KdProcess {
  private readonly child: ResultPromise;
  private readonly decoder: TextDecoder;
  private readonly group: boolean;
  private carryCr = false;
  private stderrHead: string | null = '';
  private readonly launched: boolean;
  private reportedKdPid: number | null = null;
  private ended = false;
  readonly exited: Promise<void>;

  constructor(private readonly options: KdProcessOptions) {
    this.decoder = outputDecoder(options.outputEncoding);
    const platform = options.platform ?? process.platform;
    const plan = launchPlan(options, platform, process.pid);
    this.group = plan.group;
    this.launched = plan.file !== options.executable.file;
    this.child = execa(plan.file, plan.args, {
      buffer: false,
      reject: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      env: options.env,
      extendEnv: true,
      // A detached child on POSIX is the leader of its own process group (killed as a group below);
      // execa's cleanup does not cover a detached child, so the exit hook does.
      detached: plan.group,
      cleanup: !plan.group,
      windowsHide: plan.windowsHide,
    });
    if (this.group && this.child.pid !== undefined) {
      liveGroups.add(this.child.pid);
      installExitHook();
    }
    this.child.stdout?.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.onStderr(chunk.toString('utf8')));
    this.child.stdin?.on('error', () => {});
    this.exited = this.child.then(
      (result) => this.onExit(result.exitCode ?? null, result.signal ?? null, result.failed ? result : null),
      (error: unknown) => this.onExit(null, null, error),
    );
  }

  /** The process driverlab started (the launcher on Windows with a Job). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** kd's own process id: the one the launcher reported, else the child's. */
  get kdPid(): number | undefined {
    return this.reportedKdPid ?? this.child.pid;
  }

  get isAlive(): boolean {
    return !this.ended;
  }

  write(text: string): void {
    if (this.ended || !this.child.stdin || this.child.stdin.destroyed) return;
    this.child.stdin.write(text);
  }

  /** Writes and resolves once the text has left driverlab for kd's standard input. */
  writeFlushed(text: string): Promise<void> {
    const stdin = this.child.stdin;
    if (this.ended || !stdin || stdin.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      stdin.write(text, () => resolve());
    });
  }

  endInput(): void {
    this.child.stdin?.end();
  }

  /** Ends kd at once: its whole process group on POSIX, the launcher (and so the Job) on Windows. */
  kill(): void {
    if (this.ended) return;
    if (this.group && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
        return;
      } catch {
        // The group is gone already; fall through to the child itself.
      }
    }
    this.child.kill('SIGKILL');
  }

  private onStdout(chunk: Buffer): void {
    let text = this.decoder.decode(chunk, { stream: true });
    if (this.carryCr) {
      text = `\r${text}`;
      this.carryCr = false;
    }
    if (text.endsWith('\r')) {
      this.carryCr = true;
      text = text.slice(0, -1);
    }
    text = text.replace(/\r\n/g, '\n');
    if (text !== '') this.options.onStdout(text);
  }

  private onStderr(text: string): void {
    // The launcher's first line is kd's process id; everything after it is kd's.
    if (this.launched && this.reportedKdPid === null && this.stderrHead !== null) {
      this.stderrHead += text;
      const nl = this.stderrHead.indexOf('\n');
      if (nl < 0) return;
      const first = this.stderrHead.slice(0, nl + 1);
      const rest = this.stderrHead.slice(nl + 1);
      this.stderrHead = null;
      const m = KD_PID_LINE.exec(first);
      if (m?.[1]) this.reportedKdPid = Number(m[1]);
      else this.options.onStderr(first);
      if (rest !== '') this.options.onStderr(rest);
      return;
    }
    this.options.onStderr(text);
  }

  private onExit(code: number | null, signal: string | null, failure: unknown): void {
    this.ended = true;
    if (this.child.pid !== undefined) liveGroups.delete(this.child.pid);
    this.options.onExit(code, signal, failure);
  }
}
