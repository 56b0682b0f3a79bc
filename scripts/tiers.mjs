// `npm test` and `.ci/run`: every tier in order — lint, typecheck, layout, unit, integration,
// features, engines — each timed ("tier unit: 41.2 s"), all run even when one fails, then one line
// per tier; the exit code is 1 when any tier failed.
// Usage: node scripts/tiers.mjs [tier …]   (default: all of them, in this order)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const node = process.execPath;

/** Each tier: the command that runs it. */
const TIERS = {
  lint: [npx, ['biome', 'check', '.']],
  typecheck: [npx, ['tsc', '-p', '.']],
  layout: [node, ['--import', 'tsx', 'scripts/check-layout.ts']],
  unit: [node, ['scripts/tests.mjs', '--tier=unit']],
  integration: [node, ['scripts/tests.mjs', '--tier=integration']],
  features: [node, ['bin/driverlab.js', 'run', '--no-report']],
  engines: [node, ['scripts/tests.mjs', '--tier=engines']],
};

const asked = process.argv.slice(2);
const unknown = asked.filter((t) => !(t in TIERS));
if (unknown.length > 0) {
  console.error(
    `There is no tier ${unknown.map((t) => `'${t}'`).join(', ')}; give some of ${Object.keys(TIERS).join(', ')}.`,
  );
  process.exit(2);
}
const chosen = asked.length > 0 ? asked : Object.keys(TIERS);

const results = [];
for (const tier of chosen) {
  const [command, args] = TIERS[tier];
  console.log(`\n== tier ${tier}`);
  const started = performance.now();
  const run = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  const seconds = (performance.now() - started) / 1000;
  const passed = run.status === 0;
  results.push({ tier, seconds, passed });
  console.log(`tier ${tier}: ${seconds.toFixed(1)} s${passed ? '' : ' (failed)'}`);
}

console.log('');
for (const { tier, seconds, passed } of results) {
  console.log(`tier ${tier}: ${seconds.toFixed(1)} s${passed ? '' : ' (failed)'}`);
}
const failed = results.filter((r) => !r.passed).map((r) => r.tier);
if (failed.length > 0) {
  console.log(`${failed.length} of ${results.length} tiers failed: ${failed.join(', ')}.`);
  process.exit(1);
}
console.log(`All ${results.length} tiers passed.`);
