/**
 * The seam between a simulated VM and its simulated kernel (lab/sim/kernel builds the kernel).
 *
 * The VM owns one kernel object per guest OS. At each boot it hands the kernel the facts of that
 * boot (BCD, verifier and NDIS settings read at boot, memory), then every KernelAction the guest
 * produces (a driver loaded, a catalog trigger ran, a PnP remove, an NMI …); the kernel answers
 * with a KernelOutcome and the VM reacts (bugcheck → dump and reboot or a frozen target; hang →
 * the guest command never completes). A kernel's state is plain JSON, so a checkpoint restores it
 * and a crash dump carries it.
 *
 * What the kernel prints for the debugger is also the kernel's: the VM's DebugTarget delegates to
 * the optional `debugger` part.
 */
import type { KernelAction, KernelFacts, KernelOutcome, TargetEvent, TargetIdentity } from '../contract.js';

/** A JSON value: what a kernel serialises to. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The debugger-facing half of a kernel: what KD shows and what its commands print. */
export interface KernelDebugger {
  /** What KD prints when it connects. */
  identity(uptimeSeconds: number): TargetIdentity;
  /** The text the attached debugger shows when an outcome happens (the bugcheck banner …). */
  announce(outcome: KernelOutcome): TargetEvent[];
  /** The host broke in: the text KD prints (Break instruction exception …). */
  breakIn(): string;
  /** A command on the stopped target: what KD prints for it (no prompt). */
  execute(command: string): Promise<string>;
  /** The processor the prompt shows, or null for "kd> ". */
  currentProcessor(): number | null;
  answerVerifier(choice: 'b' | 'i' | 'z' | 'r' | 'd'): Promise<string>;
}

/** The simulated kernel of one guest, as the VM model drives it. */
export interface SimKernel {
  /** A boot begins: the kernel starts over from the facts of this boot. */
  boot(facts: KernelFacts): void;
  /** Something happened in the guest; the kernel decides what comes of it. */
  apply(action: KernelAction): KernelOutcome | Promise<KernelOutcome>;
  /** The whole kernel state, for checkpoints and crash dumps. */
  serialise(): JsonValue;
  /** Present when the kernel can answer a debugger. */
  readonly debugger?: KernelDebugger;
}

/** Makes kernels: a fresh one, or one restored from a checkpoint's serialised state. */
export interface KernelFactory {
  create(vmName: string): SimKernel;
  restore(vmName: string, state: JsonValue): SimKernel;
}
