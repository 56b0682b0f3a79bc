// Runs every unit test (*.test.ts under lab/, support/, steps/, scripts/, bench/, test/) with node's
// test runner and tsx. Node 20's --test takes no glob, so the files are found here.
// Usage: node scripts/unit-tests.mjs [path-substring …]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dirs = ['lab', 'support', 'steps', 'scripts', 'bench', 'test'];

function* walk(dir) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    // Real-engine tests (*.engine.test.ts) are a tier of their own: npm run test:engine.
    else if (name.endsWith('.test.ts') && !name.endsWith('.engine.test.ts')) yield full;
  }
}

const filters = process.argv.slice(2);
const files = dirs
  .flatMap((d) => [...walk(join(root, d))])
  .map((f) => relative(root, f).split(sep).join('/'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`No unit test files match ${filters.length ? filters.join(', ') : 'the project'}.`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
