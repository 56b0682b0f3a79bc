import { stableGuid } from '../guest/ids.js';
import { writeDump } from '../kernel/dump.js';
import { type TargetVm, verifierBreakText } from '../kernel/target.js';
import { VERIFIER_PROMPT } from '../kernel/verifier-questions.js';
import type { KernelOutcome } from '../ports.js';
import { VmCore } from './vm-core.js';
import type { CrashState } from './vm-state.js';
import { DURATIONS } from './vm-state.js';

/** The VM's layer for bugchecks, dumps and what an attached debugger does to it. */
export abstract class VmCrashes extends VmCore {
  /** What the debugger's commands do to this VM (the kernel's debug target calls these). */
  protected targetVm(): TargetVm {
    const changed = async () => {
      if (this.options.persistSoon) this.options.persistSoon();
      else await this.options.persist?.();
    };
    return {
      kernel: () => {
        const kernel = this.currentKernel();
        if (!kernel) throw new Error(`VM '${this.name}' is off: its debug link should be closed`);
        return kernel;
      },
      isStopped: () => this.state.phase === 'frozen',
      stop: async () => {
        await this.settle();
        this.freeze();
      },
      resume: async () => {
        const s = this.state;
        if (s.phase !== 'frozen') return;
        // The time spent stopped in the debugger does not reach the kernel's clock.
        this.currentKernel();
        if (s.crash) this.writeDump(this.time.now());
        else this.thaw();
        await changed();
      },
      answerVerifier: async (choice) => {
        const kernel = this.currentKernel();
        if (!kernel) return '';
        const answer = kernel.answerVerifier(choice);
        // `b` leaves the target broken in; any other answer lets it (and the waiting command) go on.
        if (answer.runs) this.thaw();
        await changed();
        return answer.runs ? answer.text : `${answer.text}${verifierBreakText(kernel.state)}`;
      },
      reboot: async () => {
        const code = this.state.crash ? (this.kernel?.state.crash?.code ?? 0) : 0;
        this.closeLink('reboot');
        this.guestOs.poweredOff({ bugcheckCode: code });
        await this.beginBoot(this.time.now());
        await changed();
      },
      crashed: async (outcome) => {
        if (outcome.kind === 'bugcheck') this.crash(outcome, this.time.now(), false);
        await changed();
      },
      changed,
      uptimeSeconds: () => this.guestUptimeSeconds(),
    };
  }

  /** The guest stops where it is (in the debugger): its phase waits until thaw(). */
  protected freeze(): void {
    const s = this.state;
    if (s.phase === 'frozen' || s.power !== 'Running') return;
    this.currentKernel();
    const remaining = s.phaseEndsAt === null ? null : Math.max(0, s.phaseEndsAt - this.time.now());
    s.frozenFrom = { phase: s.phase, remainingMs: remaining };
    s.phase = 'frozen';
    s.phaseEndsAt = null;
    this.syncDebuggerHold();
  }

  /** The guest runs on from where freeze() stopped it; a command waiting on the verifier goes on. */
  protected thaw(): void {
    const s = this.state;
    if (s.phase === 'frozen' && s.frozenFrom) {
      const now = this.time.now();
      s.phase = s.frozenFrom.phase;
      s.phaseEndsAt = s.frozenFrom.remainingMs === null ? null : now + s.frozenFrom.remainingMs;
      s.frozenFrom = null;
    }
    this.syncDebuggerHold();
    const question = this.question;
    this.question = null;
    question?.answered();
  }

  /**
   * Driver Verifier reports a non-fatal I/O error: with a debugger attached the target prints it
   * and, unless zapped, stops to ask (the guest command waits for the answer); without one the
   * error is ignored, as Windows ignores a non-fatal verifier error when no debugger listens.
   */
  protected verifierError(outcome: Extract<KernelOutcome, { kind: 'verifier-error' }>): Promise<void> {
    const link = this.link;
    if (!link?.attached()) return Promise.resolve();
    if (!outcome.ask) {
      link.notify({ kind: 'print', text: outcome.text });
      return Promise.resolve();
    }
    this.freeze();
    const waiting = new Promise<void>((answered, gone) => {
      this.question = { answered, gone };
    });
    link.notify({ kind: 'verifier-question', text: `${outcome.text}${VERIFIER_PROMPT}` });
    return waiting;
  }

  // ---------------------------------------------------------------- kernel outcomes

  /**
   * A bugcheck: with a debugger attached the target stops (and the debugger is told, unless it
   * caused the bugcheck itself with .crash); without, the dump is written and the VM reboots.
   */
  protected crash(
    outcome: Extract<KernelOutcome, { kind: 'bugcheck' }>,
    at: number,
    announce: boolean,
  ): void {
    const s = this.state;
    // A fresh id per crash, derived so that the same lab run writes the same reports.
    s.crash = { reportId: stableGuid(`${this.name}/report/${s.guest.bootCount}/${at}`), at };
    s.scheduledShutdown = null;
    if (this.link?.attached()) {
      s.phase = 'frozen';
      s.phaseEndsAt = null;
      s.frozenFrom = null;
      this.syncDebuggerHold();
      const event = this.target?.noteOutcome(outcome);
      if (announce && event) this.link.notify(event);
      return;
    }
    this.writeDump(at);
  }

  /** Writes MEMORY.DMP and a minidump from the kernel state (the guest decides whether it can), then the VM reboots. */
  protected writeDump(at: number): void {
    const s = this.state;
    const c = s.crash as CrashState;
    const state = this.kernel?.state;
    const bugcheck = state?.crash;
    if (!state || !bugcheck) throw new Error(`VM '${this.name}' has no bugchecked kernel to write a dump of`);
    const moment = { crashTime: this.time.date(c.at), uptimeSeconds: this.guestUptimeSeconds(c.at) };
    this.guestOs.recordCrash({
      code: bugcheck.code,
      args: bugcheck.args,
      reportId: c.reportId,
      crashTime: moment.crashTime,
      dump: (kind) => writeDump(state, kind, moment),
    });
    s.phase = 'dumping';
    s.phaseEndsAt = at + DURATIONS.dump;
    this.syncDebuggerHold();
  }
}
