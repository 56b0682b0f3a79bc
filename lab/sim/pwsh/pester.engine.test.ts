/**
 * The Pester suite (lab/sim/pwsh/tests/): every operation script's error paths in a real pwsh under
 * Set-StrictMode -Version Latest. The scripts are built here by the adapter's own builder and
 * written to a folder the suite reads; Pester 5 comes from NuGet (.ci/engines/pwsh.sh: DRIVERLAB_PESTER).
 * Without pwsh or Pester the tier says so in one line — and fails under CI=true.
 */
import { strict as expect } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { exampleParams } from '../../../test/kits/hyperv/script.testkit.js';
import { operationNames, operations } from '../../hyperv/ops/operations.js';
import { buildScript } from '../../hyperv/script.js';
import { projectRoot } from '../../paths.js';
import { pwshExecutable, standInModulePath } from './launch.js';

const pester = process.env.DRIVERLAB_PESTER ?? join(projectRoot, '.tools', 'pester', '5.7.1');
const pwsh = pwshExecutable();
const env = {
  ...process.env,
  POWERSHELL_TELEMETRY_OPTOUT: '1',
  POWERSHELL_UPDATECHECK: 'Off',
  TERM: 'dumb',
  NO_COLOR: '1',
};
const probe = spawnSync(
  pwsh,
  ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSEdition'],
  {
    env,
    encoding: 'utf8',
  },
);
const ready = probe.status === 0 && existsSync(join(pester, 'Pester.psd1'));
if (!ready) {
  const line = `Pester tier did not run: ${probe.status === 0 ? `no Pester at ${pester}` : 'no PowerShell found'} (run \`.ci/engines/pwsh.sh install\` and set DRIVERLAB_PWSH and DRIVERLAB_PESTER from \`.ci/engines/pwsh.sh start\`).`;
  if (process.env.CI === 'true') throw new Error(`${line} Under CI=true this tier must run.`);
  console.log(line);
}

describe('the Pester suite of the operation scripts', { skip: !ready }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'driverlab-pester-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes: every error path of every operation', () => {
    for (const name of operationNames) {
      writeFileSync(join(dir, `${name}.ps1`), buildScript(name, exampleParams(name)));
    }
    const shutdown = operations['Stop-VM'].params.parse({
      vmName: 'win11-a',
      turnOff: false,
      forceSeconds: 1,
    });
    writeFileSync(join(dir, 'Stop-VM.shutdown.ps1'), buildScript('Stop-VM', shutdown));
    const remote = { computerName: 'hv-02', credential: { user: 'LAB\\runner', password: 'host-secret-1' } };
    const getVm = operations['Get-VM'].params.parse({ vmName: 'win11-a' });
    writeFileSync(join(dir, 'Get-VM.remote.ps1'), buildScript('Get-VM', getVm, remote));
    const command = [
      "$ErrorActionPreference = 'Stop'",
      `Import-Module '${join(pester, 'Pester.psd1')}'`,
      '$c = New-PesterConfiguration',
      `$c.Run.Path = '${join(standInModulePath, 'tests')}'`,
      '$c.Run.Exit = $true',
      "$c.Output.Verbosity = 'Detailed'",
      'Invoke-Pester -Configuration $c',
    ].join('; ');
    const r = spawnSync(pwsh, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', command], {
      env: { ...env, DRIVERLAB_OPS_DIR: dir },
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const summary = /Tests Passed: (\d+), Failed: (\d+)/.exec(r.stdout);
    expect.equal(summary?.[2], '0');
    // Every operation's not-found path, the state, checkpoint, PowerShell Direct, non-terminating,
    // shutdown-bound and remote-session cases: 47 tests.
    expect.equal(Number(summary?.[1]), 47, r.stdout);
  });
});
