/**
 * The error classes as Allure reads them: a fixture project (test/fixtures/error-statuses) throws
 * each class from a step, and Cucumber with the Allure reporter files them as failed or broken.
 */
import { strict as expect } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { cucumberBin, paths } from '../lab/paths.js';
import { readAllureResults } from '../lab/report/allure-results.js';

describe('driverlab errors', () => {
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
