/**
 * The simulated kernel's public surface: `createKernel(facts)` → a kernel that applies actions and
 * keeps its state as plain JSON; `restoreKernel(json)` → the same kernel again from a checkpoint,
 * a state file or a dump; both render debugger commands from the state.
 */
import type { KernelAction, KernelFacts, KernelOutcome } from '../ports.js';
import { applyAction, bootState, breakInto, elapse } from './kernel.js';
import { type RenderContext, type Rendered, render, renderCommand } from './render/index.js';
import { type KernelState, parseKernelState } from './state.js';
import { answerAssert } from './verifier-questions.js';

export type { RenderContext, Rendered } from './render/index.js';
export { render, renderCommand } from './render/index.js';
export type { KernelState } from './state.js';

export interface Kernel {
  /** Decides and applies the outcome of something that happened in the guest. */
  apply(action: KernelAction): KernelOutcome;
  /**
   * The state itself, plain JSON, changed in place by every call: the VM keeps this very object in
   * its own state; copy it (structuredClone) to keep a moment of it.
   */
  readonly state: KernelState;
  /** The debugger broke in (CTRL+C): the target stops in processor 0's idle loop. */
  breakIn(): void;
  /**
   * The debugger answered Driver Verifier's pending question: what the verifier prints, and
   * whether the target runs on (after `b` it stops in the debugger, broken in).
   */
  answerVerifier(choice: 'b' | 'i' | 'z' | 'r' | 'd'): { text: string; runs: boolean };
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

/** A kernel booted from the facts of a boot of its guest. */
export function createKernel(facts: KernelFacts): Kernel {
  return kernelOver(bootState(facts));
}

/** The kernel a saved state describes (validated: a state this version does not read throws). */
export function restoreKernel(json: unknown): Kernel {
  return kernelOver(parseKernelState(json));
}

function kernelOver(state: KernelState): Kernel {
  return {
    apply: (action) => applyAction(state, action),
    state,
    breakIn() {
      breakInto(state);
    },
    answerVerifier(choice) {
      const answer = answerAssert(state, choice);
      if (!answer.runs) breakInto(state);
      return answer;
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
