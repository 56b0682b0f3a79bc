/**
 * The kernel's side of the embedded lab's contract (lab/sim/contract.ts), re-exported, plus the
 * optional members this kernel understands beyond it. Every addition is optional, so a caller that
 * keeps to the contract on main works unchanged.
 */
import type { KernelAction, KernelFacts } from '../contract.js';

export type {
  BugcheckInfo,
  DebugTarget,
  KernelAction,
  KernelFacts,
  KernelOutcome,
  LoadedDriver,
  TargetEvent,
  TargetIdentity,
} from '../contract.js';

/** KernelFacts plus the boot count the addresses derive from (1 when absent). */
export type KernelBootFacts = KernelFacts & { bootCount?: number };

/**
 * KernelAction with optional detail: the user-mode process a trigger or commit runs in, and how
 * many times a commit request repeats (a guest tool that retries, or a soak).
 */
export type ExtendedKernelAction =
  | KernelAction
  | { kind: 'trigger'; driver: string; trigger: string; process?: string }
  | { kind: 'commit'; megabytes: number; process?: string; times?: number };

/** The process a trigger runs in when the action does not name one. */
export const DEFAULT_TRIGGER_PROCESS = 'drvtrig.exe';
