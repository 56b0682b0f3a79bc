/**
 * `npm run test:engine`: the real PowerShell engine tier (lab/sim/pwsh/*.engine.test.ts) — all 24
 * operations, the Pester suite, the contract suite and the seed features through pwsh. Without a
 * pwsh it prints one line saying so and how to enable it, and passes — except under CI=true, where
 * a missing engine fails. Run it under the e2e lock: it runs the features and the contract suite.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pwshExecutable, standInModulePath } from './launch.js';

const pwsh = pwshExecutable();
const probe = spawnSync(
  pwsh,
  ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSVersion.ToString()'],
  {
    encoding: 'utf8',
    env: { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' },
  },
);
if (probe.status !== 0) {
  console.log(
    `pwsh engine tier did not run: no PowerShell at '${pwsh}' (run \`.ci/engines/pwsh.sh install\`, then set DRIVERLAB_PWSH and DRIVERLAB_PESTER as \`.ci/engines/pwsh.sh start\` prints them).`,
  );
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
const files = readdirSync(standInModulePath)
  .filter((f) => f.endsWith('.engine.test.ts'))
  .sort()
  .map((f) => join(standInModulePath, f));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(2), ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, DRIVERLAB_PWSH: pwsh },
  },
);
process.exit(result.status ?? 1);
