/**
 * The kernel as the debug link sees it: a DebugTarget whose commands render from the kernel state,
 * and the text of the events the kernel causes on an attached debugger (the bugcheck block of
 * domain brief §2.7, the CTRL+C break banner).
 */
import type { DebugTarget, KernelOutcome, TargetEvent, TargetIdentity } from '../ports.js';
import { hex16, tick } from './hex.js';
import type { Kernel } from './index.js';
import { instructionAt } from './memory.js';
import type { RenderContext } from './render/index.js';
import type { KernelState } from './state.js';
import { lookupSymbol } from './symbols.js';

const BREAK_BANNER = [
  'Break instruction exception - code 80000003 (first chance)',
  '*******************************************************************************',
  '*                                                                             *',
  '*   You are seeing this message because you pressed either                    *',
  '*       CTRL+C (if you run console kernel debugger) or,                       *',
  '*       CTRL+BREAK (if you run GUI kernel debugger),                          *',
  "*   on your debugger machine's keyboard.                                      *",
  '*                                                                             *',
  '*                   THIS IS NOT A BUG OR A SYSTEM CRASH                       *',
  '*                                                                             *',
  '* If you did not intend to break into the debugger, press the "g" key, then   *',
  '* press the "Enter" key now.  This message might immediately reappear.  If it *',
  '* does, press "g" and "Enter" again.                                          *',
  '*                                                                             *',
  '*******************************************************************************',
];

/** "nt!DbgBreakPointWithStatus:" and its int 3, where every break and bugcheck stops. */
function breakpointLines(state: KernelState): string[] {
  const at = lookupSymbol(state, 'nt!DbgBreakPointWithStatus') ?? 0n;
  const ins = instructionAt(state, at);
  const bytes = ins ? ins.bytes.map((b) => b.toString(16).padStart(2, '0')).join('') : 'cc';
  return ['nt!DbgBreakPointWithStatus:', `${tick(at)} ${bytes.padEnd(15)} int     3`];
}

/** What KD prints when the debugger breaks in with CTRL+C. */
export function breakText(state: KernelState): string {
  return [...BREAK_BANNER, ...breakpointLines(state)].join('\n');
}

/** What KD prints when Driver Verifier breaks in after a `b` answer: the exception and the breakpoint. */
export function verifierBreakText(state: KernelState): string {
  return ['Break instruction exception - code 80000003 (first chance)', ...breakpointLines(state)].join('\n');
}

/** What KD prints when the target bugchecks with the debugger attached (domain brief §2.7). */
export function bugcheckEventText(state: KernelState): string {
  const crash = state.crash;
  if (!crash) return '';
  const params = crash.args.map((a) => `0x${a.toUpperCase()}`).join(',');
  return [
    '',
    `*** Fatal System Error: 0x${hex16(BigInt(crash.code)).slice(8)}`,
    `                       (${params})`,
    '',
    'Break instruction exception - code 80000003 (first chance)',
    '',
    'A fatal system error has occurred.',
    'Debugger entered on first try; Bugcheck callbacks have not been invoked.',
    '',
    'A fatal system error has occurred.',
    '',
    ...breakpointLines(state),
  ].join('\n');
}

/** The event an outcome causes on an attached debugger, if any. */
export function eventFor(state: KernelState, outcome: KernelOutcome): TargetEvent | null {
  if (outcome.kind !== 'bugcheck') return null;
  return { kind: 'bugcheck', text: bugcheckEventText(state) };
}

/** The identity KD prints on connect, from the kernel state. */
export function identityOf(state: KernelState, uptimeSeconds: number): TargetIdentity {
  return {
    product: state.boot.os.product,
    build: state.boot.os.build,
    processors: state.boot.os.processors,
    arch: 'x64',
    kernelBase: `0x${tick(BigInt(`0x${state.modules[0]?.base ?? hex16(0n)}`))}`,
    psLoadedModuleList: `0x${tick(lookupSymbol(state, 'nt!PsLoadedModuleList') ?? 0n)}`,
    uptimeSeconds,
  };
}

/**
 * The VM a live kernel runs in, as its debug target needs it: the VM decides whether the guest is
 * stopped and what `g`, `.reboot` and `.crash` do to it (write the dump, reboot, freeze).
 */
export interface TargetVm {
  /** The kernel of the running guest, as of now (the VM lets lab time reach it first). */
  kernel(): Kernel;
  /** The guest is stopped in the debugger (broken in, or bugchecked with the debugger attached). */
  isStopped(): boolean;
  /** CTRL+C reached the kernel (it has recorded the break): the VM stops where it is. */
  stop(): Promise<void>;
  /** `g`: the VM runs on (after a bugcheck: it writes its dump and reboots). */
  resume(): Promise<void>;
  /** `.reboot`. */
  reboot(): Promise<void>;
  /** The debugger answered Driver Verifier's question: what the target prints for it. */
  answerVerifier(choice: 'b' | 'i' | 'z' | 'r' | 'd'): Promise<string>;
  /** The debugger's `.crash` bugchecked the kernel: the VM takes the bugcheck, still stopped. */
  crashed(outcome: KernelOutcome): Promise<void>;
  /** A command ran on the stopped kernel: the VM keeps the state it left. */
  changed(): Promise<void>;
  /** Lab seconds since the guest booted. */
  uptimeSeconds(): number;
}

/** A live kernel behind the debug link, in the VM that runs it. */
export class KernelDebugTarget implements DebugTarget {
  private context: RenderContext;

  constructor(private readonly vm: TargetVm) {
    this.context = { processor: vm.kernel().promptProcessor(), source: 'live', cxr: null };
  }

  private get kernel(): Kernel {
    return this.vm.kernel();
  }

  identity(): TargetIdentity {
    return identityOf(this.kernel.state, this.vm.uptimeSeconds());
  }

  isStopped(): boolean {
    return this.vm.isStopped();
  }

  /** The kernel bugchecked while running (the VM applied an action): what the debugger is told. */
  noteOutcome(outcome: KernelOutcome): TargetEvent | null {
    const event = eventFor(this.kernel.state, outcome);
    if (event) this.context = { processor: this.kernel.promptProcessor(), source: 'live', cxr: null };
    return event;
  }

  async breakIn(): Promise<string> {
    if (this.vm.isStopped()) return '';
    // The VM stops first (lab time up to the break reaches the kernel), then the kernel breaks.
    await this.vm.stop();
    const kernel = this.kernel;
    kernel.breakIn();
    this.context = { processor: kernel.promptProcessor(), source: 'live', cxr: null };
    await this.vm.changed();
    return kernel.state.crash ? '' : breakText(kernel.state);
  }

  async execute(command: string): Promise<string> {
    const verb = command.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    if (verb === 'g') {
      await this.resume();
      return '';
    }
    if (verb === '.reboot') {
      await this.reboot();
      return '';
    }
    if (verb === '.crash') {
      const outcome = this.kernel.apply({ kind: 'manual-crash' });
      this.context = { processor: this.kernel.promptProcessor(), source: 'live', cxr: null };
      await this.vm.crashed(outcome);
      return bugcheckEventText(this.kernel.state);
    }
    const rendered = this.kernel.renderCommand(command, this.context);
    this.context = rendered.context;
    await this.vm.changed();
    return rendered.text;
  }

  currentProcessor(): number | null {
    return this.kernel.promptProcessor();
  }

  async resume(): Promise<void> {
    this.kernel.resume();
    await this.vm.resume();
  }

  async reboot(): Promise<void> {
    await this.vm.reboot();
  }

  /** Driver Verifier's pending question is answered (see verifier-questions.ts). */
  answerVerifier(choice: 'b' | 'i' | 'z' | 'r' | 'd'): Promise<string> {
    return this.vm.answerVerifier(choice);
  }
}
