/**
 * Expectations: each fails with one sentence (expected, because, but got), redacted, as a product
 * failure (Allure `failed`). The values compared were read through a parser and attached as
 * evidence (raw and parsed JSON) where they were read.
 */
import { type AssertionError, type Expectation, expectationFailed, type VmState } from '../lab/index.js';
import type { LabWorld } from './world.js';

/** The failed expectation as an error, with every secret the lab knows taken out of it. */
export function failed(world: LabWorld, e: Expectation): AssertionError {
  const r = (t: string) => world.lab.redactor.redact(t);
  return expectationFailed({ expected: r(e.expected), because: r(e.because), actual: r(e.actual) });
}

/** Throws the failed expectation unless `ok`. */
export function expectThat(world: LabWorld, ok: boolean, e: Expectation): void {
  if (!ok) throw failed(world, e);
}

/** The "because" of an expectation about what follows the scenario's last action. */
export function becauseOfLastAction(world: LabWorld, fallback: string): string {
  return world.lastAction ?? fallback;
}

export async function expectVmState(world: LabWorld, expected: VmState, because: string): Promise<void> {
  const status = await world.vm.status();
  await world.evidence.attach('vm status', null, status);
  expectThat(world, status.state === expected, {
    expected: `${world.vm.describe()} to be ${expected}`,
    because,
    actual: `it is ${status.state}`,
  });
}
