/**
 * Break-in: how KdSession stops a running target. kd breaks in on CTRL+C, which it reads as a
 * console control event, not as a byte; Node cannot raise one, so the way depends on where kd runs.
 * The session tries the configured strategies in order until the target stops.
 *
 * Windows (kd.exe), what a lab must do — researched, not verifiable on the machines this project is
 * built on:
 * - Node's `subprocess.kill()` on Windows is TerminateProcess whatever the signal: it never
 *   delivers CTRL+C.
 * - A console control event reaches only processes attached to a console. libuv starts a child with
 *   `windowsHide` as CREATE_NO_WINDOW (no console at all) and a `detached` child as
 *   DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP (no console either), so kd must be started with
 *   neither: it then shares the harness's console, or gets a new one when the harness has none
 *   (a scheduled task, a service). KdSession does that when a console-ctrl strategy is configured.
 * - GenerateConsoleCtrlEvent(CTRL_C_EVENT, group) cannot target a process group (CTRL_C only works
 *   with group 0, every process on the caller's console), and the caller must share kd's console.
 *   CTRL_BREAK_EVENT can target a group created with CREATE_NEW_PROCESS_GROUP, which Node cannot
 *   set without also detaching. So the lab needs a small helper program that: FreeConsole();
 *   AttachConsole(kdPid); SetConsoleCtrlHandler(NULL, TRUE) (so the helper itself survives);
 *   GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0); FreeConsole(); exits 0 on success. Started with
 *   `windowsHide` it has no console of its own, so AttachConsole works. If kd shares the harness's
 *   console, the harness process receives the same CTRL+C: Node turns it into SIGINT, which the
 *   harness must then handle rather than exit (cucumber's workers included). Starting the harness
 *   without a console (as a scheduled task) avoids that. The helper is given to the session as
 *   `{ kind: 'console-ctrl', helper: { file, args } }`; kd's process id is appended to `args`.
 * - Fallback: the hypervisor NMI (`Debug-VM -InjectNonMaskableInterrupt`), through a callback so
 *   that this module never imports the Hyper-V adapter. A Windows guest usually answers an NMI with
 *   bug check 0x80 (domain brief U4): the target stops, but as a crash.
 *
 * The simulated debugger understands all three ways a console can say CTRL+C: the byte 0x03 on its
 * standard input (`break-byte`; what real kd does with that byte on a pipe is unverified, domain
 * brief §2.4 / U5), SIGINT (what `console-ctrl` sends on Linux and macOS, as a terminal's CTRL+C
 * does), and the Windows console events (Node delivers them to it as SIGINT / SIGBREAK).
 */
import { execa } from 'execa';

export type BreakInStrategy =
  /** The byte 0x03 (CTRL+C) on kd's standard input. */
  | { kind: 'break-byte' }
  /** A console control event: a helper program on Windows (kd's pid appended), SIGINT elsewhere. */
  | { kind: 'console-ctrl'; helper?: { file: string; args: readonly string[] } }
  /** The hypervisor's NMI (e.g. `() => vm.injectNmi()`). */
  | { kind: 'nmi'; inject: () => Promise<void> };

export interface BreakInContext {
  pid: number;
  platform: NodeJS.Platform;
  writeStdin(text: string): void;
  /** Wall milliseconds the console helper may take. */
  helperTimeoutMs: number;
}

/** "the byte 0x03 on kd's standard input", for messages and the report. */
export function describeStrategy(strategy: BreakInStrategy): string {
  switch (strategy.kind) {
    case 'break-byte':
      return "CTRL+C as the byte 0x03 on kd's standard input";
    case 'console-ctrl':
      return strategy.helper
        ? `a console CTRL+C event through ${strategy.helper.file}`
        : 'a console CTRL+C event';
    case 'nmi':
      return 'an NMI injected by the hypervisor';
  }
}

/** Sends the break request; resolves once it is sent (the target's stop is awaited by the session). */
export async function sendBreak(strategy: BreakInStrategy, context: BreakInContext): Promise<void> {
  switch (strategy.kind) {
    case 'break-byte':
      context.writeStdin('\x03');
      return;
    case 'nmi':
      await strategy.inject();
      return;
    case 'console-ctrl': {
      if (context.platform !== 'win32') {
        process.kill(context.pid, 'SIGINT');
        return;
      }
      if (!strategy.helper) {
        throw new Error(
          'no console helper program is configured (Node cannot raise a console CTRL+C event itself)',
        );
      }
      const result = await execa(strategy.helper.file, [...strategy.helper.args, String(context.pid)], {
        reject: false,
        windowsHide: true,
        timeout: context.helperTimeoutMs,
        stdin: 'ignore',
      });
      if (result.exitCode !== 0) {
        throw new Error(
          `the console helper ${strategy.helper.file} ended with ${result.exitCode === undefined ? String(result.signal ?? 'an error') : `exit code ${result.exitCode}`}${result.stderr ? ` ("${String(result.stderr).trim().split('\n').pop()}")` : ''}`,
        );
      }
      return;
    }
  }
}

/** The break-in strategies for a debugger: what it understands first, then the NMI when one is given. */
export function defaultBreakInStrategies(options: {
  embedded: boolean;
  platform: NodeJS.Platform;
  nmi?: () => Promise<void>;
  consoleHelper?: { file: string; args: readonly string[] };
}): BreakInStrategy[] {
  const strategies: BreakInStrategy[] = [];
  if (options.embedded) strategies.push({ kind: 'break-byte' });
  else if (options.platform === 'win32' && options.consoleHelper) {
    strategies.push({ kind: 'console-ctrl', helper: options.consoleHelper });
  }
  if (options.nmi) strategies.push({ kind: 'nmi', inject: options.nmi });
  // kd.exe without a console helper or an NMI: the byte is the last resort (unverified on kd.exe).
  if (strategies.length === 0) strategies.push({ kind: 'break-byte' });
  return strategies;
}
