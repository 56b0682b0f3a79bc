/**
 * The simulated kernel's public surface: `createKernel(facts)` → a kernel that applies actions,
 * keeps its state as JSON, restores from it, and renders debugger commands.
 */
import type { ExtendedKernelAction, KernelBootFacts, KernelOutcome } from './contract.js';
import { applyAction, bootState, breakInto, elapse } from './kernel.js';
import { type RenderContext, type Rendered, render, renderCommand } from './render/index.js';
import { type KernelState, parseKernelState } from './state.js';

export type { ExtendedKernelAction, KernelBootFacts } from './contract.js';
export type { RenderContext, Rendered } from './render/index.js';
export { render, renderCommand } from './render/index.js';
export type { KernelState } from './state.js';

export interface Kernel {
  /** Decides and applies the outcome of something that happened in the guest. */
  apply(action: ExtendedKernelAction): KernelOutcome;
  /** The state as plain JSON (a deep copy: checkpoints and dumps keep it unchanged). */
  readonly state: KernelState;
  /** Replaces the state with one read back from a checkpoint or dump (validated). */
  restore(json: unknown): void;
  /** Boots again with new facts (a reboot: the boot count, and so every address, changes). */
  reboot(facts: KernelBootFacts): void;
  /** The debugger broke in (CTRL+C): the target stops in processor 0's idle loop. */
  breakIn(): void;
  /** The target runs again (after a break-in; a bugchecked kernel stays bugchecked until reboot). */
  resume(): void;
  /** Lab time passes (waiting threads age). */
  elapse(seconds: number): void;
  /** What KD prints for a command line, in a render context (prompt, live or dump, .cxr scope). */
  render(command: string, context?: RenderContext): string;
  /** Like render, also returning the context the command leaves (a session keeps it). */
  renderCommand(command: string, context: RenderContext): Rendered;
  /** The processor KD's prompt shows, or null on a uniprocessor guest. */
  promptProcessor(): number | null;
}

export const LIVE: RenderContext = { processor: 0, source: 'live', cxr: null };

/** A kernel booted from the facts of the guest's last boot. */
export function createKernel(facts: KernelBootFacts): Kernel {
  let state = bootState(facts);
  return {
    apply: (action) => applyAction(state, action),
    get state() {
      return structuredClone(state);
    },
    restore(json) {
      state = parseKernelState(json);
    },
    reboot(next) {
      state = bootState({ ...next, bootCount: next.bootCount ?? state.boot.bootCount + 1 });
    },
    breakIn() {
      breakInto(state);
    },
    resume() {
      state.breakIn = null;
    },
    elapse(seconds) {
      elapse(state, seconds);
    },
    render(command, context) {
      return render(command, state, context ?? { ...LIVE, processor: promptProcessorOf(state) });
    },
    renderCommand(command, context) {
      return renderCommand(command, state, context);
    },
    promptProcessor() {
      return promptProcessorOf(state);
    },
  };
}

/** The processor KD's prompt shows for a state ("1: kd> "), or null on a uniprocessor guest. */
export function promptProcessorOf(state: KernelState): number | null {
  if (state.boot.os.processors === 1) return null;
  return state.crash?.processor ?? state.breakIn?.processor ?? 0;
}
