// Runs the test files of one tier with node's test runner and tsx (Node 20's --test takes no glob,
// so the files are found here). The tiers (docs/conventions.md):
//   unit         *.test.ts              in-process: no child process, no socket, no real sleep
//   integration  *.integration.test.ts  child processes, sockets, Cucumber runs; then the lab contract suite
//   engines      *.engine.test.ts       real engines (PostgreSQL, Chromium, pwsh), found through env vars
//   fuzz         the unit files that take the fuzz budget, with DRIVERLAB_FUZZ_RUNS (default 10000)
// Usage: node scripts/tests.mjs [--tier=unit|integration|engines|fuzz] [path-substring …]
// With substrings and no --tier, the matching files of every tier run (a targeted run), each in
// its own process. DRIVERLAB_TEST_REPORTER picks node's reporter (default: dot, spec when targeted).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dirs = ['lab', 'support', 'steps', 'scripts', 'bench', 'test'];
const TIERS = ['unit', 'integration', 'engines', 'fuzz'];

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
    else if (name.endsWith('.test.ts')) yield full;
  }
}

/** The tier a test file belongs to, by its name. */
function tierOf(file) {
  if (file.endsWith('.integration.test.ts')) return 'integration';
  if (file.endsWith('.engine.test.ts')) return 'engines';
  return 'unit';
}

const args = process.argv.slice(2);
const tierArg = args.find((a) => a.startsWith('--tier='))?.slice('--tier='.length);
const filters = args.filter((a) => !a.startsWith('--'));
if (tierArg !== undefined && !TIERS.includes(tierArg)) {
  console.error(`There is no test tier '${tierArg}'; give one of ${TIERS.join(', ')}.`);
  process.exit(2);
}
const tier = tierArg ?? (filters.length > 0 ? undefined : 'unit');

const all = dirs
  .flatMap((d) => [...walk(join(root, d))])
  .map((f) => relative(root, f).split(sep).join('/'))
  .sort();
const files = all
  .filter((f) => {
    if (tier === undefined) return true;
    if (tier === 'fuzz')
      return tierOf(f) === 'unit' && readFileSync(join(root, f), 'utf8').includes('fuzz.testkit');
    return tierOf(f) === tier;
  })
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

const env = { ...process.env };
if (tier === 'fuzz') env.DRIVERLAB_FUZZ_RUNS = process.env.DRIVERLAB_FUZZ_RUNS || '10000';

let status = 0;
if (files.length === 0) {
  if (tier === 'engines') console.log('tier engines: no *.engine.test.ts file yet; nothing to run.');
  else if (filters.length > 0 || tier !== 'integration') {
    console.error(
      `No ${tier ?? ''} test files match ${filters.length ? filters.join(', ') : 'the project'}.`,
    );
    process.exit(1);
  }
} else {
  const reporter = process.env.DRIVERLAB_TEST_REPORTER ?? (filters.length > 0 ? 'spec' : 'dot');
  // Unit and fuzz files are in-process tests: they share one process (scripts/test-entry.mjs),
  // unless DRIVERLAB_TEST_ISOLATION=process asks for a process per file. Integration and engine
  // files get a process each, two at a time (DRIVERLAB_TEST_CONCURRENCY): each starts embedded labs
  // and debuggers of its own on ports chosen free, writes to folders of its own, and much of a
  // file's time is spent waiting on its children, so two files share this machine's two cores.
  const shared = (tier === 'unit' || tier === 'fuzz') && process.env.DRIVERLAB_TEST_ISOLATION !== 'process';
  const result = shared
    ? spawnSync(
        process.execPath,
        ['--import', 'tsx', `--test-reporter=${reporter}`, 'scripts/test-entry.mjs'],
        {
          cwd: root,
          stdio: 'inherit',
          env: { ...env, DRIVERLAB_TEST_FILES: JSON.stringify(files) },
        },
      )
    : spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--test',
          `--test-concurrency=${process.env.DRIVERLAB_TEST_CONCURRENCY || (tier === 'integration' ? '2' : '1')}`,
          `--test-reporter=${reporter}`,
          ...files,
        ],
        { cwd: root, stdio: 'inherit', env },
      );
  status = result.status ?? 1;
}
// The lab contract suite belongs to the integration tier (it starts the embedded host).
if (tier === 'integration' && filters.length === 0) {
  const contract = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'lab/contract/run.ts', '--test-reporter=dot'],
    {
      cwd: root,
      stdio: 'inherit',
      env,
    },
  );
  if ((contract.status ?? 1) !== 0) status = status || 1;
}
process.exit(status);
