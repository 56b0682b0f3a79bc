/**
 * The support code as one bundle (support/bundle.mjs): its files run in the order Cucumber would
 * import them, it is built again only when a file it was built from changed, and where it cannot
 * be built the run loads the files through tsx and says why. esbuild runs as a child process, hence
 * the integration tier. (That a run's bundle defines every step and hook where its sources do is
 * checked on the project's features in features.integration.test.ts.)
 */
import { deepStrictEqual, equal, match, notEqual, ok } from 'node:assert/strict';
import { mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { paths } from '../lab/paths.js';
import { ensureModuleBundle, ensureSupportBundle, loadModule, supportImports } from '../support/bundle.mjs';
import { captureIo } from './kits/cli/io.testkit.js';

const FIXTURE = 'test/fixtures/bundle';
let loads = 0;

/** Runs a bundle in this process; what its files recorded, in order. */
async function run(bundle: string): Promise<string[]> {
  const record = globalThis as { driverlabBundleOrder?: string[] };
  record.driverlabBundleOrder = undefined;
  loads += 1;
  await import(`${pathToFileURL(bundle).href}?load=${loads}`);
  return record.driverlabBundleOrder ?? [];
}

/** What `run` returned, and what was written to standard error meanwhile. */
async function stderrOf<T>(run: () => T | Promise<T>): Promise<{ value: T; said: string }> {
  let said = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    said += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const value = await run();
    return { value, said };
  } finally {
    process.stderr.write = write;
  }
}

/** What supportImports returned under `env`, and what it wrote to standard error meanwhile. */
async function imports(
  patterns: string[],
  env: Record<string, string> = {},
): Promise<{ list: string[]; said: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const { value, said } = await stderrOf(() => supportImports(patterns));
    return { list: value, said };
  } finally {
    process.env = saved;
  }
}

describe('the support code as one bundle', () => {
  const scratch = join(paths.root, '.tmp', `bundle-test-${process.pid}`);
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('a folder pattern runs its files in sorted order; named files run in the order named', async () => {
    deepStrictEqual(await run(ensureSupportBundle([`${FIXTURE}/**/*.ts`])), ['first', 'second']);
    deepStrictEqual(await run(ensureSupportBundle([`${FIXTURE}/second.ts`, `${FIXTURE}/first.ts`])), [
      'second',
      'first',
    ]);
  });

  test('the bundle is kept while no file it was built from is newer, and built again when one is', () => {
    const patterns = [`${FIXTURE}/first.ts`];
    const bundle = ensureSupportBundle(patterns);
    const built = statSync(bundle).mtimeMs;
    equal(ensureSupportBundle(patterns), bundle);
    equal(statSync(bundle).mtimeMs, built, 'a fresh bundle was built again');
    // The shared module changes (a file the pattern does not name, which the bundle includes).
    const order = join(paths.root, FIXTURE, 'order.ts');
    const later = new Date(built + 5_000);
    const before = statSync(order);
    utimesSync(order, later, later);
    try {
      equal(ensureSupportBundle(patterns), bundle);
      notEqual(statSync(bundle).mtimeMs, built, 'a stale bundle was kept');
    } finally {
      utimesSync(order, before.atime, before.mtime);
    }
  });

  test("a module's bundle keeps its exports: the command line's main, run from dist/cli/", async () => {
    const bundle = ensureModuleBundle('lab/cli/main.ts', 'cli');
    equal(bundle, join(paths.root, 'dist', 'cli', 'main.mjs'));
    const cli = (await import(pathToFileURL(bundle).href)) as typeof import('../lab/cli/main.js');
    const io = captureIo();
    equal(await cli.main(['--help'], io), 0);
    match(io.out, /^Usage: driverlab <command> \[options\]/);
  });

  test('the preflight from its bundle and from its sources finds the same problems at the same lines', async () => {
    const request = JSON.stringify({ profile: 'hyperv', names: [], lab: 'lab/labs/example-hyperv.yaml' });
    const preflight = async (support: string) => {
      const child = await execa(process.execPath, ['support/preflight-launch.mjs', request], {
        cwd: paths.root,
        env: {
          DRIVERLAB_SUPPORT: support,
          DRIVERLAB_PATHS: JSON.stringify(['test/fixtures/preflight/three-problems.feature']),
        },
        reject: false,
      });
      equal(child.exitCode, 0, child.stderr);
      equal(child.stderr, '');
      return JSON.parse(child.stdout) as { selected: number; problems: { line: number; message: string }[] };
    };
    const [bundled, sources] = await Promise.all([preflight(''), preflight('sources')]);
    deepStrictEqual(bundled, sources);
    deepStrictEqual(
      bundled.problems.map((p) => p.line),
      [6, 7, 8],
    );
  });

  test('a module esbuild cannot bundle runs from its sources through tsx, and a sentence says why', async () => {
    mkdirSync(scratch, { recursive: true });
    // tsx runs it (the missing module is only imported when asked for); esbuild refuses to bundle it.
    writeFileSync(
      join(scratch, 'later.ts'),
      "export const ready = 1;\nexport const later = () => import('./missing.js');\n",
    );
    const { value: loaded, said } = await stderrOf(() =>
      loadModule(`.tmp/bundle-test-${process.pid}/later.ts`, `bundle-test-${process.pid}`, 'the module'),
    );
    equal(loaded.ready, 1);
    ok(
      said.startsWith(
        'driverlab: the module runs from its sources through tsx, because it could not be bundled (',
      ),
      said,
    );
    match(said, /later\.ts:2: Could not resolve "\.\/missing\.js"/);
    rmSync(join(paths.root, 'dist', `bundle-test-${process.pid}`), { recursive: true, force: true });
  });

  test('a run imports the source maps first, then the bundle', async () => {
    const { list, said } = await imports([`${FIXTURE}/**/*.ts`]);
    equal(said, '');
    equal(list.length, 2);
    equal(list[0], 'support/source-maps.mjs');
    match(list[1] ?? '', /^dist\/support\/support-[0-9a-f]{12}\.mjs$/);
  });

  test('DRIVERLAB_SUPPORT=sources loads the files through tsx, silently', async () => {
    const { list, said } = await imports([`${FIXTURE}/**/*.ts`], { DRIVERLAB_SUPPORT: 'sources' });
    deepStrictEqual(list, ['support/tsx-register.js', `${FIXTURE}/**/*.ts`]);
    equal(said, '');
  });

  test('a pattern the bundle cannot read: the files through tsx, and a sentence that says why', async () => {
    const { list, said } = await imports([`${FIXTURE}/*.ts`]);
    deepStrictEqual(list, ['support/tsx-register.js', `${FIXTURE}/*.ts`]);
    equal(
      said,
      `driverlab: the support code is loaded from its sources through tsx, because it could not be bundled (the support pattern '${FIXTURE}/*.ts' is not of a form the bundle reads).\n`,
    );
  });

  test('a file esbuild cannot read: the files through tsx, where Cucumber reports it as always', async () => {
    mkdirSync(scratch, { recursive: true });
    writeFileSync(join(scratch, 'broken.ts'), 'export const x = ;\n');
    const pattern = `.tmp/bundle-test-${process.pid}/**/*.ts`;
    const { list, said } = await imports([pattern]);
    deepStrictEqual(list, ['support/tsx-register.js', pattern]);
    ok(said.startsWith('driverlab: the support code is loaded from its sources through tsx, because'), said);
    match(said, /broken\.ts|Unexpected/);
  });
});
