/**
 * The Debugger port: what a scenario can ask of a live kernel debugger attached to a test VM (or of
 * a crash dump opened in one), independent of whether it is kd.exe or the simulated debugger.
 * Implemented by KdSession (lab/kd/session.ts). All durations are lab milliseconds.
 */
import type { Describable } from '../ports.js';

/**
 * Where the target is, as the debugger sees it:
 * - `disconnected`: kd waits for the target (never connected yet, or the transport was lost);
 * - `running`: connected, the target runs, kd shows no prompt;
 * - `broken-in`: the target is stopped at a prompt (break-in, breakpoint, verifier break, a dump);
 * - `bugchecked`: the target is stopped in KeBugCheckEx (`*** Fatal System Error` was printed);
 * - `rebooting`: the target said it shuts down; kd waits to reconnect.
 */
export type TargetState = 'disconnected' | 'running' | 'broken-in' | 'bugchecked' | 'rebooting';

export type VerifierChoice = 'b' | 'i' | 'z' | 'r' | 'd';

/** A bug check as kd announced it: `*** Fatal System Error: 0x000000d6` and its four parameters. */
export interface BugcheckReport {
  /** The code as a number (0xd6). */
  code: number;
  /** The code as kd printed it ("0x000000d6"). */
  codeText: string;
  /** The four parameters as kd printed them, or null when kd printed no parameter line. */
  args: [string, string, string, string] | null;
}

/** Why the target stopped, with what kd printed from the moment it ran until the prompt. */
export type StopEvent =
  | { kind: 'bugcheck'; bugcheck: BugcheckReport; text: string; processor: number | null }
  | { kind: 'break'; text: string; processor: number | null };

/** Driver Verifier asks "Break, Ignore, Zap, Remove, Disable all (bizrd)?" (or the short "(bid)?" form). */
export interface VerifierQuestion {
  /** What kd printed since the last event, ending with the question. */
  text: string;
  choices: readonly VerifierChoice[];
}

/** Decides the answer to a verifier question; the session answers at once, so a run never hangs on it. */
export type VerifierPolicy = (question: VerifierQuestion) => VerifierChoice;

/** What the session saw, in order; `atLabMs` is lab time since the session started. */
export type KdEvent = { atLabMs: number } & (
  | { kind: 'waiting' }
  | { kind: 'target-reached'; target: string; port: number; local: string }
  | { kind: 'connected'; product: string; build: number; arch: string; ptr64: boolean }
  | { kind: 'established'; initialBreak: boolean }
  | { kind: 'shutdown' }
  | { kind: 'retry'; count: number }
  | { kind: 'transport-lost' }
  /** `KDTARGET: Refreshing KD connection`: KDNET re-initialises and connects a second time. */
  | { kind: 'refresh' }
  /** The session stopped a debugger that waited too long without a target. */
  | { kind: 'abandoned'; reason: string }
  | { kind: 'bugcheck'; bugcheck: BugcheckReport }
  | { kind: 'stopped'; stop: StopEvent }
  | { kind: 'resumed'; by: string }
  | { kind: 'verifier-question'; question: VerifierQuestion; answer: VerifierChoice; policyError?: string }
  | { kind: 'break-in-attempt'; strategy: string; outcome: 'sent' | 'failed'; detail?: string }
  | { kind: 'exited'; code: number | null; signal: string | null }
);

export interface KdCommandResult {
  command: string;
  /** What kd printed for the command, without the prompt and the sentinel. */
  output: string;
  /** The processor of the prompt after the command (null for "kd> "). */
  processor: number | null;
  /** Lab milliseconds the command took. */
  durationMs: number;
}

export interface Debugger extends Describable {
  readonly state: TargetState;
  /** Waits until kd is connected to the target (or has opened the dump). */
  waitUntilConnected(options?: { timeoutMs?: number }): Promise<void>;
  /** Watches for that much lab time; true when the debugger stayed without a connection. */
  staysDisconnected(labMs: number): Promise<boolean>;
  /** Stops the running target (strategy chosen by configuration); returns why it stopped. */
  breakIn(): Promise<StopEvent>;
  /** Runs one command on the stopped target and returns what kd printed for it. */
  execute(command: string, options?: { timeoutMs?: number }): Promise<KdCommandResult>;
  /**
   * `g` (or another line that lets the target run: `gu`, `gh`, `gn`, `gc`, `~0 g`, `bp X; g`):
   * lets the target run (after a bugcheck: write its dump and reboot).
   */
  go(command?: string): Promise<void>;
  /** Waits for the running target to stop; null when it was still running after `timeoutMs`. */
  waitForStop(options?: { timeoutMs?: number }): Promise<StopEvent | null>;
  /** `.crash`: the target bugchecks with 0xE2. */
  crash(): Promise<StopEvent>;
  /** `.reboot`: resolves once kd reports the target going down; waitUntilConnected() waits for its return. */
  reboot(): Promise<void>;
  events(): readonly KdEvent[];
  /** The console transcript (commands inline, sentinels removed), secrets redacted. */
  transcript(): string;
  /** Quits kd (`q`, then kill after a grace period). */
  close(): Promise<void>;
}
