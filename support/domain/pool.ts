/**
 * Pool in a crash (seeds: "Understanding Pool Corruption" parts 1 and 2): the special-pool guard
 * page an overrun hits (stop 0xD6), and, without special pool, the corrupt pool page a later crash
 * meets and the next step that follows from it (lab/rules/pool.ts).
 */
import {
  contextRecordOf,
  describeBugcheck,
  HarnessLogicError,
  isKernelAddress,
  type PoolLook,
  type PoolResult,
  type PoolTriage,
  REFERENCED_IN_ARG1,
  referencedMemory,
  triagePoolCorruption,
} from '../../lab/index.js';
import type { Expect, Keeps, Narrative } from '../capabilities.js';
import type { Crashes } from './crashes.js';
import type { Drivers } from './drivers.js';
import { readOutput } from './read.js';
import type { Verifier } from './verifier.js';

/** What pool triage uses: the crash, the drivers the scenario put on the VM, what Driver Verifier checks, evidence, the narrative and expectations. */
export interface PoolNeeds extends Keeps {
  readonly crashes: Pick<Crashes, 'last' | 'analysis'>;
  readonly drivers: Pick<Drivers, 'suspects' | 'triggeredBy'>;
  readonly verifier: Pick<Verifier, 'description' | 'underSpecialPool'>;
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export class Pool {
  private triaged: PoolTriage | null = null;

  constructor(private readonly my: PoolNeeds) {}

  /** The memory the crash referenced (Arg1 of 0xD6 and its kin). */
  private referenced(): string {
    const crash = this.my.crashes.last;
    const address = crash ? referencedMemory(crash) : null;
    if (!crash || address === null) {
      throw new HarnessLogicError(
        `The memory a crash referenced is known for ${[...REFERENCED_IN_ARG1].map((c) => describeBugcheck(c)).join(', ')}, ${crash ? `not for ${describeBugcheck(crash.code)}` : 'and the VM has not crashed'}; expect that bug check first.`,
      );
    }
    return address;
  }

  /** The referenced memory is special pool: `!pool` on it says so. */
  async expectSpecialPool(): Promise<void> {
    const address = this.referenced();
    const pool = await (await this.my.crashes.analysis()).run(`!pool ${address.replace(/^0x/, '')}`, 'pool');
    this.my.expect.that(/special pool/i.test(pool.region ?? ''), {
      expected: `the memory the crash referenced (${address}) to be special pool`,
      because: this.my.verifier.description,
      actual: `!pool says its region is ${pool.region ?? 'not shown'}`,
    });
  }

  /** The referenced page is not valid (`!pte`): the guard page special pool puts after an allocation. */
  async expectPageNotValid(): Promise<void> {
    const address = this.referenced();
    const pte = await (await this.my.crashes.analysis()).run(`!pte ${address.replace(/^0x/, '')}`, 'pte');
    const last = pte.levels[pte.levels.length - 1];
    this.my.expect.that(last?.level === 'PTE' && last.valid === false, {
      expected: `the page of ${address} to be not valid`,
      because: 'special pool marks the page after each allocation as a guard page',
      actual: last
        ? `its ${last.level} is ${last.valid ? 'valid' : 'shown without a validity'} (${last.flags ?? last.contents ?? ''})`
        : '!pte shows no level',
    });
  }

  /** What the pool corruption triage concludes from `!pool` on every kernel address the crash touched. */
  async triage(): Promise<PoolTriage> {
    if (this.triaged) return this.triaged;
    const crash = this.my.crashes.last;
    if (!crash)
      throw new HarnessLogicError(
        'Pool corruption is looked for in a crash, and the VM has not crashed; expect the bug check first.',
      );
    const analysis = await this.my.crashes.analysis();
    const candidates = crash.args.filter(isKernelAddress);
    const record = contextRecordOf(crash);
    if (record && isKernelAddress(record)) {
      const { registers } = await analysis.run(`.cxr ${record}`, 'registers');
      await analysis.raw('.cxr');
      candidates.push(...Object.values(registers).filter(isKernelAddress));
    }
    const looks: PoolLook[] = [];
    for (const address of [...new Set(candidates)]) {
      const command = `!pool ${address.replace(/^0x/, '')}`;
      const raw = await analysis.raw(command);
      let pool: PoolResult;
      try {
        pool = await readOutput('pool', raw, command);
      } catch {
        // Not a pool address (code, a stack, a register holding data): nothing to look at.
        continue;
      }
      looks.push({ address, pool });
      if (pool.corrupt) {
        await this.my.evidence.attach(`kd ${command}`, raw, pool);
        break;
      }
    }
    this.triaged = triagePoolCorruption({
      looks,
      suspects: this.my.drivers.suspects,
      underSpecialPool: this.my.verifier.underSpecialPool,
    });
    await this.my.evidence.attach('pool corruption triage', null, this.triaged);
    return this.triaged;
  }

  /** `!pool` shows a corrupt page at an address the crash touched. */
  async expectCorruption(): Promise<void> {
    const t = await this.triage();
    this.my.expect.that(t.corrupt, {
      expected: 'the crash to have met corrupt pool',
      because: this.becauseOfCorruption(),
      actual: t.corrupt
        ? ''
        : `!pool found no corrupt page at ${t.looked.join(', ') || 'any address the crash touched'}`,
    });
  }

  /** Why the scenario expects corrupt pool, from what it did: an overrun before the crash, or only the crash. */
  private becauseOfCorruption(): string {
    const during = this.my.crashes.last?.during ?? this.my.narrative.lastAction ?? 'the VM went down';
    const overran = this.my.drivers.triggeredBy('overrun');
    if (overran.length > 0)
      return `${during} after ${overran.join(' and ')} overran ${overran.length === 1 ? 'its' : 'their'} pool allocation`;
    const loaded = this.my.drivers.suspects;
    return `${during}${loaded.length > 0 ? ` with ${loaded.join(', ')} loaded` : ''}, and the scenario made no driver overrun its pool`;
  }

  /** The triage's next step is special pool for this driver. */
  async expectNextStepSpecialPool(binary: string): Promise<void> {
    const t = await this.triage();
    const step = t.corrupt ? t.nextStep : null;
    this.my.expect.that(
      step?.action === 'enable-special-pool' &&
        step.drivers.some((d) => d.toLowerCase() === binary.toLowerCase()),
      {
        expected: `the analysis to recommend special pool for ${binary} as the next step`,
        because: t.corrupt ? t.because : 'the crash met corrupt pool',
        actual: !t.corrupt
          ? 'it found no corrupt pool to reason from'
          : step?.action === 'enable-special-pool'
            ? `it recommends '${step.command}'`
            : 'every suspect already has special pool, so it recommends looking beyond overruns',
      },
    );
  }
}
