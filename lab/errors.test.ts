import { strict as expect } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import {
  AssertionError,
  ConfigurationError,
  describeError,
  expectationFailed,
  faultOwnerOf,
  HarnessLogicError,
  LabCompromisedError,
} from './errors.js';
import { cucumberBin, paths } from './paths.js';
import { readAllureResults } from './report/allure-results.js';

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

  it('land in Allure as failed for an expectation and broken for everything else', {
    timeout: 60_000,
  }, async () => {
    const results = mkdtempSync(join(tmpdir(), 'driverlab-statuses-'));
    try {
      const run = await execa(
        process.execPath,
        [cucumberBin(), '--config', 'test/fixtures/error-statuses/cucumber.mjs'],
        { cwd: paths.root, env: { FIXTURE_RESULTS: results }, reject: false },
      );
      expect.equal(run.exitCode, 1, run.stderr);
      const { results: read, unreadable } = await readAllureResults(results);
      expect.deepEqual(unreadable, []);
      const status = Object.fromEntries(read.map((r) => [r.name, r.status]));
      expect.deepEqual(status, {
        'the driver misbehaves': 'failed',
        'the lab cannot do its job': 'broken',
        'the lab is compromised while quoting a guest that printed an assertion': 'broken',
        'the lab file is wrong': 'broken',
        'the harness is used out of order': 'broken',
        'nothing goes wrong': 'passed',
      });
      const failed = read.find((r) => r.name === 'the driver misbehaves');
      expect.match(
        failed?.statusDetails?.message ?? '',
        /Expected VM 'win11-a' to bugcheck with 0xD6, because special pool/,
      );
    } finally {
      rmSync(results, { recursive: true, force: true });
    }
  });
});
