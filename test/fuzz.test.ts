import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { fuzzRuns } from './fuzz.testkit.js';

describe('the fuzz budget', () => {
  it('is the test’s own small number unless DRIVERLAB_FUZZ_RUNS gives one', () => {
    expect.equal(fuzzRuns(200, {}), 200);
    expect.equal(fuzzRuns(200, { DRIVERLAB_FUZZ_RUNS: '' }), 200);
    expect.equal(fuzzRuns(200, { DRIVERLAB_FUZZ_RUNS: '10000' }), 10_000);
  });

  it('refuses a budget that is not a positive whole number, with a sentence', () => {
    expect.throws(() => fuzzRuns(200, { DRIVERLAB_FUZZ_RUNS: 'lots' }), {
      message:
        "DRIVERLAB_FUZZ_RUNS is 'lots', which is not a positive whole number of inputs; unset it for the small budget or give one, e.g. DRIVERLAB_FUZZ_RUNS=10000.",
    });
    expect.throws(
      () => fuzzRuns(200, { DRIVERLAB_FUZZ_RUNS: '0' }),
      /is '0', which is not a positive whole number/,
    );
  });
});
