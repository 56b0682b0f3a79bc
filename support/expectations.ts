/**
 * Expectations: each fails with one sentence (expected, because, but got) and attaches its
 * evidence — the raw output and its parsed JSON.
 */
import { expectationFailed } from '../lab/errors.js';
import type { VmState } from '../lab/ports.js';
import type { LabWorld } from './world.js';

export async function expectVmState(world: LabWorld, expected: VmState, because: string): Promise<void> {
  const status = await world.vm.status();
  await world.attach(JSON.stringify(status, null, 2), {
    mediaType: 'application/json',
    fileName: 'vm-status.json',
  });
  if (status.state !== expected) {
    throw expectationFailed({
      expected: `${world.vm.describe()} to be ${expected}`,
      because,
      actual: `it is ${status.state}`,
    });
  }
}
