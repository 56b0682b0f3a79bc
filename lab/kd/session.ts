/**
 * KdSession: one kernel debugger process (kd.exe or the simulated debugger, which take the same
 * command line and speak the same console protocol; the session never knows which) attached to one
 * target or dump.
 *
 * The console protocol (domain brief §2.3–2.8):
 * - kd's output is read as raw chunks; a prompt ("kd> ", "3: kd> ") ends no line, so it is
 *   recognised on the partial last line.
 * - A command is sent with a quoted `.echo` sentinel on the next line; its output is what kd printed
 *   before the sentinel's line, and it is complete when the prompt after the sentinel appears.
 * - Commands that let the target run (`g`, `.crash`, `.reboot`) get no sentinel: the session waits
 *   for an event (a stop, the target going down) with a timeout instead.
 * - An empty line is never sent (kd repeats the last command on one).
 * - While the target runs the session watches for `*** Fatal System Error` and its parameters (a
 *   bug check), `Break instruction exception` (a break, not a crash), Driver Verifier's
 *   "(bizrd)?" question (answered at once by the configured policy, so nothing hangs on it), the
 *   connection banners and the lost-transport text, and keeps the target's state.
 * - Every wait is in lab time (LabClock); teardown is `q`, then kill after a grace period.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { formatLabDuration, type LabClock } from '../clock.js';
import type { Redactor } from '../config/secrets.js';
import { ConfigurationError, HarnessLogicError, LabCompromisedError } from '../errors.js';
import { type BreakInStrategy, describeStrategy, sendBreak } from './break-in.js';
import {
  ANY_SENTINEL,
  classifyKdLine,
  promptAlone,
  promptLeading,
  sentinelFor,
  trailingPrompt,
  verifierQuestionChoices,
} from './kd-text.js';
import type {
  BugcheckReport,
  Debugger,
  KdCommandResult,
  KdEvent,
  StopEvent,
  TargetState,
  VerifierChoice,
  VerifierPolicy,
} from './port.js';

/** What kd connects to. */
export type KdConnection =
  /** KDNET: kd listens on `port` for a target that knows `key`; the target sends to `hostIp`. */
  | { kind: 'net'; hostIp: string; port: number; key: string }
  /** A VM COM port exposed as a named pipe (the name, or `\\.\pipe\NAME`). */
  | { kind: 'pipe'; pipe: string }
  /** A crash dump file. */
  | { kind: 'dump'; path: string };

/** The debugger executable and the arguments that precede kd's own (`node kd.mjs` for the simulated one). */
export interface KdExecutable {
  file: string;
  leadingArgs: readonly string[];
}

export interface KdTimeouts {
  /** Lab ms to wait for the connection (lab file: timeouts.kdConnect). */
  connectMs: number;
  /** Lab ms a command may take (timeouts.kdCommand). */
  commandMs: number;
  /** Lab ms to wait for a running target to stop (timeouts.bugcheck). */
  stopMs: number;
  /** Lab ms one break-in strategy is given before the next is tried. */
  breakInMs: number;
  /** Lab ms kd is given to quit after `q` before it is killed. */
  quitGraceMs: number;
}

export const DEFAULT_KD_TIMEOUTS: KdTimeouts = {
  connectMs: 120_000,
  commandMs: 60_000,
  stopMs: 300_000,
  breakInMs: 10_000,
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
  /** Where kd's -logo transcript goes (a temporary directory when absent). */
  logDir?: string;
  clock: LabClock;
  /** Takes the KDNET key (and every other registered secret) out of transcripts and messages. */
  redactor: Redactor;
  verifierPolicy: VerifierPolicy;
  /** Tried in order until the target stops; default: the byte 0x03. */
  breakIn?: readonly BreakInStrategy[];
  timeouts?: Partial<KdTimeouts>;
}

interface Capture {
  command: string;
  sentinel: string;
  /** What kd printed for the command so far, in chunks (joined once the sentinel shows). */
  parts: string[];
  /** The unterminated last line, for the lost-link scan. */
  partial: string;
  /** The last characters seen, so a sentinel cut between two chunks is still found. */
  tail: string;
  sentinelSeen: boolean;
  startedAt: number;
  resolve: (result: KdCommandResult) => void;
  reject: (error: Error) => void;
}

interface Waiter {
  from: number;
  doing: string;
  pick: (event: KdEvent) => boolean;
  resolve: (event: KdEvent) => void;
  reject: (error: Error) => void;
}

type TranscriptPart = { kind: 'out' | 'in'; text: string };

let sessionCounter = 0;

/** One kd process attached to one target or dump. */
export class KdSession implements Debugger {
  private readonly child: ResultPromise;
  private readonly clock: LabClock;
  private readonly timeouts: KdTimeouts;
  private readonly startedAt: number;
  private readonly log: KdEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly parts: TranscriptPart[] = [];
  /** The transcript's complete lines so far, cleaned and redacted (see transcript()). */
  private readonly clean = { parts: 0, text: '', pending: '', secrets: 0 };
  private readonly decoder = new TextDecoder('utf-8');
  private current: TargetState = 'disconnected';
  private buffer = '';
  private carryCr = false;
  private capture: Capture | null = null;
  private atPrompt = false;
  private processor: number | null = null;
  /** What kd printed since the target last ran (the text of the next stop). */
  private sinceRun: string[] = [];
  private pendingFatal: { code: number; codeText: string } | null = null;
  private bugcheck: BugcheckReport | null = null;
  private lastStop: StopEvent | null = null;
  private exitInfo: { code: number | null; signal: string | null } | null = null;
  private readonly exited: Promise<void>;
  private closing = false;
  private stderrTail = '';
  private operation: Promise<unknown> = Promise.resolve();
  /** The event index from which waitForStop looks (set when the target is let run). */
  private runFrom = 0;
  /** Where kd writes its -logo log. */
  readonly logFile: string;
  readonly commandLine: readonly string[];

  private constructor(private readonly options: KdSessionOptions) {
    this.clock = options.clock;
    this.timeouts = { ...DEFAULT_KD_TIMEOUTS, ...options.timeouts };
    this.startedAt = this.clock.now();
    const connection = options.connection;
    if (connection.kind === 'net') {
      options.redactor.add(connection.key, `KDNET key of ${options.subject}`);
    }
    const logDir = options.logDir ?? join(tmpdir(), 'driverlab-kd');
    try {
      mkdirSync(logDir, { recursive: true });
    } catch (error) {
      throw new ConfigurationError(
        `The debugger's log directory '${logDir}' cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)}); set debugger.logDir in the lab file to a writable directory.`,
        { cause: error },
      );
    }
    sessionCounter += 1;
    this.logFile = join(
      logDir,
      `kd-${options.subject.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${process.pid}-${sessionCounter}.log`,
    );
    const kdArgs = kdArguments(connection, options.symbols, this.logFile);
    this.commandLine = [options.executable.file, ...options.executable.leadingArgs, ...kdArgs];
    this.parts.push({ kind: 'in', text: `> ${quoteCommandLine(['kd', ...kdArgs])}\n` });
    const consoleCtrl = options.breakIn?.some((s) => s.kind === 'console-ctrl') ?? false;
    this.child = execa(options.executable.file, [...options.executable.leadingArgs, ...kdArgs], {
      buffer: false,
      reject: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      // kd.exe listens on every address and ignores this; the simulated debugger binds it, so two
      // VMs with distinct host IPs never collide even on the same port.
      env: {
        ...options.env,
        ...(connection.kind === 'net' ? { DRIVERLAB_KD_LISTEN: connection.hostIp } : {}),
      },
      extendEnv: true,
      cleanup: true,
      // A console CTRL+C needs kd to have a console (see break-in.ts); otherwise keep it hidden.
      windowsHide: !consoleCtrl,
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
      this.parts.push({ kind: 'out', text: chunk.toString('utf8') });
    });
    this.child.stdin?.on('error', () => {});
    this.exited = this.child.then(
      (result) => this.onExit(result.exitCode ?? null, result.signal ?? null, result.failed ? result : null),
      (error: unknown) => this.onExit(null, null, error),
    );
  }

  /** Starts kd; the session is returned at once (see waitUntilConnected). */
  static start(options: KdSessionOptions): KdSession {
    return new KdSession(options);
  }

  /** Starts kd and waits for the connection (or the dump); kd is ended again when that fails. */
  static async open(options: KdSessionOptions): Promise<KdSession> {
    const session = new KdSession(options);
    try {
      await session.waitUntilConnected();
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  describe(): string {
    return `the kernel debugger of ${this.options.subject}`;
  }

  get state(): TargetState {
    return this.current;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The processor of the last prompt (null for "kd> "). */
  get promptProcessor(): number | null {
    return this.processor;
  }

  events(): readonly KdEvent[] {
    return this.log;
  }

  get isDump(): boolean {
    return this.options.connection.kind === 'dump';
  }

  // ── public operations ────────────────────────────────────────────────────

  async waitUntilConnected(options: { timeoutMs?: number } = {}): Promise<void> {
    this.throwIfDead('waiting for the connection');
    if (this.current !== 'disconnected' && this.current !== 'rebooting') return;
    const timeoutMs = options.timeoutMs ?? this.timeouts.connectMs;
    await this.waitFor(
      this.log.length,
      (e) => this.isConnection(e),
      timeoutMs,
      () => this.neverConnectedError(timeoutMs),
      'waiting for the connection',
    );
  }

  /**
   * Watches the debugger for `labMs` of lab time and says whether it stayed without a connection
   * (true) — for a scenario that expects the debugger never to connect, such as one with a wrong
   * key. It watches for the clock's wallWatch window: on a real lab exactly the lab time; on the
   * embedded lab's virtual time a short window, since what can go wrong by watching less is only a
   * connection that comes later, and a wrong key never connects at all.
   */
  async staysDisconnected(labMs: number): Promise<boolean> {
    this.throwIfDead('watching for a connection');
    if (this.current !== 'disconnected' && this.current !== 'rebooting') return false;
    const wallMs = this.clock.wallWatch(labMs);
    const quiet = new Error('no connection');
    try {
      const doing = 'watching for a connection';
      await this.waitFor(
        this.log.length,
        (e) => this.isConnection(e),
        labMs,
        () => quiet,
        doing,
        wallMs,
      );
      return false;
    } catch (error) {
      if (error === quiet) return true;
      throw error;
    }
  }

  /** The event that says kd reached the target: the connection, or for a dump its opening stop. */
  private isConnection(event: KdEvent): boolean {
    return event.kind === (this.isDump ? 'stopped' : 'established');
  }

  breakIn(): Promise<StopEvent> {
    return this.exclusive(async () => {
      this.throwIfDead('breaking in');
      if (this.isStopped() && this.lastStop) return this.lastStop;
      if (this.current !== 'running') {
        throw new HarnessLogicError(
          `Cannot break into ${this.options.subject}: the target is ${this.current}, not running; wait until the debugger is connected before breaking in.`,
        );
      }
      const strategies = this.options.breakIn ?? [{ kind: 'break-byte' }];
      const tried: string[] = [];
      // The stop's text is what kd prints from the break request on, not the banners before it.
      this.sinceRun = [];
      for (const strategy of strategies) {
        const from = this.log.length;
        const name = describeStrategy(strategy);
        try {
          await sendBreak(strategy, {
            pid: this.child.pid ?? -1,
            platform: process.platform,
            writeStdin: (text) => this.write(text, '<CTRL+C>'),
            helperTimeoutMs: this.clock.wallTimeout(this.timeouts.breakInMs),
          });
        } catch (error) {
          const detail = error instanceof Error ? error.message : String(error);
          this.emit({ kind: 'break-in-attempt', strategy: name, outcome: 'failed', detail });
          tried.push(`${name} could not be sent (${detail})`);
          continue;
        }
        this.emit({ kind: 'break-in-attempt', strategy: name, outcome: 'sent' });
        const stop = await this.stopAfter(from, this.timeouts.breakInMs, 'breaking in');
        if (stop) return stop;
        tried.push(`${name} left it running for ${formatLabDuration(this.timeouts.breakInMs)}`);
      }
      throw new LabCompromisedError(
        `Could not break into ${this.options.subject}: ${tried.join('; ')}; check that the debugger is connected and the target responsive, and configure another break-in strategy (a console helper on Windows, or the hypervisor NMI).`,
      );
    });
  }

  async execute(command: string, options: { timeoutMs?: number } = {}): Promise<KdCommandResult> {
    this.checkCommand(command);
    return this.exclusive(() => {
      this.throwIfDead(`running '${command}'`);
      if (!this.isStopped()) {
        throw new HarnessLogicError(
          `The debugger command '${command}' was sent to ${this.options.subject} while the target is ${this.current}; break in or wait for it to stop before running commands.`,
        );
      }
      return this.runCaptured(command, options.timeoutMs ?? this.timeouts.commandMs);
    });
  }

  go(): Promise<void> {
    return this.exclusive(async () => {
      this.throwIfDead("sending 'g'");
      this.requireStopped('g', 'go()');
      this.letRun('g');
    });
  }

  waitForStop(options: { timeoutMs?: number } = {}): Promise<StopEvent | null> {
    this.throwIfDead('waiting for the target to stop');
    if (this.isStopped() && this.lastStop) return Promise.resolve(this.lastStop);
    return this.stopAfter(this.runFrom, options.timeoutMs ?? this.timeouts.stopMs, 'waiting for a stop');
  }

  crash(): Promise<StopEvent> {
    return this.exclusive(async () => {
      this.throwIfDead("sending '.crash'");
      this.requireStopped('.crash', 'crash()');
      this.letRun('.crash');
      const stop = await this.stopAfter(
        this.runFrom,
        this.timeouts.stopMs,
        "waiting for '.crash' to bugcheck",
      );
      if (!stop) {
        throw new LabCompromisedError(
          `'.crash' was sent to ${this.options.subject} but the target did not stop within ${formatLabDuration(this.timeouts.stopMs)}; check the kd transcript and that the target is responsive.`,
        );
      }
      return stop;
    });
  }

  reboot(): Promise<void> {
    return this.exclusive(async () => {
      this.throwIfDead("sending '.reboot'");
      this.requireStopped('.reboot', 'reboot()');
      const from = this.log.length;
      this.atPrompt = false;
      this.write('.reboot\n', '.reboot');
      this.setState('rebooting');
      this.emit({ kind: 'resumed', by: '.reboot' });
      await this.waitFor(
        from,
        (e) => e.kind === 'shutdown' || e.kind === 'waiting' || e.kind === 'transport-lost',
        this.timeouts.stopMs,
        () =>
          new LabCompromisedError(
            `'.reboot' was sent to ${this.options.subject} but kd never reported the target going down within ${formatLabDuration(this.timeouts.stopMs)}; check the kd transcript and restart the VM from the host.`,
          ),
        "waiting for '.reboot'",
      );
    });
  }

  /** The console transcript: kd's output with the commands inline, sentinels removed, secrets redacted. */
  transcript(): string {
    // Complete lines are cleaned and redacted once and kept: a session that lives through a whole
    // run is read after every scenario, and reading must not grow with everything before it. A
    // sentinel line and a secret never span lines, so line by line gives the same text as a whole.
    const cache = this.clean;
    const redactor = this.options.redactor;
    if (cache.secrets !== redactor.size) {
      // A secret registered since (a key captured by a scenario) is taken out of the kept text too.
      cache.text = redactor.redact(cache.text);
      cache.secrets = redactor.size;
    }
    for (; cache.parts < this.parts.length; cache.parts += 1) {
      const part = this.parts[cache.parts] as TranscriptPart;
      if (part.kind === 'in' && part.text.startsWith('.echo "@@DRIVERLAB:')) continue;
      cache.pending += part.text;
    }
    const cut = cache.pending.lastIndexOf('\n') + 1;
    if (cut > 0) {
      cache.text += redactor.redact(cleanLines(cache.pending.slice(0, cut)));
      cache.pending = cache.pending.slice(cut);
    }
    return cache.text + redactor.redact(cleanLines(cache.pending));
  }

  /** kd's own -logo log, secrets redacted (null when kd wrote none). */
  readLog(): string | null {
    try {
      return this.options.redactor.redact(readFileSync(this.logFile, 'utf8'));
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    if (this.closing) {
      await this.exited;
      return;
    }
    this.closing = true;
    if (!this.exitInfo) {
      // `q` at a prompt; CTRL+B, ENTER quits kd even while the target runs.
      this.write(this.atPrompt && !this.capture ? 'q\n' : '\x02\n', this.atPrompt ? 'q' : '<CTRL+B>');
      this.child.stdin?.end();
      const grace = this.clock.wallTimeout(this.timeouts.quitGraceMs);
      const quit = await Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), grace).unref()),
      ]);
      if (!quit) this.child.kill('SIGKILL');
    }
    await this.exited;
  }

  // ── output ───────────────────────────────────────────────────────────────

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
    if (text === '') return;
    this.parts.push({ kind: 'out', text });
    this.buffer += text;
    this.process();
  }

  private process(): void {
    for (;;) {
      if (this.capture) {
        if (!this.advanceCapture(this.capture)) return;
        continue;
      }
      const text = this.buffer;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const line = text.slice(start, nl);
        start = nl + 1;
        const leading = promptLeading(line);
        if (leading) {
          this.onPrompt(leading.prompt.processor);
          this.onLine(leading.rest);
        } else {
          this.onLine(line);
        }
      }
      this.buffer = text.slice(start);
      const prompt = promptAlone(this.buffer);
      if (prompt) {
        this.buffer = '';
        this.onPrompt(prompt.processor);
        return;
      }
      const question = verifierQuestionChoices(this.buffer);
      if (question) {
        const partial = this.buffer;
        this.buffer = '';
        this.onVerifierQuestion(partial, question.choices);
      }
      return;
    }
  }

  /** One complete line while no command is in flight. */
  private onLine(line: string): void {
    if (ANY_SENTINEL.test(line)) return;
    this.sinceRun.push(line);
    if (this.sinceRun.length > 400) this.sinceRun.shift();
    const kd = classifyKdLine(line);
    if (this.pendingFatal && kd?.kind !== 'fatal-params' && line.trim() !== '') {
      this.reportBugcheck(null);
    }
    if (!kd) return;
    switch (kd.kind) {
      case 'waiting':
        this.emit({ kind: 'waiting' });
        if (this.current !== 'rebooting') this.setState('disconnected');
        return;
      case 'target-reached':
        this.emit({ kind: 'target-reached', target: kd.target, port: kd.port, local: kd.local });
        return;
      case 'connected':
        this.emit({
          kind: 'connected',
          product: kd.product,
          build: kd.build,
          arch: kd.arch,
          ptr64: kd.ptr64,
        });
        return;
      case 'established':
        this.atPrompt = false;
        this.startRun();
        this.setState('running');
        this.emit({ kind: 'established', initialBreak: kd.initialBreak });
        return;
      case 'shutdown':
        this.atPrompt = false;
        this.setState('rebooting');
        this.emit({ kind: 'shutdown' });
        return;
      case 'retry':
        this.emit({ kind: 'retry', count: kd.count });
        return;
      case 'transport-lost':
        this.atPrompt = false;
        this.setState('disconnected');
        this.emit({ kind: 'transport-lost' });
        return;
      case 'fatal':
        this.pendingFatal = { code: kd.code, codeText: kd.codeText };
        return;
      case 'fatal-params':
        if (this.pendingFatal) this.reportBugcheck(kd.args);
        return;
      case 'break-instruction':
        return;
    }
  }

  private reportBugcheck(args: BugcheckReport['args']): void {
    if (!this.pendingFatal) return;
    this.bugcheck = { ...this.pendingFatal, args };
    this.pendingFatal = null;
    this.emit({ kind: 'bugcheck', bugcheck: this.bugcheck });
  }

  private onPrompt(processor: number | null): void {
    this.processor = processor;
    this.atPrompt = true;
    if (this.isStopped()) return;
    if (this.pendingFatal) this.reportBugcheck(null);
    const text = this.sinceRun.join('\n');
    const stop: StopEvent = this.bugcheck
      ? { kind: 'bugcheck', bugcheck: this.bugcheck, text, processor }
      : { kind: 'break', text, processor };
    this.lastStop = stop;
    this.setState(stop.kind === 'bugcheck' ? 'bugchecked' : 'broken-in');
    this.emit({ kind: 'stopped', stop });
  }

  private onVerifierQuestion(partial: string, choices: readonly VerifierChoice[]): void {
    const question = { text: [...this.sinceRun, partial].join('\n'), choices };
    this.sinceRun.push(partial);
    let answer: VerifierChoice = 'b';
    let policyError: string | undefined;
    try {
      const chosen = this.options.verifierPolicy(question);
      if (choices.includes(chosen)) answer = chosen;
      else policyError = `the policy answered '${chosen}', which this question does not offer; answered 'b'`;
    } catch (error) {
      policyError = `the policy failed (${error instanceof Error ? error.message : String(error)}); answered 'b'`;
    }
    this.write(`${answer}\n`, answer);
    this.emit({
      kind: 'verifier-question',
      question,
      answer,
      ...(policyError === undefined ? {} : { policyError }),
    });
  }

  // ── commands ─────────────────────────────────────────────────────────────

  private checkCommand(command: string): void {
    if (typeof command !== 'string' || command.trim() === '') {
      throw new HarnessLogicError(
        'An empty debugger command was about to be sent; kd repeats the last command on an empty line, so driverlab never sends one: give the command to run.',
      );
    }
    if (/[\r\n]/.test(command)) {
      throw new HarnessLogicError(
        `The debugger command '${command.split(/[\r\n]/)[0]}…' spans several lines; send each command on its own.`,
      );
    }
    if (command.length > 4096) {
      throw new HarnessLogicError(
        `A debugger command of ${command.length} characters was about to be sent; kd takes at most 4096, so split it.`,
      );
    }
    const word = command.trim().split(/[\s;]/, 1)[0]?.toLowerCase() ?? '';
    const instead: Record<string, string> = {
      g: 'go()',
      gh: 'go()',
      gn: 'go()',
      '.crash': 'crash()',
      '.reboot': 'reboot()',
      q: 'close()',
      qq: 'close()',
      qd: 'close()',
    };
    const method = instead[word];
    if (method) {
      throw new HarnessLogicError(
        `The debugger command '${command}' lets the target run or ends kd, so it gets no sentinel and cannot be run with execute(); use ${method}.`,
      );
    }
  }

  private runCaptured(command: string, timeoutMs: number): Promise<KdCommandResult> {
    const sentinel = sentinelFor(randomBytes(8).toString('hex'));
    return new Promise<KdCommandResult>((resolve, reject) => {
      const wall = this.clock.wallTimeout(timeoutMs);
      const timer = setTimeout(() => {
        if (this.capture !== capture) return;
        this.capture = null;
        reject(
          new LabCompromisedError(
            `The debugger command '${command}' sent to ${this.options.subject} did not finish within ${formatLabDuration(timeoutMs)} (lab time), so kd was stopped and this debugger session is over; look at the kd transcript for where it stalled, and raise timeouts.kdCommand in the lab file if the command is legitimately slow.`,
          ),
        );
        void this.close();
      }, wall);
      const capture: Capture = {
        command,
        sentinel,
        parts: [],
        partial: '',
        tail: '',
        sentinelSeen: false,
        startedAt: this.clock.now(),
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.capture = capture;
      this.atPrompt = false;
      this.parts.push({ kind: 'in', text: `${command}\n` });
      this.parts.push({ kind: 'in', text: `.echo "${sentinel}"\n` });
      this.child.stdin?.write(`${command}\n.echo "${sentinel}"\n`);
      this.process();
    });
  }

  /** Feeds the buffer to the command in flight; true when it completed and the rest is to be read. */
  private advanceCapture(capture: Capture): boolean {
    const chunk = this.buffer;
    this.buffer = '';
    // The link can be lost in the middle of a command: kd prints that instead of an answer.
    const lines = capture.partial + chunk;
    let start = 0;
    for (let nl = lines.indexOf('\n'); nl >= 0; nl = lines.indexOf('\n', start)) {
      const line = lines.slice(start, nl);
      const kd = LOSS_HINT.test(line) ? classifyKdLine(line) : null;
      if (kd?.kind === 'transport-lost' || kd?.kind === 'shutdown' || kd?.kind === 'waiting') {
        this.capture = null;
        this.buffer = lines.slice(start);
        capture.reject(
          new LabCompromisedError(
            `The debugger command '${capture.command}' sent to ${this.options.subject} got no answer because the link to the target was lost (kd printed '${line.trim()}'); check the target (did it reboot or power off?) and the debug connection, then start a new session.`,
          ),
        );
        return true;
      }
      start = nl + 1;
    }
    capture.partial = lines.slice(start);
    // A command that lets the target run a little (p, t) can meet the verifier's question too.
    const question = verifierQuestionChoices(capture.partial);
    if (question) {
      this.onVerifierQuestion(capture.partial, question.choices);
      capture.partial = '';
    }
    capture.parts.push(chunk);
    const window = capture.tail + chunk;
    capture.tail = window.slice(-(capture.sentinel.length + 16));
    if (!capture.sentinelSeen) {
      if (!window.includes(capture.sentinel)) return false;
      capture.sentinelSeen = true;
    }
    const text = capture.parts.join('');
    capture.parts = [text];
    const at = findSentinelLine(text, capture.sentinel);
    if (!at) return false;
    const after = text.slice(at.end);
    const prompt = /^((?:(\d+): )?kd> )/.exec(after);
    if (!prompt && !after.includes('\n')) return false;
    const before = text.slice(0, at.start);
    const output = cleanOutput(trailingPrompt(before)?.before ?? before, capture.command, capture.sentinel);
    if (prompt) this.processor = prompt[2] === undefined ? null : Number(prompt[2]);
    this.buffer = prompt ? after.slice(prompt[1]?.length ?? 0) : after;
    this.capture = null;
    this.atPrompt = true;
    capture.resolve({
      command: capture.command,
      output,
      processor: this.processor,
      durationMs: this.clock.now() - capture.startedAt,
    });
    return true;
  }

  private letRun(command: string): void {
    this.atPrompt = false;
    this.write(`${command}\n`, command);
    this.startRun();
    this.setState('running');
    this.emit({ kind: 'resumed', by: command });
  }

  private startRun(): void {
    this.runFrom = this.log.length;
    this.sinceRun = [];
    this.bugcheck = null;
    this.pendingFatal = null;
  }

  private requireStopped(command: string, method: string): void {
    if (this.isDump) {
      throw new HarnessLogicError(
        `${method} was called on the debugger of ${this.options.subject}, which has a dump file open; a dump cannot run, so '${command}' makes no sense there.`,
      );
    }
    if (!this.isStopped()) {
      throw new HarnessLogicError(
        `${method} ('${command}') was called while ${this.options.subject} is ${this.current}; the target must be stopped at a prompt (break in or wait for a stop first).`,
      );
    }
  }

  private isStopped(): boolean {
    return this.current === 'broken-in' || this.current === 'bugchecked';
  }

  /** Waits for a stop event after `from`; null when the target kept running; throws when the link is lost. */
  private async stopAfter(from: number, timeoutMs: number, doing: string): Promise<StopEvent | null> {
    try {
      const event = await this.waitFor(
        from,
        (e) => e.kind === 'stopped' || e.kind === 'transport-lost' || e.kind === 'shutdown',
        timeoutMs,
        () => new StopTimeout(),
        doing,
      );
      if (event.kind === 'stopped') return event.stop;
      throw new LabCompromisedError(
        `${this.options.subject} ${event.kind === 'shutdown' ? 'went down (kd printed that a shutdown occurred)' : 'lost its debug connection'} while ${doing}, so it never stopped in the debugger; check the kd transcript and whether the VM was restarted or powered off from outside.`,
      );
    } catch (error) {
      if (error instanceof StopTimeout) return null;
      throw error;
    }
  }

  // ── events, waits, process ───────────────────────────────────────────────

  private emit(event: DistributiveOmit<KdEvent, 'atLabMs'>): void {
    const full = { ...event, atLabMs: this.clock.now() - this.startedAt } as KdEvent;
    this.log.push(full);
    for (const waiter of [...this.waiters]) {
      if (waiter.pick(full)) {
        this.waiters.delete(waiter);
        waiter.resolve(full);
      }
    }
  }

  private waitFor(
    from: number,
    pick: (event: KdEvent) => boolean,
    timeoutMs: number,
    onTimeout: () => Error,
    doing: string,
    wallMs: number = this.clock.wallTimeout(timeoutMs),
  ): Promise<KdEvent> {
    const seen = this.log.slice(from).find(pick);
    if (seen) return Promise.resolve(seen);
    if (this.exitInfo) return Promise.reject(this.diedError(doing));
    return new Promise<KdEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(onTimeout());
      }, wallMs);
      const waiter: Waiter = {
        from,
        doing,
        pick,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private exclusive<T>(body: () => Promise<T>): Promise<T> {
    const run = this.operation.then(body, body);
    this.operation = run.catch(() => {});
    return run;
  }

  private write(text: string, shown: string): void {
    if (this.exitInfo || !this.child.stdin || this.child.stdin.destroyed) return;
    this.parts.push({ kind: 'in', text: shown.endsWith('\n') ? shown : `${shown}\n` });
    this.child.stdin.write(text);
  }

  private setState(state: TargetState): void {
    this.current = state;
  }

  private onExit(code: number | null, signal: string | null, failure: unknown): void {
    this.exitInfo = { code, signal };
    this.setState('disconnected');
    this.atPrompt = false;
    if (failure && code === null && signal === null) {
      const reason = failure instanceof Error ? failure.message : String(failure);
      this.stderrTail += `\n${reason}`;
    }
    this.emit({ kind: 'exited', code, signal });
    const capture = this.capture;
    this.capture = null;
    if (capture && !this.closing) capture.reject(this.diedError(`running '${capture.command}'`));
    else if (capture) capture.reject(this.closedError(`running '${capture.command}'`));
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      waiter.reject(this.closing ? this.closedError(waiter.doing) : this.diedError(waiter.doing));
    }
  }

  private throwIfDead(doing: string): void {
    if (this.exitInfo) throw this.closing ? this.closedError(doing) : this.diedError(doing);
  }

  private closedError(doing: string): HarnessLogicError {
    return new HarnessLogicError(
      `${this.describe()} was already closed when ${doing} was asked of it; open a new debugger session.`,
    );
  }

  private diedError(doing: string): LabCompromisedError {
    const how = this.exitInfo?.signal
      ? `killed by ${this.exitInfo.signal}`
      : `exit code ${this.exitInfo?.code ?? 'unknown'}`;
    const said = this.stderrTail.trim().split('\n').pop()?.trim();
    const lastWords = said ? `; its last words were "${this.options.redactor.redact(said)}"` : '';
    return new LabCompromisedError(
      `The kernel debugger of ${this.options.subject} (pid ${this.child.pid ?? 'unknown'}) ended unexpectedly (${how}) while ${doing}${lastWords}; this debugger session is over and the next scenario starts a new one — check the kd transcript and what ended the process (out of memory, antivirus, an operator).`,
    );
  }

  private neverConnectedError(timeoutMs: number): LabCompromisedError {
    const c = this.options.connection;
    const within = formatLabDuration(timeoutMs);
    const seen = this.log.some((e) => e.kind === 'waiting') ? " (kd printed 'Waiting to reconnect...')" : '';
    switch (c.kind) {
      case 'net':
        return new LabCompromisedError(
          `The kernel debugger never connected to ${this.options.subject} over KDNET on port ${c.port} (host IP ${c.hostIp}) within ${within}${seen}; check the KDNET key, the port, the host firewall (inbound UDP ${c.port}) and the guest's bcdedit /dbgsettings (hostip ${c.hostIp}, port ${c.port}, the same key) with bcdedit /debug on and a reboot after changing them.`,
        );
      case 'pipe':
        return new LabCompromisedError(
          `The kernel debugger never connected to ${this.options.subject} over the COM pipe ${c.pipe} within ${within}${seen}; check that Set-VMComPort points the VM's COM port at that pipe, that the guest has bcdedit /debug on with /dbgsettings serial on that port, and that the VM was started after the debugger opened the pipe.`,
        );
      case 'dump':
        return new LabCompromisedError(
          `The kernel debugger did not open the dump file '${c.path}' for ${this.options.subject} within ${within}; check that the file exists, is complete, and is a kernel dump.`,
        );
    }
  }
}

class StopTimeout extends Error {}

/** Takes the sentinel lines KdSession frames commands with out of transcript text. */
function cleanLines(text: string): string {
  return text.replace(/(?:\d+: )?kd> @@DRIVERLAB:[0-9a-f]+:END@@\n/g, '');
}

/** The lines that can announce a lost link (checked before the full classification, for speed). */
const LOSS_HINT = /^(?:Waiting to reconnect|Shutdown occurred|The transport connection)/;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** kd's arguments for a connection, the symbol path and the -logo file. */
export function kdArguments(connection: KdConnection, symbols?: string, logFile?: string | null): string[] {
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
  if (logFile) args.push('-logo', logFile);
  return args;
}

function quoteCommandLine(args: readonly string[]): string {
  return args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)).join(' ');
}

/** Where the sentinel's own output line is in the captured text (not an echo of the `.echo` command). */
function findSentinelLine(text: string, sentinel: string): { start: number; end: number } | null {
  for (let at = text.indexOf(sentinel); at >= 0; at = text.indexOf(sentinel, at + 1)) {
    const next = text.slice(at + sentinel.length, at + sentinel.length + 2);
    if (text[at - 1] === '"') continue;
    if (next.startsWith('\n')) return { start: at, end: at + sentinel.length + 1 };
    if (next === '') return null;
  }
  return null;
}

/** The command's output without what a kd that echoes its input would add, and without stale sentinels. */
function cleanOutput(output: string, command: string, sentinel: string): string {
  return output
    .split('\n')
    .filter((line, i) => !(i === 0 && line === command) && line !== `.echo "${sentinel}"`)
    .filter(
      (line) =>
        !(ANY_SENTINEL.test(line) && promptLeading(line) !== null) &&
        !/^@@DRIVERLAB:[0-9a-f]+:END@@$/.test(line),
    )
    .join('\n');
}
