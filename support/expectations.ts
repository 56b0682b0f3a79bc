/**
 * Expectations about the test VM that steps use directly. Each fails with one sentence (expected,
 * because, but got), redacted, as a product failure (Allure `failed`): the sentence is built by the
 * scenario's `Expect` (support/capabilities.ts); the values compared were read through a parser and
 * attached as evidence where they were read.
 */
import type { VmState } from '../lab/index.js';
import type { Expect, Keeps, TestVm } from './capabilities.js';

export async function expectVmState(
  my: Pick<TestVm, 'vm'> & Keeps & { readonly expect: Expect },
  expected: VmState,
  because: string,
): Promise<void> {
  const status = await my.vm.status();
  await my.evidence.attach('vm status', null, status);
  my.expect.that(status.state === expected, {
    expected: `${my.vm.describe()} to be ${expected}`,
    because,
    actual: `it is ${status.state}`,
  });
}
