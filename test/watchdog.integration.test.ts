/**
 * The scenario watchdog on the embedded lab: a scenario made to hang past its @budget is stopped
 * with an NMI, ends broken with the crash's !analyze -v attached, and the next scenario passes.
 */
import { equal, match, ok } from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { cucumberBin, paths } from '../lab/paths.js';
import { readAllureResults } from '../lab/report/allure-results.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-watchdog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a scenario that hangs past its budget is broken by the watchdog with the analysis, and the run goes on', async () => {
  const run = await execa(
    process.execPath,
    [cucumberBin(), '--config', 'test/fixtures/watchdog/cucumber.mjs'],
    {
      cwd: paths.root,
      env: { FIXTURE_RESULTS: dir, DRIVERLAB_LAB: '' },
      reject: false,
      // A debugger or host process left running would keep cucumber from exiting.
      timeout: 120_000,
    },
  );
  equal(run.timedOut, false, 'cucumber exited by itself: nothing of the lab was left running');
  const { results } = await readAllureResults(dir);
  const hung = results.find((r) => r.name === 'A driver that hangs past the budget');
  const next = results.find((r) => r.name === 'The next scenario runs as usual');
  equal(hung?.status, 'broken', run.stdout.slice(-3000));
  match(
    hung?.statusDetails?.message ?? '',
    /^LabCompromisedError: The scenario ran past its time budget of 10 min \(the scenario's last action: .*\), so the watchdog stopped it: VM 'win11-a' on host 'lab-01' was given a non-maskable interrupt and bugchecked \(0x80\); its !analyze -v from the (live debugger|dump) is attached; the VM is restored for the next scenario/,
  );
  equal(next?.status, 'passed', 'the run goes on');
  // The analysis is among the hung scenario's attachments.
  const texts = readdirSync(dir)
    .filter((f) => f.endsWith('-attachment.txt') || f.endsWith('.txt'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
  ok(
    texts.some((t) => /NMI_HARDWARE_FAILURE|BUGCHECK_CODE:\s+80|Bugcheck Analysis/.test(t)),
    'an !analyze -v of the NMI crash is attached',
  );
});
