/**
 * KdSession: one kernel debugger process (kd.exe or the simulated debugger, which take the same
 * command line and speak the same console protocol; the session never knows which) attached to one
 * target or dump. The facade over three parts:
 * - the process (`process.ts`): how kd is started, fed, decoded and kept from outliving driverlab;
 * - the console protocol (`protocol.ts`): prompts, sentinel-framed commands, event lines;
 * - this file: the target's state machine, the events, the waits, and the Debugger operations.
 *
 * - Commands that let the target run (`g`, `gu`, `bp X; g`, `~0 g`, `.crash`, `.reboot`) get no
 *   sentinel: the session waits for an event (a stop, the target going down) instead.
 * - An empty line is never sent (kd repeats the last command on one).
 * - While the target runs, and while a command runs, the session watches for a bug check, a break,
 *   Driver Verifier's "(bizrd)?" question (answered at once by the configured policy), the
 *   connection banners, KDNET's refresh and the lost-transport text, and keeps the target's state.
 * - A command that runs too long is cancelled by breaking in and re-synchronising on a fresh
 *   sentinel; kd is ended only when that fails too.
 * - Every wait is in lab time (LabClock); teardown is `q`, then kill after a grace period.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLabDuration, type LabClock } from '../clock.js';
import { ConfigurationError, HarnessLogicError, LabCompromisedError } from '../errors.js';
import { type BreakInStrategy, describeStrategy, sendBreak } from './break-in.js';
import {
  ANY_SENTINEL,
  classifyKdLine,
  commandWord,
  type KdLine,
  type Prompt,
  promptAlone,
  resumingCommand,
  sentinelFor,
  splitCommandLine,
} from './kd-text.js';
import { pruneKdLogs } from './logs.js';
import {
  DEFAULT_KD_TIMEOUTS,
  decodeLog,
  type KdSessionOptions,
  type KdTimeouts,
  kdArguments,
  quoteCommandLine,
} from './options.js';
import type {
  BugcheckReport,
  Debugger,
  KdCommandResult,
  KdEvent,
  StopEvent,
  TargetState,
  VerifierChoice,
} from './port.js';
import { KdProcess } from './process.js';
import { KdConsoleReader } from './protocol.js';
import { KdTranscript } from './transcript.js';

export {
  DEFAULT_KD_TIMEOUTS,
  decodeLog,
  type KdConnection,
  type KdExecutable,
  type KdSessionOptions,
  type KdTimeouts,
  kdArguments,
} from './options.js';

interface Waiter {
  doing: string;
  pick: (event: KdEvent) => boolean;
  resolve: (event: KdEvent) => void;
  reject: (error: Error) => void;
}

/** The log folders this process has pruned. */
const prunedLogDirs = new Set<string>();
let sessionCounter = 0;

/** One kd process attached to one target or dump. */
export class KdSession implements Debugger {
  private readonly kd: KdProcess;
  private readonly reader: KdConsoleReader;
  private readonly record: KdTranscript;
  private readonly clock: LabClock;
  private readonly timeouts: KdTimeouts;
  private readonly startedAt: number;
  private readonly log: KdEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private current: TargetState = 'disconnected';
  private atPrompt = false;
  private processor: number | null = null;
  private machine: string | null = null;
  /** What kd printed since the target last ran (the text of the next stop). */
  private sinceRun: string[] = [];
  private pendingFatal: { code: number; codeText: string } | null = null;
  private bugcheck: BugcheckReport | null = null;
  /** A break announced inside the command in flight. */
  private breakInCommand = false;
  private lastStop: StopEvent | null = null;
  private exitInfo: { code: number | null; signal: string | null } | null = null;
  private closing = false;
  /** Why the session stopped kd itself (a target that never came), for the next caller. */
  private gaveUp: string | null = null;
  private stderrTail = '';
  /** The end of what kd printed (real kd says why it quits on its standard output). */
  private outputTail = '';
  private operation: Promise<unknown> = Promise.resolve();
  /** The event index from which waitForStop looks (set when the target is let run). */
  private runFrom = 0;
  /** Lab time until which KDNET's second connect is awaited after a refresh (null: none pending). */
  private refreshUntil: number | null = null;
  private analyzed = false;
  private noTargetTimer: ReturnType<typeof setTimeout> | null = null;
  /** Where kd writes its log. */
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
    // Once per folder and process: the logs of finished sessions do not pile up (lab/kd/logs.ts).
    if (!prunedLogDirs.has(logDir)) {
      prunedLogDirs.add(logDir);
      pruneKdLogs(logDir);
    }
    sessionCounter += 1;
    this.logFile = join(
      logDir,
      `kd-${options.subject.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${process.pid}-${sessionCounter}.log`,
    );
    const kdArgs = kdArguments(connection, options.symbols, this.logFile, options.unicodeLog ?? false);
    this.commandLine = [options.executable.file, ...options.executable.leadingArgs, ...kdArgs];
    this.record = new KdTranscript(options.redactor);
    this.record.input(`> ${quoteCommandLine(['kd', ...kdArgs])}`);
    this.reader = new KdConsoleReader({
      prompt: (prompt) => this.onPrompt(prompt),
      line: (line) => this.onLine(line),
      question: (partial, choices) => this.onVerifierQuestion(partial, choices),
      eventInCommand: (line, kd) => this.onEventInCommand(line, kd),
    });
    const consoleCtrl = options.breakIn?.some((s) => s.kind === 'console-ctrl') ?? false;
    this.kd = new KdProcess({
      executable: options.executable,
      args: kdArgs,
      // kd.exe listens on every address and ignores this; the simulated debugger binds it, so two
      // VMs with distinct host IPs never collide even on the same port.
      env: {
        ...options.env,
        ...(connection.kind === 'net' ? { DRIVERLAB_KD_LISTEN: connection.hostIp } : {}),
      },
      ...(options.outputEncoding === undefined ? {} : { outputEncoding: options.outputEncoding }),
      ownConsole: consoleCtrl,
      onStdout: (text) => {
        this.outputTail = (this.outputTail + text).slice(-2000);
        this.record.output(text);
        this.reader.feed(text);
      },
      onStderr: (text) => {
        this.stderrTail = (this.stderrTail + text).slice(-2000);
        this.record.output(text);
      },
      onExit: (code, signal, failure) => this.onExit(code, signal, failure),
    });
    if (connection.kind !== 'dump') this.watchForTarget();
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

  /** The process driverlab started (on Windows with a Job, the launcher that holds kd). */
  get pid(): number | undefined {
    return this.kd.pid;
  }

  /** The processor of the last prompt (null for "kd> "). */
  get promptProcessor(): number | null {
    return this.processor;
  }

  /** The effective machine the last prompt showed ("x86" on a WoW64 thread), else null. */
  get promptMachine(): string | null {
    return this.machine;
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
    const timeoutMs = options.timeoutMs ?? this.timeouts.connectMs;
    if (this.current === 'disconnected' || this.current === 'rebooting') {
      await this.waitFor(
        this.log.length,
        (e) => this.isConnection(e),
        timeoutMs,
        () => this.neverConnectedError(timeoutMs),
        'waiting for the connection',
      );
    }
    await this.settleRefresh();
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

  breakIn(): Promise<StopEvent> {
    return this.exclusive(async () => {
      this.throwIfDead('breaking in');
      if (this.isStopped() && this.lastStop) return this.lastStop;
      // A break sent while KDNET re-connects would be lost: wait for the second connect first.
      await this.settleRefresh();
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
        const name = describeStrategy(strategy);
        // A break kd swallowed (sent before it took the `g`, or during a reconnect) is sent once more;
        // an NMI is not repeated (it crashes the guest, and a second one would crash it again).
        const attempts = strategy.kind === 'nmi' ? 1 : 2;
        let sent = 0;
        let stop: StopEvent | null = null;
        for (let attempt = 1; attempt <= attempts && !stop; attempt += 1) {
          const from = this.log.length;
          const error = await this.sendBreak(strategy);
          if (error) {
            this.emit({ kind: 'break-in-attempt', strategy: name, outcome: 'failed', detail: error });
            tried.push(`${name} could not be sent (${error})`);
            break;
          }
          sent += 1;
          this.emit({
            kind: 'break-in-attempt',
            strategy: name,
            outcome: 'sent',
            ...(attempt > 1 ? { detail: 'sent again: the first one did not stop the target' } : {}),
          });
          stop = await this.stopAfter(from, this.timeouts.breakInMs, 'breaking in', true);
        }
        if (stop) return stop;
        if (sent > 0) {
          tried.push(
            `${name} left it running for ${formatLabDuration(this.timeouts.breakInMs)}${sent > 1 ? ` each of ${sent} times (kd swallowed or queued the break)` : ''}`,
          );
        }
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
      const analyze = splitCommandLine(command).some((c) => commandWord(c) === '!analyze');
      const first = analyze && !this.analyzed;
      if (analyze) this.analyzed = true;
      const budget = options.timeoutMs ?? (first ? this.timeouts.firstAnalyzeMs : this.timeouts.commandMs);
      return this.runCaptured(command, budget);
    });
  }

  /**
   * Lets the target run: `g` by default, or any line that resumes it (`gu`, `gh`, `gn`, `gc`,
   * `~0 g`, `bp nt!X; g`). Returns once kd has taken the line.
   */
  go(command = 'g'): Promise<void> {
    return this.exclusive(async () => {
      this.throwIfDead(`sending '${command}'`);
      const resuming = resumingCommand(command);
      const word = resuming ? commandWord(resuming) : '';
      if (!resuming || word === '.crash' || word === '.reboot') {
        throw new HarnessLogicError(
          `go('${command}') was asked of ${this.options.subject}, but that line does not let the target run with g, gu, gh, gn or gc; use execute() for it (or crash()/reboot()).`,
        );
      }
      this.requireStopped(command, 'go()');
      await this.letRun(command);
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
      await this.letRun('.crash');
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
    return this.record.text();
  }

  /**
   * The transcript since the last take, which the session then lets go of (transcript() starts
   * after it): how a session kept across scenarios hands each scenario its own part.
   */
  takeTranscript(): string {
    return this.record.take();
  }

  /** kd's own log, secrets redacted (null when kd wrote none); a `-logou` log is read as UTF-16. */
  readLog(): string | null {
    try {
      return this.options.redactor.redact(decodeLog(readFileSync(this.logFile)));
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    if (this.closing) {
      await this.kd.exited;
      return;
    }
    this.closing = true;
    this.stopWatchingForTarget();
    if (this.kd.isAlive) {
      // `q` at a prompt; CTRL+B, ENTER quits kd even while the target runs.
      const atPrompt = this.atPrompt && !this.reader.capturing;
      this.write(atPrompt ? 'q\n' : '\x02\n', atPrompt ? 'q' : '<CTRL+B>');
      this.kd.endInput();
      const grace = this.clock.wallTimeout(this.timeouts.quitGraceMs);
      const quit = await Promise.race([
        this.kd.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), grace).unref()),
      ]);
      if (!quit) this.kd.kill();
    }
    await this.kd.exited;
  }

  // ── output ───────────────────────────────────────────────────────────────

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
        this.watchForTarget();
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
      case 'established': {
        // The second connect of a KDNET boot ends the refresh; the target runs on as before.
        const second = this.refreshUntil !== null;
        this.refreshUntil = null;
        this.stopWatchingForTarget();
        this.atPrompt = false;
        if (!second || !this.isStopped()) {
          this.startRun();
          this.setState('running');
        }
        this.emit({ kind: 'established', initialBreak: kd.initialBreak });
        return;
      }
      case 'shutdown':
        this.atPrompt = false;
        this.refreshUntil = null;
        this.setState('rebooting');
        this.emit({ kind: 'shutdown' });
        this.watchForTarget();
        return;
      case 'retry':
        this.emit({ kind: 'retry', count: kd.count });
        return;
      case 'transport-lost':
        this.atPrompt = false;
        this.setState('disconnected');
        this.emit({ kind: 'transport-lost' });
        this.watchForTarget();
        return;
      case 'refresh':
        this.onRefresh();
        return;
      case 'fatal':
        this.pendingFatal = { code: kd.code, codeText: kd.codeText };
        return;
      case 'fatal-params':
        if (this.pendingFatal) this.reportBugcheck(kd.args);
        return;
      case 'break-instruction':
      case 'analysis-hint':
        return;
    }
  }

  /** A line of a command's output that announces an event: it is an event like any other. */
  private onEventInCommand(line: string, kd: KdLine): void {
    switch (kd.kind) {
      case 'transport-lost':
      case 'shutdown':
      case 'waiting': {
        const command = this.reader.commandInFlight ?? 'a command';
        this.reader.abandon(
          new LabCompromisedError(
            `The debugger command '${command}' sent to ${this.options.subject} got no answer because the link to the target was lost (kd printed '${line.trim()}'); check the target (did it reboot or power off?) and the debug connection, then start a new session.`,
          ),
        );
        // The line is read again outside the command, where it sets the state.
        this.onLine(line);
        return;
      }
      case 'fatal':
        this.sinceRun = [line];
        this.pendingFatal = { code: kd.code, codeText: kd.codeText };
        return;
      case 'fatal-params':
        this.sinceRun.push(line);
        if (this.pendingFatal) this.reportBugcheck(kd.args);
        return;
      case 'break-instruction':
        this.sinceRun.push(line);
        this.breakInCommand = true;
        return;
      case 'refresh':
        this.onRefresh();
        return;
      default:
        return;
    }
  }

  private onRefresh(): void {
    this.refreshUntil = this.clock.now() + this.timeouts.refreshMs;
    this.emit({ kind: 'refresh' });
  }

  private reportBugcheck(args: BugcheckReport['args']): void {
    if (!this.pendingFatal) return;
    this.bugcheck = { ...this.pendingFatal, args };
    this.pendingFatal = null;
    this.emit({ kind: 'bugcheck', bugcheck: this.bugcheck });
  }

  private onPrompt(prompt: Prompt): void {
    this.processor = prompt.processor;
    this.machine = prompt.machine;
    this.atPrompt = true;
    this.refreshUntil = null;
    this.stopWatchingForTarget();
    if (this.isStopped()) return;
    this.announceStop(prompt.processor);
  }

  /** The target stopped: a bug check when kd announced one since it last ran, else a break. */
  private announceStop(processor: number | null): void {
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
    const instead: Record<string, string> = {
      '.crash': 'crash()',
      '.reboot': 'reboot()',
      q: 'close()',
      qq: 'close()',
      qd: 'close()',
    };
    for (const part of splitCommandLine(command)) {
      const word = commandWord(part);
      const method = instead[word] ?? (resumingCommand(part) ? `go('${command}')` : undefined);
      if (method) {
        throw new HarnessLogicError(
          `The debugger command '${command}' lets the target run or ends kd ('${part}'), so it gets no sentinel and cannot be run with execute(); use ${method}.`,
        );
      }
    }
  }

  private async runCaptured(command: string, timeoutMs: number): Promise<KdCommandResult> {
    const sentinel = sentinelFor(randomBytes(8).toString('hex'));
    const startedAt = this.clock.now();
    this.atPrompt = false;
    this.breakInCommand = false;
    this.bugcheck = this.current === 'bugchecked' ? this.bugcheck : null;
    const framed = this.reader.frame(command, sentinel);
    this.record.input(command);
    this.record.input(`.echo "${sentinel}"`);
    this.kd.write(`${command}\n.echo "${sentinel}"\n`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cancelled = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.clock.wallTimeout(timeoutMs));
    });
    const first = await Promise.race([framed, cancelled]).finally(() => clearTimeout(timer));
    const result = first === 'late' ? await this.cancelCommand(command, timeoutMs, framed) : first;
    if (result.prompt) {
      this.processor = result.prompt.processor;
      this.machine = result.prompt.machine;
    }
    this.atPrompt = true;
    // A bug check or a break announced while the command ran is a stop like any other.
    if (this.bugcheck && this.current !== 'bugchecked') this.announceStop(this.processor);
    else if (this.pendingFatal) this.announceStop(this.processor);
    else if (this.breakInCommand) this.announceStop(this.processor);
    this.breakInCommand = false;
    return {
      command,
      output: result.output,
      processor: this.processor,
      durationMs: this.clock.now() - startedAt,
    };
  }

  /**
   * A command ran past its budget: break in (kd abandons the command), frame a fresh sentinel, and
   * report the command as cancelled with the session still usable. kd is ended only when the fresh
   * sentinel does not come back either (ending kd after the link is up can leave the target
   * refusing the next attach, so it is the last resort).
   */
  private async cancelCommand(
    command: string,
    timeoutMs: number,
    framed: Promise<{ output: string; prompt: Prompt | null }>,
  ): Promise<never> {
    const fresh = sentinelFor(randomBytes(8).toString('hex'));
    this.reader.reframe(fresh);
    const strategy = (this.options.breakIn ?? [{ kind: 'break-byte' }]).find((s) => s.kind !== 'nmi') ?? {
      kind: 'break-byte',
    };
    const error = await this.sendBreak(strategy);
    this.record.input(`.echo "${fresh}"`);
    this.kd.write(`.echo "${fresh}"\n`);
    const within = formatLabDuration(timeoutMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const resynced = await Promise.race([
      framed.then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.clock.wallTimeout(this.timeouts.breakInMs));
      }),
    ]).finally(() => clearTimeout(timer));
    if (resynced) {
      this.atPrompt = true;
      throw new LabCompromisedError(
        `The debugger command '${command}' sent to ${this.options.subject} did not finish within ${formatLabDuration(timeoutMs)} (lab time), so it was cancelled by breaking in and the session carries on; look at the kd transcript for where it stalled, and raise timeouts.kdCommand in the lab file if the command is legitimately slow.`,
      );
    }
    this.reader.abandon(new Error('cancelled'));
    void this.close();
    throw new LabCompromisedError(
      `The debugger command '${command}' sent to ${this.options.subject} did not finish within ${within} (lab time) and kd did not answer a break-in (${error ?? `${describeStrategy(strategy)} was sent`}) within ${formatLabDuration(this.timeouts.breakInMs)}, so kd was stopped and this debugger session is over; look at the kd transcript for where it stalled, and raise timeouts.kdCommand in the lab file if the command is legitimately slow.`,
    );
  }

  /** Sends one break request; the reason it could not be sent, or null. */
  private async sendBreak(strategy: BreakInStrategy): Promise<string | null> {
    try {
      await sendBreak(strategy, {
        pid: this.kd.kdPid ?? -1,
        platform: process.platform,
        writeStdin: (text) => this.write(text, '<CTRL+C>'),
        helperTimeoutMs: this.clock.wallTimeout(this.timeouts.breakInMs),
      });
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * Sends a line that lets the target run, and returns once kd's input has it (a break asked for
   * before that would reach kd at its prompt, where it does nothing).
   */
  private async letRun(command: string): Promise<void> {
    this.atPrompt = false;
    this.startRun();
    this.setState('running');
    this.emit({ kind: 'resumed', by: command });
    if (!this.kd.isAlive) return;
    this.record.input(command);
    await this.kd.writeFlushed(`${command}\n`);
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

  /** The event that says kd reached the target: the connection, or for a dump its opening stop. */
  private isConnection(event: KdEvent): boolean {
    return event.kind === (this.isDump ? 'stopped' : 'established');
  }

  /** Waits until KDNET's second connect after a refresh, or until the refresh window has passed. */
  private async settleRefresh(): Promise<void> {
    const until = this.refreshUntil;
    if (until === null) return;
    // The second connect is a message from the debugger process: wait for it in wall time. On the
    // embedded lab the target's lab time can pass the refresh window before kd's line arrives, so
    // the window is never judged as over by lab time alone.
    const left = Math.max(until - this.clock.now(), 0);
    try {
      await this.waitFor(
        this.log.length,
        (e) => e.kind === 'established' || e.kind === 'stopped',
        left,
        () => new StopTimeout(),
        'waiting for KDNET to connect again',
        this.clock.wallTimeout(Math.max(left, this.timeouts.refreshMs)),
      );
    } catch (error) {
      if (!(error instanceof StopTimeout)) throw error;
    }
    this.refreshUntil = null;
  }

  /**
   * Waits for a stop event after `from`; null when the target kept running; throws when the link is
   * lost. With `breaking`, a KDNET re-connect before the stop also ends the wait (null): the break
   * went to a link that was being replaced, so it is sent again.
   */
  private async stopAfter(
    from: number,
    timeoutMs: number,
    doing: string,
    breaking = false,
  ): Promise<StopEvent | null> {
    try {
      const event = await this.waitFor(
        from,
        (e) =>
          e.kind === 'stopped' ||
          e.kind === 'transport-lost' ||
          e.kind === 'shutdown' ||
          (breaking && e.kind === 'established'),
        timeoutMs,
        () => new StopTimeout(),
        doing,
      );
      if (event.kind === 'stopped') return event.stop;
      if (event.kind === 'established') return null;
      throw new LabCompromisedError(
        `${this.options.subject} ${event.kind === 'shutdown' ? 'went down (kd printed that a shutdown occurred)' : 'lost its debug connection'} while ${doing}, so it never stopped in the debugger; check the kd transcript and whether the VM was restarted or powered off from outside.`,
      );
    } catch (error) {
      if (error instanceof StopTimeout) return null;
      throw error;
    }
  }

  // ── events, waits, lifetime ──────────────────────────────────────────────

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
    if (this.exitInfo) return Promise.reject(this.deadError(doing));
    return new Promise<KdEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(onTimeout());
      }, wallMs);
      const waiter: Waiter = {
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
    if (!this.kd.isAlive) return;
    this.record.input(shown);
    this.kd.write(text);
  }

  private setState(state: TargetState): void {
    this.current = state;
  }

  /**
   * Bounds the wait for a target: a debugger with no target for timeouts.noTargetMs is stopped, and
   * every later call says why (kd left waiting with redirected streams is reported to grow kernel
   * pool on the host until it stalls, WinDbg-Feedback #393).
   */
  private watchForTarget(): void {
    if (this.noTargetTimer || this.closing || this.exitInfo) return;
    const limit = this.timeouts.noTargetMs;
    this.noTargetTimer = setTimeout(() => {
      this.noTargetTimer = null;
      if (this.current !== 'disconnected' && this.current !== 'rebooting') return;
      this.gaveUp = `it waited ${formatLabDuration(limit)} (lab time) without a target`;
      this.emit({ kind: 'abandoned', reason: this.gaveUp });
      void this.close();
    }, this.clock.wallTimeout(limit));
    this.noTargetTimer.unref();
  }

  private stopWatchingForTarget(): void {
    if (this.noTargetTimer) clearTimeout(this.noTargetTimer);
    this.noTargetTimer = null;
  }

  private onExit(code: number | null, signal: string | null, failure: unknown): void {
    this.exitInfo = { code, signal };
    this.stopWatchingForTarget();
    this.setState('disconnected');
    this.atPrompt = false;
    if (failure && code === null && signal === null) {
      const reason = failure instanceof Error ? failure.message : String(failure);
      this.stderrTail += `\n${reason}`;
    }
    this.emit({ kind: 'exited', code, signal });
    const command = this.reader.commandInFlight;
    if (command !== null) this.reader.abandon(this.deadError(`running '${command}'`));
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      waiter.reject(this.deadError(waiter.doing));
    }
  }

  private throwIfDead(doing: string): void {
    if (this.exitInfo) throw this.deadError(doing);
  }

  private deadError(doing: string): Error {
    if (this.gaveUp) {
      return new LabCompromisedError(
        `The kernel debugger of ${this.options.subject} was stopped because ${this.gaveUp}, so ${doing} cannot be done; check that the VM is running with debugging on (bcdedit /debug on) and its debug settings match the lab file, then start a new session.`,
      );
    }
    return this.closing ? this.closedError(doing) : this.diedError(doing);
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
    // kd that quits by itself says why on its standard output; a killed one said nothing about it.
    const quitItself = this.exitInfo?.signal === null && this.exitInfo.code !== null;
    const printed = quitItself
      ? this.outputTail
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '' && promptAlone(`${l} `) === null)
          .join('\n')
      : '';
    const said = (this.stderrTail.trim() || printed).split('\n').pop()?.trim();
    const lastWords = said ? `; its last words were "${this.options.redactor.redact(said)}"` : '';
    return new LabCompromisedError(
      `The kernel debugger of ${this.options.subject} (pid ${this.kd.pid ?? 'unknown'}) ended unexpectedly (${how}) while ${doing}${lastWords}; this debugger session is over and the next scenario starts a new one — check the kd transcript and what ended the process (out of memory, antivirus, an operator).`,
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

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
