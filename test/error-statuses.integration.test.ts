/**
 * The error classes as Allure reads them: a fixture project (test/fixtures/error-statuses) throws
 * each class from a step, and from a Before or an After hook, and Cucumber with the run's Allure
 * reporter (support/allure-writer.mjs) files them as failed or broken — in the scenario's result
 * and in its container's befores/afters.
 */
import { strict as expect } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import * as z from 'zod';
import { cucumberBin, paths } from '../lab/paths.js';
import { readAllureResults } from '../lab/report/allure-results.js';

/** The parts of an Allure container this test reads: the hooks around its results and their statuses. */
const Fixture = z.object({ name: z.string(), status: z.string().optional() });
const Steps = z.array(z.object({ name: z.string(), status: z.string().optional() }));
const Container = z.object({
  children: z.array(z.string()).default([]),
  befores: z.array(Fixture).default([]),
  afters: z.array(Fixture).default([]),
});

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
        'a Before hook cannot restore the VM': 'broken',
        'a Before hook finds the baseline not met': 'failed',
        'an After hook cannot end the debugger session': 'broken',
      });
      const failed = read.find((r) => r.name === 'the driver misbehaves');
      expect.match(
        failed?.statusDetails?.message ?? '',
        /Expected VM 'win11-a' to bugcheck with 0xD6, because special pool/,
      );

      // A hook that throws: its container says so, and so does the scenario, with the hook's sentence.
      const containers = readdirSync(results)
        .filter((f) => f.endsWith('-container.json'))
        .map((f) => Container.parse(JSON.parse(readFileSync(join(results, f), 'utf8'))));
      const hooksOf = (name: string) => {
        const result = read.find((r) => r.name === name);
        expect.ok(result, `a result for '${name}'`);
        const around = containers.filter((c) => c.children.includes(result.uuid));
        return {
          result,
          befores: around.flatMap((c) => c.befores).map((f) => [f.name, f.status]),
          afters: around.flatMap((c) => c.afters).map((f) => [f.name, f.status]),
        };
      };
      const restore = hooksOf('a Before hook cannot restore the VM');
      expect.deepEqual(restore.befores, [['Restore the VM to its baseline', 'broken']]);
      expect.match(
        restore.result.statusDetails?.message ?? '',
        /^LabCompromisedError: VM 'win11-a' on host 'lab-01' never reported a healthy heartbeat within 5 min after its restore\./,
      );
      const baseline = hooksOf('a Before hook finds the baseline not met');
      expect.deepEqual(baseline.befores, [['Check the baseline', 'failed']]);
      expect.match(
        baseline.result.statusDetails?.message ?? '',
        /^AssertionError: Expected VM 'win11-a' to start without Driver Verifier, because its baseline checkpoint has no verifier settings, but verifier \/query lists myfault\.sys\./,
      );
      const teardown = hooksOf('an After hook cannot end the debugger session');
      expect.deepEqual(teardown.afters, [['End the debugger sessions', 'broken']]);
      expect.match(
        teardown.result.statusDetails?.message ?? '',
        /^LabCompromisedError: kd on VM 'win11-a' did not end within 10 s after 'q'\./,
      );
      // The steps say what ran: the hook that threw, then what it kept from running.
      expect.deepEqual(
        Steps.parse(restore.result.steps).map((st) => [st.name, st.status]),
        [
          ['Before hook: Restore the VM to its baseline', 'broken'],
          ['Then nothing goes wrong', 'skipped'],
        ],
      );
    } finally {
      rmSync(results, { recursive: true, force: true });
    }
  });
});
