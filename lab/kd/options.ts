/**
 * What a KdSession is opened with: the connection, the executable, the timeouts (lab ms), the
 * options; and kd's command line for them.
 */
import type { LabClock } from '../clock.js';
import type { Redactor } from '../config/secrets.js';
import type { BreakInStrategy } from './break-in.js';
import type { VerifierPolicy } from './port.js';
import type { KdExecutable } from './process.js';

export type { KdExecutable } from './process.js';

/** What kd connects to. */
export type KdConnection =
  /** KDNET: kd listens on `port` for a target that knows `key`; the target sends to `hostIp`. */
  | { kind: 'net'; hostIp: string; port: number; key: string }
  /** A VM COM port exposed as a named pipe (the name, or `\\.\pipe\NAME`). */
  | { kind: 'pipe'; pipe: string }
  /** A crash dump file. */
  | { kind: 'dump'; path: string };

export interface KdTimeouts {
  /** Lab ms to wait for the connection (lab file: timeouts.kdConnect). */
  connectMs: number;
  /** Lab ms a command may take (timeouts.kdCommand). */
  commandMs: number;
  /**
   * Lab ms the first `!analyze -v` of a session may take: it loads the kernel's and every module's
   * symbols first (a public capture shows Analysis.Init.Elapsed.mSec 1060683, nearly 18 minutes).
   */
  firstAnalyzeMs: number;
  /** Lab ms to wait for a running target to stop (timeouts.bugcheck). */
  stopMs: number;
  /** Lab ms one break-in strategy is given before the next is tried. */
  breakInMs: number;
  /** Lab ms after `KDTARGET: Refreshing KD connection` in which KDNET's second connect is awaited. */
  refreshMs: number;
  /**
   * Lab ms a debugger may wait without any target before it is stopped: real kd left waiting with
   * redirected standard streams is reported to grow kernel pool until the host stalls.
   */
  noTargetMs: number;
  /** Lab ms kd is given to quit after `q` before it is killed. */
  quitGraceMs: number;
}

export const DEFAULT_KD_TIMEOUTS: KdTimeouts = {
  connectMs: 120_000,
  commandMs: 60_000,
  firstAnalyzeMs: 1_200_000,
  stopMs: 300_000,
  breakInMs: 10_000,
  refreshMs: 30_000,
  noTargetMs: 14_400_000,
  quitGraceMs: 5_000,
};

export interface KdSessionOptions {
  /** Whose debugger this is, for messages: "VM 'win11-a'". */
  subject: string;
  executable: KdExecutable;
  connection: KdConnection;
  /** The symbol path (-y). */
  symbols?: string;
  /** Extra environment for kd. */
  env?: Record<string, string>;
  /** Where kd's log goes (a temporary directory when absent). */
  logDir?: string;
  /** kd's log as Unicode (`-logou`, UTF-16) rather than the ANSI code page (`-logo`). */
  unicodeLog?: boolean;
  /** The code page kd's console writes, as a WHATWG label (default utf-8). */
  outputEncoding?: string;
  clock: LabClock;
  /** Takes the KDNET key (and every other registered secret) out of transcripts and messages. */
  redactor: Redactor;
  verifierPolicy: VerifierPolicy;
  /** Tried in order until the target stops; default: the byte 0x03. */
  breakIn?: readonly BreakInStrategy[];
  timeouts?: Partial<KdTimeouts>;
}

/** A kd log as text: `-logou` writes UTF-16LE (with a byte-order mark), `-logo` the ANSI code page. */
export function decodeLog(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  return new TextDecoder('utf-8').decode(bytes);
}

/** kd's arguments for a connection, the symbol path and the log file (`-logou` for a Unicode log). */
export function kdArguments(
  connection: KdConnection,
  symbols?: string,
  logFile?: string | null,
  unicodeLog = false,
): string[] {
  const args: string[] = [];
  switch (connection.kind) {
    case 'net':
      args.push('-k', `net:port=${connection.port},key=${connection.key}`);
      break;
    case 'pipe': {
      const port = /^\\\\/.test(connection.pipe) ? connection.pipe : `\\\\.\\pipe\\${connection.pipe}`;
      args.push('-k', `com:pipe,port=${port},resets=0,reconnect`);
      break;
    }
    case 'dump':
      args.push('-z', connection.path);
      break;
  }
  if (symbols) args.push('-y', symbols);
  if (logFile) args.push(unicodeLog ? '-logou' : '-logo', logFile);
  return args;
}

/** kd's command line as the transcript shows it. */
export function quoteCommandLine(args: readonly string[]): string {
  return args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)).join(' ');
}
