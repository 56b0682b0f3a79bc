/**
 * A test double of the kernel interface (lab/sim/model/kernel.ts), for tests only: it answers each
 * KernelAction with the outcome its test chose and records what it was given. It decides nothing
 * about drivers; the simulated kernel proper (lab/sim/kernel) does that.
 */
import type { KernelAction, KernelFacts, KernelOutcome, TargetEvent } from '../../contract.js';
import type { JsonValue, KernelDebugger, KernelFactory, SimKernel } from '../../model/kernel.js';

export type OutcomeRule = (action: KernelAction) => KernelOutcome;

export class KernelDouble implements SimKernel {
  readonly applied: KernelAction[] = [];
  facts: KernelFacts | null = null;

  constructor(private readonly rule: OutcomeRule) {}

  boot(facts: KernelFacts): void {
    this.facts = facts;
  }

  apply(action: KernelAction): KernelOutcome {
    this.applied.push(action);
    return this.rule(action);
  }

  serialise(): JsonValue {
    return { applied: this.applied.map((a) => a.kind), verifierFlags: this.facts?.verifier.flags ?? null };
  }

  readonly debugger: KernelDebugger = {
    identity: () => ({
      product: 'Windows 10',
      build: 19041,
      processors: 4,
      arch: 'x64',
      kernelBase: '0xfffff800`00000000',
      psLoadedModuleList: '0xfffff800`00000000',
      uptimeSeconds: 0,
    }),
    announce: (o: KernelOutcome): TargetEvent[] =>
      o.kind === 'bugcheck'
        ? [
            {
              kind: 'bugcheck',
              text: `*** Fatal System Error: 0x${o.bugcheck.code.toString(16).padStart(8, '0')}`,
            },
          ]
        : [],
    breakIn: () => 'Break instruction exception - code 80000003 (first chance)',
    execute: async (command: string) => `executed ${command}`,
    currentProcessor: () => 0,
    answerVerifier: async () => '',
  };
}

/** A factory of kernel doubles; `latest()` is the kernel of the current boot. */
export function kernelDoubles(rule: OutcomeRule = () => ({ kind: 'none' })) {
  const made: KernelDouble[] = [];
  const factory: KernelFactory = {
    create: () => {
      const k = new KernelDouble(rule);
      made.push(k);
      return k;
    },
    restore: (_vmName, state) => {
      const k = new KernelDouble(rule);
      const kinds = (state as { applied?: string[] } | null)?.applied ?? [];
      k.applied.push(...kinds.map((kind) => ({ kind }) as KernelAction));
      made.push(k);
      return k;
    },
  };
  return { factory, made, latest: () => made[made.length - 1] as KernelDouble };
}

/** The bugcheck an NMI gives in the tests (NMI_HARDWARE_FAILURE has no parameters). */
export const NMI_BUGCHECK: KernelOutcome = {
  kind: 'bugcheck',
  bugcheck: { code: 0x80, name: 'NMI_HARDWARE_FAILURE', args: [0n, 0n, 0n, 0n] },
};
