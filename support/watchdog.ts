/**
 * The scenario watchdog: a scenario that runs past its time budget is stopped, with evidence.
 *
 * The budget is the scenario's `@budget:<duration>` tag (`@budget:20min`), else the lab file's
 * `timeouts.scenario`. When it runs out while a step is still going, the VM gets a non-maskable
 * interrupt from the hypervisor (bug check 0x80: with a live debugger attached the VM stops in it,
 * otherwise it writes a dump), the crash's `!analyze -v` is attached, and the step ends `broken`
 * with a sentence saying so. The VM is restored by the next scenario as always, so the run goes on.
 */
import {
  describeError,
  formatLabDuration,
  LabCompromisedError,
  parseDuration,
  wallSleep,
} from '../lab/index.js';
import type { LabAccess, Narrative, TestVm } from './capabilities.js';
import type { Crashes } from './domain/crashes.js';

/** What the watchdog uses: the lab's clock, the VM (when the scenario has one), the crashes (an NMI and its analysis), the narrative. */
export interface WatchdogNeeds extends LabAccess, TestVm {
  readonly crashes: Pick<Crashes, 'forceDump' | 'analysis'>;
  readonly narrative: Pick<Narrative, 'lastAction'>;
}

const BUDGET_TAG = /^@budget:(.+)$/;
/** How often the watchdog looks at the lab clock, in wall milliseconds. */
const LOOK_WALL_MS = 50;

/** The scenario's budget in lab milliseconds: its @budget tag, else the lab's default. */
export function budgetOf(tags: readonly string[], labDefaultMs: number): number {
  const tagged = tags.map((t) => BUDGET_TAG.exec(t)?.[1]).find((v) => v !== undefined);
  return tagged === undefined ? labDefaultMs : parseDuration(tagged);
}

export class Watchdog {
  private expiry: Promise<never> | null = null;
  private stop = new AbortController();
  /** The armed budget: whose, from when, how long (null when disarmed). */
  private armed: { world: WatchdogNeeds; start: number; budgetMs: number } | null = null;
  /** The watchdog's one sentence, once it has fired. */
  private fired: Promise<LabCompromisedError> | null = null;

  /**
   * Starts counting the scenario's budget in lab time. It watches the clock rather than sleeping on
   * it: on the embedded lab a sleep of the budget would itself move the virtual time to its end
   * whenever the harness waits on another process, while a look at the clock only reads the lab
   * time the scenario's own operations and waits have spent. A step that ends past the budget (on
   * the embedded lab, lab time can pass faster than any look) is stopped as it ends.
   */
  arm(world: WatchdogNeeds, budgetMs: number): void {
    this.disarm();
    const stop = new AbortController();
    this.stop = stop;
    const clock = world.lab.clock;
    const armed = { world, start: clock.now(), budgetMs };
    this.armed = armed;
    this.fired = null;
    this.expiry = (async () => {
      while (clock.now() - armed.start < budgetMs) await wallSleep(LOOK_WALL_MS, stop.signal);
      throw await this.fireOnce();
    })();
    // Nobody may be racing it when it ends (between steps, or disarmed): never an unhandled rejection.
    this.expiry.catch(() => {});
  }

  /** A step's work, raced against the budget: whichever ends first decides the step. */
  async guard<T>(work: T | Promise<T>): Promise<T> {
    const expiry = this.expiry;
    if (expiry === null) return work;
    const result = await Promise.race([Promise.resolve(work), expiry]);
    const armed = this.armed;
    if (armed && armed.world.lab.clock.now() - armed.start >= armed.budgetMs) throw await this.fireOnce();
    return result;
  }

  /** The scenario's steps are over: the budget no longer runs. */
  disarm(): void {
    this.stop.abort();
    this.expiry = null;
    this.armed = null;
  }

  private fireOnce(): Promise<LabCompromisedError> {
    const armed = this.armed;
    if (!armed)
      return Promise.resolve(
        new LabCompromisedError('The watchdog fired after the scenario had ended; report this with the run.'),
      );
    this.fired ??= this.fire(armed.world, armed.budgetMs);
    return this.fired;
  }

  private async fire(world: WatchdogNeeds, budgetMs: number): Promise<LabCompromisedError> {
    const budget = formatLabDuration(budgetMs);
    const last = world.narrative.lastAction;
    const step = last ? ` (the scenario's last action: ${last})` : '';
    if (!world.hasVm) {
      return new LabCompromisedError(
        `The scenario ran past its time budget of ${budget} before it had a VM${step}, so the watchdog stopped it; look at the lab's host and raise the budget with a @budget tag if the scenario needs longer.`,
      );
    }
    const vm = world.vm;
    let evidence: string;
    try {
      const crash = await world.crashes.forceDump();
      await (await world.crashes.analysis()).analyze();
      evidence = `${vm.describe()} was given a non-maskable interrupt and bugchecked (0x${crash.code.toString(16)}); its !analyze -v from ${crash.reportedBy === 'the debugger' ? 'the live debugger' : 'the dump'} is attached`;
    } catch (error) {
      evidence = `${vm.describe()} was given a non-maskable interrupt, but no analysis could be taken (${describeError(error).replace(/\.$/, '')})`;
    }
    return new LabCompromisedError(
      `The scenario ran past its time budget of ${budget}${step}, so the watchdog stopped it: ${evidence}; the VM is restored for the next scenario, and a @budget tag gives a scenario that needs longer more time.`,
    );
  }
}
