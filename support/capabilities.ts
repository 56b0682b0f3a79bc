/**
 * The capabilities a domain helper (support/domain/) may be given. Each helper names the few it uses
 * in an interface of its own (`BackupNeeds`: the VM, the guest tools, the narrative, expectations)
 * and receives exactly those, built in one place (support/world.ts, `composeDomain`); no helper
 * reaches the World, and none imports another helper except for the type of what it is given.
 *
 * This module imports no other support file, so every support file may import it.
 */
import {
  type AssertionError,
  type Expectation,
  expectationFailed,
  HarnessLogicError,
  type HypervLab,
  type Vm,
} from '../lab/index.js';
import type { Evidence } from './evidence.js';

/** The scenario as the hooks saw it: for checkpoint names, labels and messages. */
export interface ScenarioInfo {
  name: string;
  /** The feature file, relative to the project root. */
  uri: string;
  tags: string[];
  /** Its steps' text, without keywords: a step may be given as long as a later step watches it. */
  steps: string[];
}

/** The lab of this worker (a worker-scoped fixture, support/fixtures.ts). */
export interface LabAccess {
  readonly lab: HypervLab;
}

/** The VM the scenario uses (a scenario-scoped fixture: the hooks lease it before the first step). */
export interface TestVm {
  readonly vm: Vm;
  readonly hasVm: boolean;
}

/** The evidence the scenario keeps (support/evidence.ts). */
export interface Keeps {
  readonly evidence: Evidence;
}

/** What the scenario did last, as a sentence part, for the "because" of what follows. */
export class Narrative {
  private last: string | null = null;

  /** "myfault.sys overran its pool allocation", or null before the scenario did anything. */
  get lastAction(): string | null {
    return this.last;
  }

  /** Remembers what the scenario did. */
  did(action: string): void {
    this.last = action;
  }
}

/** Expectations: each fails with one sentence (expected, because, but got), with every secret taken out. */
export class Expect {
  constructor(private readonly redact: (text: string) => string) {}

  /** The failed expectation as an error (Allure `failed`). */
  failed(e: Expectation): AssertionError {
    const r = this.redact;
    return expectationFailed({ expected: r(e.expected), because: r(e.because), actual: r(e.actual) });
  }

  /** Throws the failed expectation unless `ok`. */
  that(ok: boolean, e: Expectation): void {
    if (!ok) throw this.failed(e);
  }
}

/** The VM slot of a scenario: empty until the hooks lease a VM, then that VM. */
export class VmSlot implements TestVm {
  private leased: Vm | undefined;

  get vm(): Vm {
    if (!this.leased) {
      throw new HarnessLogicError(
        "A step used the test VM before the scenario had one; the 'Lease a VM and restore it to its baseline' hook leases it, so check that it ran.",
      );
    }
    return this.leased;
  }

  get hasVm(): boolean {
    return this.leased !== undefined;
  }

  use(vm: Vm): Vm {
    this.leased = vm;
    return vm;
  }
}

/**
 * An object that gives only the named capabilities of `from`, each read when it is used (the VM is
 * leased after the helpers are made): what a helper receives is what its interface names, no more.
 */
export function only<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const given = {} as Pick<T, K>;
  for (const key of keys) Object.defineProperty(given, key, { get: () => from[key], enumerable: true });
  return Object.freeze(given);
}
