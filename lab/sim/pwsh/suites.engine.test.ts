/**
 * The contract suite and the nine seed features with a real pwsh as the embedded lab's host shell
 * (DRIVERLAB_EMBEDDED_SHELL=pwsh): every operation they send runs in PowerShell, the stand-in
 * Hyper-V module answers from the model. Like every run of the features or the contract suite, it
 * must run under the e2e lock (`flock /tmp/dl-e2e.lock …` around npm test or this file).
 *
 * A pwsh round trip costs ~100 ms of wall time where the Node host costs ~5 ms; the embedded lab's
 * time is virtual (docs/adr/0004-virtual-lab-time.md), so that costs no lab time and changes no
 * outcome: the suite runs on the embedded lab file as it is.
 */
import { strict as expect } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { paths, projectRoot } from '../../paths.js';
import { pwshExecutable } from './launch.js';

const pwsh = pwshExecutable();
const probe = spawnSync(
  pwsh,
  ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSEdition'],
  {
    encoding: 'utf8',
    env: { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' },
  },
);
if (probe.status !== 0) {
  const line =
    'pwsh contract and feature tier did not run: no PowerShell found (set DRIVERLAB_PWSH, or run `.ci/engines/pwsh.sh install` and `.ci/engines/pwsh.sh start`).';
  if (process.env.CI === 'true') throw new Error(`${line} Under CI=true this tier must run.`);
  console.log(line);
}

// NODE_TEST_CONTEXT would make the contract suite's own test run report to this one instead of running.
const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
const env = { ...inherited, DRIVERLAB_EMBEDDED_SHELL: 'pwsh', DRIVERLAB_PWSH: pwsh };

describe('the contract suite and the seed features through pwsh', { skip: probe.status !== 0 }, () => {
  it('passes the contract suite', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'lab', 'contract', 'run.ts'), '--test-reporter=tap'],
      {
        cwd: projectRoot,
        env: { ...env, DRIVERLAB_LAB: paths.embeddedLab },
        encoding: 'utf8',
        timeout: 900_000,
      },
    );
    expect.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    expect.match(r.stdout, /^# fail 0$/m);
    const passed = Number(/^# pass (\d+)$/m.exec(r.stdout)?.[1] ?? 0);
    expect.ok(passed >= 20, `only ${passed} contract tests ran:\n${r.stdout}`);
  });

  it('passes the nine seed features', () => {
    const trace = join(paths.embeddedLab, '..', `.pwsh-engine-${process.pid}.trace`);
    rmSync(trace, { force: true });
    const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'driverlab.js'), 'run', '--no-report'], {
      cwd: projectRoot,
      env: { ...env, DRIVERLAB_STANDIN_TRACE: trace },
      encoding: 'utf8',
      timeout: 1_200_000,
    });
    expect.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    expect.match(r.stdout, /driverlab: (\d+) scenarios: \1 passed, 0 failed, 0 broken/);
    // The stand-in answered the runs' operations: they went through a real pwsh.
    const calls = readFileSync(trace, 'utf8').split('\n');
    rmSync(trace, { force: true });
    expect.ok(
      calls.includes('guest Invoke-GuestCommand') && calls.includes('restore'),
      calls.slice(0, 20).join('\n'),
    );
  });
});
