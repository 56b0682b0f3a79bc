/**
 * Bug checks: noticing that the VM went down under a command, reading what it reported when it came
 * back (event 1001: code, parameters, dump file), forcing a dump of a hung VM (an NMI), and the
 * debugger that examines the crash (support/domain/analysis.ts).
 */
import {
  type ActiveVerifier,
  type BugcheckId,
  blamedImage,
  bugcheckParameter,
  crashReportedBy,
  describeBugcheck,
  describeStack,
  describeVerifier,
  formatLabDuration,
  type GuestCommandResult,
  type GuestEvent,
  GuestUnreachableError,
  type KdSession,
  LabCompromisedError,
  stackPassesThrough,
  type WindowsEvent,
} from '../../lab/index.js';
import type { Expect, Keeps, LabAccess, Narrative, TestVm } from '../capabilities.js';
import type { DebuggerRegistry } from '../debuggers.js';
import { labelCrash } from '../report-labels.js';
import { Analysis } from './analysis.js';
import type { EventLog } from './events.js';
import type { GuestTools } from './guest.js';

/**
 * What noticing and examining crashes uses: the lab and the VM, the guest's commands and event log,
 * the VM's live debugger (the worker's registry), the Driver Verifier settings for the "because",
 * the narrative, expectations and evidence.
 */
export interface CrashesNeeds extends LabAccess, Pick<TestVm, 'vm'>, Keeps {
  readonly guest: Pick<GuestTools, 'run'>;
  readonly events: Pick<EventLog, 'read'>;
  readonly debuggers: Pick<DebuggerRegistry, 'attachedDebugger'>;
  readonly verifier: { readonly active: ActiveVerifier | null };
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export interface CrashRecord {
  code: number;
  /** The four parameters, 0x + 16 hex digits. */
  args: string[];
  /** Where the guest wrote the kernel dump, or null when it wrote none (or is stopped in the debugger). */
  dumpPath: string | null;
  /** What the scenario was doing when the VM went down ("myfault.sys overran its pool allocation"). */
  during: string;
  /** Who reported it: event 1001 after the reboot, or the live debugger the VM stopped in. */
  reportedBy: 'event 1001' | 'the debugger';
  /** Event 1001 as read, and as the event parser reads it (null when the debugger reported the crash). */
  event: GuestEvent | null;
  parsed: WindowsEvent | null;
}

/** How long the guest may take to log event 1001 after it is back (WER writes it after the boot). */
const REPORT_WAIT_MS = 120_000;
const REPORT_POLL_MS = 5_000;

export class Crashes {
  /** The time of the newest event 1001 before the scenario's first action, or null when there was none. */
  private watermark: string | null | undefined;
  private record: CrashRecord | null = null;
  private current: Analysis | null = null;
  /** Every analysis of the scenario (one per crash), closed after it. */
  private readonly opened: Analysis[] = [];

  constructor(private readonly my: CrashesNeeds) {}

  /** Whether the scenario examined a crash in the VM's live debugger. */
  get examinedLive(): boolean {
    return this.opened.some((a) => !a.ownsSession);
  }

  /** The last bug check of the scenario, or null when the VM has not gone down. */
  get last(): CrashRecord | null {
    return this.record;
  }

  /** Notes which bug check reports exist before the scenario's first action that may crash. */
  private async takeWatermark(): Promise<void> {
    if (this.watermark !== undefined) return;
    const [newest] = await this.my.vm.guest.events({ logName: 'System', ids: [1001], maxEvents: 1 });
    this.watermark = newest?.timeCreated ?? null;
  }

  /**
   * Runs a guest command that may take the VM down. Returns its result, or null when the VM
   * bugchecked under it (the crash is then `last`, read back after the VM rebooted).
   */
  async run(command: readonly string[], during: string): Promise<GuestCommandResult | null> {
    // With a live debugger the crash is reported by it; without, by event 1001 after the watermark.
    if (!this.liveDebugger()) await this.takeWatermark();
    this.my.narrative.did(during);
    try {
      return await this.my.guest.run(command, { cutShortBy: 'the bug check the scenario provoked' });
    } catch (error) {
      // A bugcheck ends the PowerShell Direct session under the command.
      if (!(error instanceof GuestUnreachableError) || error.reason !== 'unreachable') throw error;
      await this.wentDown(during, error);
      return null;
    }
  }

  /** Forces a bug check and a dump of the running (or hung) VM with a non-maskable interrupt. */
  async forceDump(): Promise<CrashRecord> {
    if (!this.liveDebugger()) await this.takeWatermark();
    const during = 'an NMI was injected to take a dump';
    this.my.narrative.did(during);
    await this.my.vm.injectNmi();
    return this.wentDown(during, null);
  }

  /** The VM's live debugger, when it is connected. */
  private liveDebugger(): KdSession | null {
    const live = this.my.debuggers.attachedDebugger(this.my.vm);
    return live && live.session.state !== 'disconnected' ? live.session : null;
  }

  /** The VM went down: it stopped in its live debugger, or it wrote a dump and came back. */
  private async wentDown(during: string, cause: unknown): Promise<CrashRecord> {
    const live = this.liveDebugger();
    if (live) return this.stoppedInDebugger(live, during, cause);
    return this.afterGoingDown(during, cause);
  }

  /** A debugger is attached: the bug check stops the VM in it, where the crash is examined. */
  private async stoppedInDebugger(session: KdSession, during: string, cause: unknown): Promise<CrashRecord> {
    const vm = this.my.vm;
    const timeoutMs = this.my.lab.timeouts.bugcheck;
    const stop = await session.waitForStop({ timeoutMs });
    if (stop?.kind !== 'bugcheck') {
      throw new LabCompromisedError(
        `${vm.describe()} stopped answering while ${during}, but ${session.describe()} ${stop ? 'reports a break, not a bug check' : `reported no stop within ${formatLabDuration(timeoutMs)}`}; look at the kd transcript and the VM's console.`,
        { cause },
      );
    }
    await this.my.evidence.attach('debugger bug check', stop.text, stop.bugcheck);
    this.record = {
      code: stop.bugcheck.code,
      args: (stop.bugcheck.args ?? []).map(bugcheckParameter),
      dumpPath: null,
      during,
      reportedBy: 'the debugger',
      event: null,
      parsed: null,
    };
    this.current = Analysis.live(this.my, this.record, session);
    this.opened.push(this.current);
    await labelCrash(this.record.code, null, vm.name);
    return this.record;
  }

  private async afterGoingDown(during: string, cause: unknown): Promise<CrashRecord> {
    const lab = this.my.lab;
    const vm = this.my.vm;
    await vm.waitUntilReady({ timeoutMs: lab.timeouts.bugcheck + lab.timeouts.boot });
    const clock = lab.clock;
    const deadline = clock.now() + REPORT_WAIT_MS;
    for (;;) {
      const report = await this.newReport();
      if (report) {
        this.record = { ...report, during, reportedBy: 'event 1001' };
        this.current = null;
        await labelCrash(report.code, report.dumpPath, vm.name);
        return this.record;
      }
      if (clock.now() >= deadline) {
        throw new LabCompromisedError(
          `${vm.describe()} stopped answering while ${during} and came back, but logged no bug check (no event 1001 within ${formatLabDuration(REPORT_WAIT_MS)} of its return); look at the VM's console and System log, it may have lost power or been reset.`,
          { cause },
        );
      }
      await clock.sleep(REPORT_POLL_MS);
    }
  }

  /** The newest event 1001 after the watermark, read and parsed, or null. */
  private async newReport(): Promise<Omit<CrashRecord, 'during' | 'reportedBy'> | null> {
    const events = await this.my.events.read('System', [1001], 5);
    const fresh = events.find((e) => this.watermark === null || e.raw.timeCreated > (this.watermark ?? ''));
    if (!fresh) return null;
    const reported = crashReportedBy(fresh.parsed.decoded);
    if (reported === null) {
      throw new LabCompromisedError(
        `Event 1001 of ${this.my.vm.describe()} does not say which bug check it reports (${JSON.stringify(fresh.raw.message.slice(0, 120))}); check the guest's language (driverlab reads the English message) and attach its System log.`,
      );
    }
    return { ...reported, event: fresh.raw, parsed: fresh.parsed };
  }

  /** The debugger that examines the last crash: its dump, opened once per crash. */
  async analysis(): Promise<Analysis> {
    const crash = this.record;
    // Nothing crashed: the driver or the OS did not do what the scenario expected, which is a product
    // outcome (failed), not a fault of the lab or of the harness.
    if (!crash)
      throw this.noCrash(`${this.my.vm.describe()} to have bugchecked, so that its crash can be examined`);
    return this.openAnalysis(crash);
  }

  /** The failed expectation of a step that looks into a crash when the VM did not go down. */
  noCrash(expected: string): Error {
    return this.my.expect.failed({
      expected,
      because: this.because(),
      actual: `${this.my.vm.describe()} did not bugcheck in this scenario (it reported no bug check since the scenario began)`,
    });
  }

  private async openAnalysis(crash: CrashRecord): Promise<Analysis> {
    if (!this.current) {
      this.current = await Analysis.ofDump(this.my, crash);
      this.opened.push(this.current);
    }
    return this.current;
  }

  /** Why the scenario expects a crash: what Driver Verifier checks, and what the scenario did. */
  private because(): string {
    const verifier = this.my.verifier.active;
    const did =
      this.record?.during ?? this.my.narrative.lastAction ?? 'the scenario made the driver misbehave';
    return verifier ? `${describeVerifier(verifier)} and ${did}` : did;
  }

  /** The VM bugchecked with one of these, as event 1001 and the dump's analysis both say. */
  async expectBugcheck(expected: readonly BugcheckId[]): Promise<void> {
    const vm = this.my.vm.describe();
    const wanted = expected.map((b) => describeBugcheck(b.code, b.name)).join(' or ');
    const crash = this.record;
    const because = this.because();
    this.my.expect.that(crash !== null, {
      expected: `${vm} to bugcheck with ${wanted}`,
      because,
      actual: 'it kept running (it reported no bug check since the scenario began)',
    });
    const got = crash as CrashRecord;
    // The dump's analysis is evidence whichever way the comparison goes.
    const analysis = await (await this.analysis()).analyze();
    this.my.expect.that(
      expected.some((b) => b.code === got.code),
      {
        expected: `${vm} to bugcheck with ${wanted}`,
        because,
        actual: `it bugchecked with ${describeBugcheck(got.code)}, parameters ${got.args.join(', ')}`,
      },
    );
    const name = analysis.bugcheck.name;
    const match = expected.find((b) => b.code === got.code);
    this.my.expect.that(!match?.name || !name || name === match.name, {
      expected: `the dump of ${vm} to analyse as ${wanted}`,
      because: `${got.reportedBy} reported ${describeBugcheck(got.code)}`,
      actual: `!analyze -v calls it ${name}`,
    });
  }

  /** The crash's analysis names this driver as the faulting image. */
  async expectBlamedOn(binary: string): Promise<void> {
    if (!this.record) throw this.noCrash(`the crash of ${this.my.vm.describe()} to be blamed on ${binary}`);
    const analysis = await (await this.analysis()).analyze();
    const image = blamedImage(analysis);
    this.my.expect.that(image?.toLowerCase() === binary.toLowerCase(), {
      expected: `the crash of ${this.my.vm.describe()} to be blamed on ${binary}`,
      because: this.because(),
      actual: image ? `!analyze -v blames ${image}` : '!analyze -v names no faulting image',
    });
  }

  /** The crashing thread's stack passes through `module!function` (what the thread was doing). */
  async expectInStack(module: string, fn: string, doing: string): Promise<void> {
    const analysis = await this.analysis();
    const analyzed = await analysis.analyze();
    const frames = analyzed.stack ?? (await analysis.run('k', 'stack')).frames;
    const found = stackPassesThrough(frames, module, fn);
    this.my.expect.that(found, {
      expected: `${this.my.vm.describe()} to have crashed while ${doing} (${module}!${fn} on the stack)`,
      because: this.because(),
      actual: `the crash stack is ${describeStack(frames, 8)}`,
    });
  }

  /** No bug check since the scenario began, and the VM still runs. */
  async expectStillRunning(): Promise<void> {
    const crash = this.record;
    const status = await this.my.vm.status();
    await this.my.evidence.attach('vm status', null, status);
    this.my.expect.that(crash === null && status.state === 'Running', {
      expected: `${this.my.vm.describe()} to keep running`,
      because: this.my.narrative.lastAction ?? 'nothing the scenario did should stop it',
      actual: crash
        ? `it bugchecked with ${describeBugcheck(crash.code)} while ${crash.during}`
        : `it is ${status.state}`,
    });
  }

  /** Attaches the debugger's transcripts and ends its sessions (after each scenario). */
  async close(): Promise<void> {
    this.current = null;
    for (const analysis of this.opened.splice(0)) await analysis.close();
  }
}
