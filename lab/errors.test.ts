import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import {
  AssertionError,
  ConfigurationError,
  describeError,
  expectationFailed,
  faultOwnerOf,
  HarnessLogicError,
  LabCompromisedError,
} from './errors.js';

describe('driverlab errors', () => {
  it('word a failed expectation as one sentence: expected, because, but', () => {
    const error = expectationFailed({
      expected: "VM 'win11-a' to bugcheck with 0xD6",
      because: 'special pool guards the overrun',
      actual: 'it kept running for 120 s.',
    });
    expect.ok(error instanceof AssertionError);
    expect.equal(
      error.message,
      "Expected VM 'win11-a' to bugcheck with 0xD6, because special pool guards the overrun, but it kept running for 120 s.",
    );
    expect.equal(error.name, 'AssertionError');
    expect.equal(faultOwnerOf(error), 'product');
  });

  it('keep their cause and know whose fault they are', () => {
    const cause = new Error('NoContact');
    const error = new LabCompromisedError('The VM never reported a heartbeat.', { cause });
    expect.equal(error.cause, cause);
    expect.equal(faultOwnerOf(error), 'lab');
    expect.equal(faultOwnerOf(new ConfigurationError('x')), 'configuration');
    expect.equal(faultOwnerOf(new HarnessLogicError('x')), 'harness');
    expect.equal(faultOwnerOf(new TypeError('x')), 'harness');
    expect.equal(describeError(error), 'The VM never reported a heartbeat. (caused by: NoContact)');
  });

  it('keep the word allure-js reads as a product failure out of non-product messages', () => {
    for (const error of [
      new LabCompromisedError('kd printed Assertion failed'),
      new ConfigurationError('an ASSERT in the lab file'),
      new HarnessLogicError('asserted too early'),
    ]) {
      expect.doesNotMatch(error.message, /assert/i);
      expect.doesNotMatch(error.name, /assert/i);
      expect.match(error.message.replace(/\u200b/g, ''), /assert/i);
    }
  });
});
