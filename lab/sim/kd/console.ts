/**
 * The simulated debugger's console: what kd does between its standard input, its standard output
 * and the target. It prints kd's banners and prompts (no newline after a prompt), runs the
 * debugger's own commands (.echo, .logopen/.logappend/.logclose, .sympath, .reload, q), forwards
 * every other command to the target and prints the answer, then the prompt.
 *
 * Keys (kd reads them from its console; here from standard input or a console control event):
 * - CTRL+C breaks into a running target. This debugger understands it three ways: the byte 0x03 on
 *   standard input, SIGINT, and on Windows the console's CTRL+C / CTRL+BREAK events (which Node
 *   delivers as SIGINT / SIGBREAK). Whether the real kd.exe reacts to a 0x03 byte on a piped
 *   standard input is unverified (domain brief §2.4, U5).
 * - CTRL+B then ENTER quits at once, even while the target runs; CTRL+R then ENTER (resync) is
 *   accepted and does nothing here.
 * - An empty line repeats the last command, as in kd (which is why driverlab never sends one).
 *
 * Lines typed while the target runs wait for the next prompt, as in kd. When the link is lost,
 * typed-ahead lines are dropped (kd's behaviour there is undocumented; dropping them means a stale
 * command never runs against the next boot).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  type HostLink,
  type HostLinkHandlers,
  KdnetHostLink,
  type LinkEnd,
  LinkLostError,
  type PeerAddress,
  PendingRequests,
} from '../kdnet/host.js';
import { KdPipeHostLink, pipeName } from '../kdnet/pipe.js';
import type { TargetEventMessage, TargetHello, TargetReply } from '../kdnet/protocol.js';
import { type HostRequestBody, type LinkTiming, parseIpv4, VERIFIER_CHOICES } from '../kdnet/protocol.js';
import { TargetServer } from '../kdnet/target-server.js';
import type { DebugTarget, TargetIdentity } from '../ports.js';
import { type KdArguments, parseKdArguments } from './args.js';
import {
  commandFailure,
  connectedBanner,
  dumpBanner,
  dumpLoadingLine,
  dumpOpenFailure,
  header,
  lostText,
  netWaitingBanner,
  pathValidationSummary,
  pipeFailure,
  pipeWaitingBanner,
  prompt,
  reconnectedLine,
  refreshText,
  reloadText,
  retryText,
  shutdownText,
  socketFailure,
  win32Error,
  withAnalysisHint,
} from './banners.js';
import { commandWord, echoText, splitCommands } from './commands.js';

export interface KdIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Calls `handler` on a console control event (CTRL+C); returns how to stop listening. */
  onInterrupt?: (handler: () => void) => () => void;
}

/** Opens a crash dump for `-z`: the DebugTarget that answers for it (the kernel's openDumpTarget). */
export type DumpOpener = (path: string) => Promise<DebugTarget>;

export interface KdDependencies {
  /** Null in a console that cannot open dumps (tests of the live link). */
  dumpOpener: DumpOpener | null;
  now?: () => Date;
  timing?: Partial<LinkTiming>;
}

/** Runs the simulated debugger with kd's arguments; resolves with its exit code when it quits. */
export function runKd(argv: readonly string[], io: KdIo, deps: KdDependencies): Promise<number> {
  const parsed = parseKdArguments(argv);
  if (!parsed.ok) {
    io.stderr.write(`${parsed.message}\n`);
    return Promise.resolve(1);
  }
  return new KdConsole(parsed.args, io, deps).run();
}

type Outcome = 'continue' | 'resumed' | 'lost' | 'quit';

/** Wall milliseconds between KDNET's first connect and its second (after the refresh). */
const REFRESH_WALL_MS = 20;
/** A target up for less than this (seconds) is booting: its KDNET refreshes once. */
const BOOT_WINDOW_S = 120;

class KdConsole implements HostLinkHandlers {
  private readonly now: () => Date;
  private link: HostLink | null = null;
  private call: (request: HostRequestBody) => Promise<TargetReply> = () =>
    Promise.reject(new LinkLostError('no target is connected'));
  private attached = false;
  private stopped = false;
  private processor: number | null = null;
  private busy = false;
  private prompting = false;
  private pumping = false;
  private question: string | null = null;
  private readonly input: string[] = [];
  /** Standard input has ended: kd quits once it has read what came before the end. */
  private inputEnded = false;
  /** A dump is being opened: kd reads no input before its first prompt. */
  private openingDump = false;
  private lineBytes: number[] = [];
  private ctrlB = false;
  private ctrlR = false;
  private lastLine: string | null = null;
  private pendingBreak = false;
  /** KDNET is between its two connects: a CTRL+C now is lost. */
  private refreshing = false;
  /** The next command first says the debugger reached the target again (after a refresh or a bug check). */
  private reconnectText = false;
  /** A bug check stopped the target in a process: the next reload loads its user symbols too. */
  private userSymbols = false;
  /** A dump's first `!analyze` reloads the symbols first. */
  private analyzeReloads = false;
  private identity: TargetIdentity | null = null;
  /** Abandons the command in flight on the stopped target (CTRL+C), when one is. */
  private abortCommand: (() => void) | null = null;
  private breakOnConnect: boolean;
  private initialCommand: string | null;
  private symbols: string | null;
  private log: { fd: number; path: string } | null = null;
  private finished = false;
  private finish: (code: number) => void = () => {};
  private stopListening: () => void = () => {};

  constructor(
    private readonly args: KdArguments,
    private readonly io: KdIo,
    private readonly deps: KdDependencies,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.breakOnConnect = args.breakOnConnect;
    this.initialCommand = args.initialCommand;
    this.symbols = args.symbols ?? io.env._NT_SYMBOL_PATH ?? null;
  }

  run(): Promise<number> {
    const done = new Promise<number>((resolve) => {
      this.finish = resolve;
    });
    this.print(header());
    for (const note of this.args.notes) this.print(`${note}\n`);
    if (this.args.log) this.openLog(this.args.log.path, this.args.log.append);
    this.io.stdin.on('data', (chunk: Buffer | string) => this.onInput(chunk));
    this.io.stdin.on('end', () => {
      this.inputEnded = true;
      this.quitIfInputDone();
    });
    this.stopListening = this.io.onInterrupt?.(() => this.interrupt()) ?? (() => {});
    void this.connect();
    return done;
  }

  // ── connection ────────────────────────────────────────────────────────────

  private async connect(): Promise<void> {
    const connection = this.args.connection;
    if (connection.kind === 'dump') {
      this.openingDump = true;
      try {
        await this.openDump(connection.path);
      } finally {
        this.openingDump = false;
      }
      this.quitIfInputDone();
      return;
    }
    let link: HostLink;
    if (connection.kind === 'net') {
      // kd.exe listens on every address; the simulated one binds the address it is told, so two
      // VMs with distinct host IPs never collide even on the same port.
      const listenIp = this.io.env.DRIVERLAB_KD_LISTEN ?? '127.0.0.1';
      if (!parseIpv4(listenIp)) {
        return this.fail(`kd: DRIVERLAB_KD_LISTEN='${listenIp}' is not an IPv4 address`);
      }
      this.print(netWaitingBanner(true));
      link = new KdnetHostLink({
        listenIp,
        port: connection.port,
        key: connection.key,
        handlers: this,
        timing: this.deps.timing,
      });
    } else {
      this.print(pipeWaitingBanner(connection.port));
      link = new KdPipeHostLink(pipeName(connection.port), this);
    }
    try {
      await link.open();
    } catch (error) {
      // What kd prints when it cannot have its socket (another kd holds the port) or its pipe.
      this.print(connection.kind === 'net' ? socketFailure() : pipeFailure());
      void error;
      await this.quit(1);
      return;
    }
    this.link = link;
    this.call = (request) => link.call(request);
  }

  private async openDump(path: string): Promise<void> {
    const opener = this.deps.dumpOpener;
    if (!opener) {
      return this.fail(
        'kd: this simulated debugger was started without a dump opener, so it cannot open dump files',
      );
    }
    this.print(dumpLoadingLine(path));
    let target: Awaited<ReturnType<DumpOpener>>;
    try {
      target = await opener(path);
    } catch (error) {
      // The opener may wrap the file system's error; its cause says whether the file was missing.
      const failure = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
      this.print(dumpOpenFailure(path, failure.code ?? failure.cause?.code));
      await this.quit(1);
      return;
    }
    const requests = new PendingRequests();
    const server = new TargetServer(target, (message) => {
      if (message.op === 'reply' || message.op === 'failed') requests.settle(message);
    });
    this.call = (request) => requests.create(request, (numbered) => server.handle(numbered));
    const hello = server.hello();
    if (hello.op !== 'hello') return;
    this.print(dumpBanner(path, hello.identity, this.symbols, this.now()));
    // Then the instruction the dump stopped at: the last two lines of `r` ("nt!KeBugCheckEx:" and
    // its disassembly with the operand's value), as kd shows them before its first prompt.
    const registers = await this.request({ op: 'execute', command: 'r' });
    if (registers?.op === 'reply') this.printBlock(registers.text.split('\n').slice(-2).join('\n'));
    this.attached = true;
    this.stopped = true;
    this.analyzeReloads = true;
    this.processor = hello.processor;
    this.showPrompt();
  }

  connected(hello: TargetHello, peer: PeerAddress | null): void {
    if (this.finished) return;
    const wantBreak = !hello.stopped && (this.pendingBreak || this.breakOnConnect);
    this.breakOnConnect = false;
    this.pendingBreak = false;
    this.attached = true;
    this.stopped = hello.stopped;
    this.processor = hello.processor;
    this.identity = hello.identity;
    const banner = this.bannerFor(hello.identity, peer, wantBreak);
    if (
      this.args.connection.kind === 'net' &&
      !hello.stopped &&
      hello.identity.uptimeSeconds < BOOT_WINDOW_S
    ) {
      // KDNET on a booting target re-initialises once the NIC's own driver has loaded: the target
      // prints "KDTARGET: Refreshing KD connection" and connects a second time (public captures
      // show it within the first minute of uptime; a guest restored from a running checkpoint does
      // not boot, so it does not refresh). A CTRL+C that arrives in between is lost.
      this.print(`${banner}${refreshText()}`);
      this.refreshing = true;
      this.reconnectText = true;
      setTimeout(() => {
        this.refreshing = false;
        // A target that stopped meanwhile (an NMI, a bug check) re-initialises nothing.
        if (this.finished || !this.attached || this.stopped || this.busy) return;
        this.print(this.bannerFor(hello.identity, peer, false));
        if (wantBreak) void this.breakIn();
      }, REFRESH_WALL_MS);
      return;
    }
    this.print(banner);
    if (this.stopped) this.showPrompt();
    else if (wantBreak) void this.breakIn();
  }

  private bannerFor(identity: TargetIdentity, peer: PeerAddress | null, initialBreak: boolean): string {
    return connectedBanner({ identity, peer, symbols: this.symbols, now: this.now(), initialBreak });
  }

  event(message: TargetEventMessage): void {
    if (this.finished) return;
    this.stopped = message.stopped;
    this.processor = message.processor;
    const event = message.event;
    switch (event.kind) {
      case 'bugcheck':
        // kd's own line after a live bug check, before the breakpoint it shows; the first command
        // after it talks to the target again and says so ("Connected to … target at (…)").
        this.printBlock(withAnalysisHint(event.text));
        this.reconnectText = true;
        this.userSymbols = true;
        if (this.stopped && !this.busy) this.showPrompt();
        return;
      case 'break':
        this.printBlock(event.text);
        if (this.stopped && !this.busy) this.showPrompt();
        return;
      case 'verifier-question':
        // DbgPrompt: the question stays on its line, and kd reads one line as the answer.
        this.print(event.text);
        this.question = event.text;
        void this.pump();
        return;
      case 'print':
        this.printBlock(event.text);
        return;
      case 'going-down':
        return;
    }
  }

  retry(count: number): void {
    if (!this.finished) this.print(retryText(count));
  }

  ended(how: LinkEnd): void {
    if (this.finished) return;
    this.attached = false;
    this.stopped = false;
    this.prompting = false;
    this.question = null;
    this.input.length = 0;
    if (how.kind === 'going-down' && how.reason !== 'power-off') {
      this.print(shutdownText(this.now()));
      this.print(
        this.args.connection.kind === 'net'
          ? `\n${pathValidationSummary(this.symbols)}${netWaitingBanner(false)}`
          : 'Waiting to reconnect...\n',
      );
    } else {
      // A target that vanishes (power off, a dead VM) is noticed as a lost transport; kd.exe would
      // notice on its next packet, the simulated link at once so that a run never waits for it.
      this.print(lostText());
    }
  }

  // ── keys and lines ────────────────────────────────────────────────────────

  private onInput(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (const byte of bytes) {
      if (byte === 0x03) {
        this.interrupt();
      } else if (byte === 0x02) {
        this.ctrlB = true;
      } else if (byte === 0x12) {
        this.ctrlR = true;
      } else if (byte === 0x0a) {
        const line = Buffer.from(this.lineBytes).toString('utf8').replace(/\r$/, '');
        this.lineBytes = [];
        if (this.ctrlB) {
          this.ctrlB = false;
          void this.quit(0);
          return;
        }
        if (this.ctrlR) {
          this.ctrlR = false;
          if (line === '') continue;
        }
        this.input.push(line);
      } else {
        this.lineBytes.push(byte);
      }
    }
    void this.pump();
  }

  /** CTRL+C. */
  private interrupt(): void {
    if (this.finished || this.args.connection.kind === 'dump') return;
    // The link is being replaced (KDNET refresh): the break is lost, as on a real link.
    if (this.refreshing) return;
    if (this.abortCommand && this.stopped) {
      this.abortCommand();
      return;
    }
    if (!this.attached || this.busy) {
      this.pendingBreak = true;
      return;
    }
    if (!this.stopped) void this.breakIn();
  }

  private async breakIn(): Promise<void> {
    this.busy = true;
    const reply = await this.request({ op: 'break' });
    this.busy = false;
    if (!reply) return;
    this.show(reply, 'break');
    if (this.stopped) this.showPrompt();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.finished) {
        if (this.question !== null) {
          if (this.busy) return;
          const answer = this.input.shift();
          if (answer === undefined) return;
          await this.answer(answer);
          continue;
        }
        if (!this.prompting || this.busy) return;
        const line = this.input.shift();
        if (line === undefined) return;
        this.prompting = false;
        this.writeLog(`${line}\n`);
        await this.runLine(line);
      }
    } finally {
      this.pumping = false;
      this.quitIfInputDone();
    }
  }

  /**
   * At the end of its input kd quits, but in the order it reads: the lines before the end run
   * first, and a dump it is opening is opened (or fails, with its own exit code) first. While the
   * target runs, or kd waits for one, there is nothing to read before the end: it quits at once.
   */
  private quitIfInputDone(): void {
    if (!this.inputEnded || this.finished || this.openingDump || this.pumping) return;
    const willRead = this.input.length > 0 && (this.prompting || this.busy || this.question !== null);
    if (!willRead) void this.quit(0);
  }

  private async runLine(line: string): Promise<void> {
    let text = line;
    if (text.trim() === '') {
      if (this.lastLine === null) {
        this.showPrompt();
        return;
      }
      text = this.lastLine;
    } else {
      this.lastLine = text;
    }
    for (const command of splitCommands(text)) {
      const outcome = await this.runCommand(command);
      if (outcome !== 'continue') return;
    }
    if (this.attached && this.stopped) this.showPrompt();
  }

  private async runCommand(command: string): Promise<Outcome> {
    // A thread prefix (`~0 g`, `~* gu`) does not change what the command does on a kernel target here.
    const { word, argument } = commandWord(command.trim().replace(/^~(?:\d+|\*|\.|#)?\s*/, ''));
    const dump = this.args.connection.kind === 'dump';
    switch (word) {
      case 'q':
      case 'qq':
        await this.quit(0);
        return 'quit';
      case '.echo':
        this.print(`${echoText(argument)}\n`);
        return 'continue';
      case '.logopen':
        this.openLog(logFileName(argument), false);
        return 'continue';
      case '.logappend':
        this.openLog(logFileName(argument), true);
        return 'continue';
      case '.logclose':
        this.closeLog();
        return 'continue';
      case '.logfile':
        this.print(this.log ? `Log '${this.log.path}' open\n` : 'No log file open\n');
        return 'continue';
      case '.sympath':
      case '.sympath+':
        if (argument !== '') {
          this.symbols = word === '.sympath+' && this.symbols ? `${this.symbols};${argument}` : argument;
        }
        this.print(
          this.symbols
            ? `Symbol search path is: ${this.symbols}\nExpanded Symbol search path is: ${this.symbols.toLowerCase()}\n`
            : 'Symbol search path is: <empty>\nExpanded Symbol search path is: <empty>\n',
        );
        return 'continue';
      case '.reload':
        this.printReconnected(false);
        this.print(reloadText());
        return 'continue';
      case 'g':
      case 'gc':
      case 'gh':
      case 'gn':
      case 'gu':
      case '.reboot':
        if (dump) {
          this.print(`       ^ No runnable debuggees error in '${command}'\n`);
          return 'continue';
        }
        return this.resume(word === '.reboot' ? { op: 'reboot' } : { op: 'resume' }, command);
      default:
        return this.execute(command);
    }
  }

  private async execute(command: string): Promise<Outcome> {
    if (commandWord(command).word === '!analyze') {
      if (this.analyzeReloads) {
        // The first analysis of a dump loads the symbols again before its banner, as kd does.
        this.analyzeReloads = false;
        this.print(reloadText());
      } else {
        this.printReconnected(true);
      }
    }
    this.busy = true;
    // CTRL+C abandons a command that runs on the stopped target, as kd does: the prompt comes back.
    const aborted = new Promise<'aborted'>((resolve) => {
      this.abortCommand = () => resolve('aborted');
    });
    const reply = await Promise.race([this.request({ op: 'execute', command }), aborted]);
    this.abortCommand = null;
    this.busy = false;
    if (reply === 'aborted') return 'continue';
    if (!reply) return 'lost';
    this.show(reply, command);
    return this.stopped ? 'continue' : 'resumed';
  }

  private async resume(request: HostRequestBody, command: string): Promise<Outcome> {
    this.busy = true;
    this.stopped = false;
    const reply = await this.request(request);
    this.busy = false;
    if (!reply) return 'lost';
    this.show(reply, command);
    if (this.stopped) return 'continue';
    if (this.pendingBreak) {
      this.pendingBreak = false;
      void this.breakIn();
    }
    return 'resumed';
  }

  private async answer(line: string): Promise<void> {
    const choice = VERIFIER_CHOICES.find((c) => c === line.trim().charAt(0).toLowerCase());
    const question = this.question ?? '';
    if (!choice) {
      // The target's DbgPrompt asks again.
      this.print(`\n${question.split('\n').pop() ?? question}`);
      return;
    }
    this.question = null;
    this.writeLog(`${line}\n`);
    this.busy = true;
    const reply = await this.request({ op: 'answer', choice });
    this.busy = false;
    if (!reply) return;
    this.show(reply, choice);
    if (this.stopped) this.showPrompt();
  }

  /** Sends a request; null when the link was lost first (the loss has been printed). */
  private async request(request: HostRequestBody): Promise<TargetReply | null> {
    try {
      return await this.call(request);
    } catch (error) {
      if (error instanceof LinkLostError) return null;
      throw error;
    }
  }

  private show(reply: TargetReply, command: string): void {
    this.stopped = reply.stopped;
    this.processor = reply.processor;
    if (reply.op === 'reply') this.printBlock(reply.text);
    else this.print(commandFailure(command));
  }

  /**
   * After a KDNET refresh or a bug check, the first command that reloads symbols (`.reload`, or
   * `!analyze -v`, which reloads them first) starts with kd reaching the target again; only those two
   * are seen doing so in public captures.
   */
  private printReconnected(reload: boolean): void {
    if (!this.reconnectText || !this.identity) return;
    this.reconnectText = false;
    this.print(reconnectedLine(this.identity, this.now()));
    if (reload) this.print(reloadText(this.userSymbols));
    this.userSymbols = false;
  }

  private showPrompt(): void {
    if (this.prompting || this.finished) return;
    this.prompting = true;
    if (this.initialCommand !== null) {
      this.input.unshift(this.initialCommand);
      this.initialCommand = null;
    }
    this.print(prompt(this.processor));
    void this.pump();
  }

  // ── output and log ────────────────────────────────────────────────────────

  private print(text: string): void {
    if (text === '') return;
    this.io.stdout.write(text);
    this.writeLog(text);
  }

  private printBlock(text: string): void {
    this.print(text === '' || text.endsWith('\n') ? text : `${text}\n`);
  }

  private writeLog(text: string): void {
    if (this.log) writeSync(this.log.fd, text);
  }

  private openLog(path: string, append: boolean): void {
    this.closeLog();
    const full = resolve(path);
    try {
      this.log = { fd: openSync(full, append ? 'a' : 'w'), path: full };
    } catch (error) {
      this.print(
        `Unable to open log file '${full}', Win32 error ${win32Error((error as NodeJS.ErrnoException).code)}\n`,
      );
      return;
    }
    this.print(`Opened log file '${full}'\n`);
  }

  private closeLog(): void {
    if (!this.log) return;
    const { fd, path } = this.log;
    this.print(`Closing open log file ${path}\n`);
    this.log = null;
    closeSync(fd);
  }

  private fail(message: string): Promise<void> {
    this.io.stderr.write(`${message}\n`);
    return this.quit(1);
  }

  private async quit(code: number): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.stopListening();
    this.io.stdin.removeAllListeners('data');
    this.io.stdin.pause();
    await this.link?.close();
    if (this.log) {
      closeSync(this.log.fd);
      this.log = null;
    }
    this.finish(code);
  }
}

/** `.logopen [/t] [/u] [FileName]`: the file to open (Dbgeng.log by default; /t adds PID and time). */
function logFileName(argument: string): string {
  const words = argument.split(/\s+/).filter((w) => w !== '');
  const stamp = words.some((w) => w.toLowerCase() === '/t');
  const file = words.filter((w) => !/^\/[tud]$/i.test(w)).join(' ') || 'Dbgeng.log';
  if (!stamp) return file;
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const suffix = `_${process.pid.toString(16).toUpperCase().padStart(4, '0')}_${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}-${pad(d.getMilliseconds(), 3)}`;
  const base = basename(file);
  const dot = base.lastIndexOf('.');
  return dot > 0
    ? `${file.slice(0, file.length - base.length + dot)}${suffix}${base.slice(dot)}`
    : `${file}${suffix}`;
}
