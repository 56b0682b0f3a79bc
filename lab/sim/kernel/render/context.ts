/**
 * What a debugger session adds to the kernel state when rendering: where the target is looked at
 * from (live link or dump file), the prompt KD shows (its width places KD's error caret), and the
 * register scope `.cxr` sets.
 */
import { addr, hex16, u64 } from '../hex.js';
import { type KernelState, type Registers, type Site, type Thread, zeroRegisters } from '../state.js';
import { siteAddress } from '../symbols.js';

export interface RenderContext {
  /** The processor the prompt shows ("1: kd> "), or null for "kd> ". */
  processor: number | null;
  source: 'live' | 'dump';
  /** The dump file's name (FILE_IN_CAB), when source is 'dump'. */
  dumpFile?: string;
  /** A context record `.cxr` switched to, as 16 hex digits; null for the default scope. */
  cxr?: string | null;
}

export class CommandError extends Error {}

/** KD's prompt for a context ("kd> ", "1: kd> "). */
export function promptOf(context: RenderContext): string {
  return context.processor === null ? 'kd> ' : `${context.processor}: kd> `;
}

/** The thread the debugger looks at: the bugchecking thread, the broken-in one, or processor 0's idle thread. */
export function currentThread(state: KernelState): Thread | undefined {
  const wanted = state.crash?.thread ?? state.breakIn?.thread ?? state.hang?.thread;
  return state.threads.find((t) => t.address === wanted) ?? state.threads.find((t) => t.pid === 0);
}

const nt = (fn: string, offset = 0): Site => ({ module: 'nt', fn, offset });

/** The frames of a thread as the debugger sees them: a live bugcheck still sits in the debugger break. */
export function framesOf(state: KernelState, thread: Thread, context: RenderContext): Site[] {
  const first = thread.frames[0];
  const inBugcheck =
    first !== undefined &&
    'fn' in first &&
    first.fn === 'KeBugCheckEx' &&
    state.crash?.thread === thread.address;
  if (inBugcheck && context.source === 'live')
    return [
      nt('DbgBreakPointWithStatus'),
      nt('KiBugCheckDebugBreak', 0x12),
      nt('KeBugCheck2', 0x946),
      ...thread.frames,
    ];
  return thread.frames;
}

/** The default registers of the current thread (the top frame's), or the `.cxr` context's. */
export function registersOf(state: KernelState, context: RenderContext): Registers {
  const crash = state.crash;
  if (context.cxr && crash?.context && crash.context.address === context.cxr) return crash.context.registers;
  const base = zeroRegisters(0x246);
  if (context.cxr) return base;
  const thread = currentThread(state);
  if (!thread) return base;
  const frames = framesOf(state, thread, context);
  const top = frames[0];
  const rip = top ? siteAddress(state, top) : 0n;
  const rsp = addr(thread.stackCurrent) - (frames.length > thread.frames.length ? 0x200n : 0n);
  const regs: Registers = { ...base, rip: hex16(rip), rsp: hex16(rsp), rbp: hex16(u64(rsp + 0x80n)) };
  if (crash && crash.thread === thread.address) {
    regs.rcx = hex16(BigInt(crash.code));
    regs.rdx = crash.args[0];
    regs.r8 = crash.args[1];
    regs.r9 = crash.args[2];
  }
  return regs;
}
