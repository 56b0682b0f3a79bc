// What a run's Cucumber imports as its support code: the TypeScript support and step files as one
// ES module (dist/support/support-<key>.mjs), built with esbuild whenever a file it was built from
// is newer, or, when it cannot be built, the files themselves through tsx.
//
// Through tsx every process of a run (the coordinator and each worker) sends each of ~140 modules
// through the TypeScript loader's hooks: measured on a 2-core machine, a dry run over the features
// took 1.3 s (1.7 s of CPU) that way and 0.8 s (0.9 s) from the bundle, and the 21 seed scenarios
// with two workers 5.1 s (7.9 s of CPU) and 3.7 s (5.8 s). See docs/adr/0001-tsx-and-typescript-7.md.
//
// The bundle is loaded after support/source-maps.mjs, so stack traces, and the places Cucumber
// reports step definitions at, name the TypeScript files and lines (support/catalog.ts).
// DRIVERLAB_SUPPORT=sources asks for the files themselves: a process that imports support modules
// of its own next to Cucumber's (the preflight, the step catalog) must share their instances.
// Plain JavaScript: cucumber.mjs loads it before any TypeScript loader is set up.
import { createHash, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// esbuild is loaded only to build a bundle (~0.1 s of CPU per process otherwise: the coordinator
// and every worker read this file, and the bundles are nearly always fresh).
const requireLazily = createRequire(import.meta.url);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'support');
const TS_LOADER = 'support/tsx-register.js';
const SOURCE_MAPS = 'support/source-maps.mjs';
/**
 * What a support bundle exports, by the file that defines it (when the bundle holds that file):
 * the preflight (support/preflight-run.ts) checks steps against the record these very modules
 * keep, so it takes them from the bundle Cucumber loaded, not from copies of its own.
 */
const SUPPORT_EXPORTS = {
  'support/preflight.ts': ['stepProblems'],
  'support/fixtures.ts': ['openLabFile'],
  'support/runtime.ts': ['labFilePath'],
};

/** The name esbuild gives the generated entry (not a file). */
const ENTRY = 'driverlab-support-entry.ts';
/** The form of pattern this module expands itself: a folder, every file below it with one extension. */
const TREE = /^([\w./-]+)\/\*\*\/\*\.(\w+)$/;

/**
 * Cucumber's `import` list for the support files `patterns` name (relative to the project root, as
 * cucumber.mjs writes them): the bundle of them, or, with DRIVERLAB_SUPPORT=sources or when they
 * cannot be bundled (a pattern of another form, a file esbuild cannot read), the tsx loader and the
 * patterns, so that Cucumber itself reports what is wrong with a file as it always has.
 */
export function supportImports(patterns) {
  const sources = [TS_LOADER, ...patterns];
  if (process.env.DRIVERLAB_SUPPORT === 'sources') return sources;
  try {
    return [SOURCE_MAPS, relative(root, ensureSupportBundle(patterns)).split(sep).join('/')];
  } catch (error) {
    const why = whyNotBundled(error);
    process.stderr.write(
      `driverlab: the support code is loaded from its sources through tsx, because it could not be bundled (${why}).\n`,
    );
    return sources;
  }
}

/** Why a bundle could not be built, in a line: esbuild's first error at its file and line, or the error's message. */
function whyNotBundled(error) {
  const first = error?.errors?.[0];
  if (first?.text) {
    const at = first.location ? `${first.location.file}:${first.location.line}: ` : '';
    return `${at}${first.text}`;
  }
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** The files `patterns` name, in the order Cucumber imports them: pattern by pattern, each one's sorted, each file once. */
export function supportFiles(patterns) {
  const seen = new Set();
  const files = [];
  for (const pattern of patterns) {
    const tree = TREE.exec(pattern);
    let matched;
    if (tree) matched = walk(join(root, tree[1]), `.${tree[2]}`);
    else if (!/[*?[\]{}]/.test(pattern) && existsSync(join(root, pattern))) matched = [join(root, pattern)];
    else throw new Error(`the support pattern '${pattern}' is not of a form the bundle reads`);
    for (const file of matched.sort()) {
      if (seen.has(file)) continue;
      seen.add(file);
      files.push(file);
    }
  }
  return files;
}

function walk(dir, extension) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...walk(full, extension));
    else if (entry.name.endsWith(extension)) found.push(full);
  }
  return found;
}

/** A support bundle's file: dist/support/support-<key>.mjs. */
const SUPPORT_BUNDLE = /(^|[\\/])dist[\\/]support[\\/]support-[0-9a-f]{12}\.mjs$/;

/** Whether `path` (one of Cucumber's import paths) is a support bundle this module built. */
export function isSupportBundle(path) {
  return SUPPORT_BUNDLE.test(path);
}

/** Builds the bundle of `patterns` when it is missing or older than a file it was built from; its path. */
export function ensureSupportBundle(patterns) {
  const files = supportFiles(patterns);
  const key = createHash('sha256')
    .update(JSON.stringify(files.map((f) => relative(root, f))))
    .digest('hex')
    .slice(0, 12);
  return ensureBundle(join(outDir, `support-${key}.mjs`), {
    stdin: {
      contents: files
        .flatMap((f) => {
          const names = SUPPORT_EXPORTS[relative(root, f).split(sep).join('/')];
          return [
            `import ${JSON.stringify(f)};`,
            ...(names ? [`export { ${names.join(', ')} } from ${JSON.stringify(f)};`] : []),
          ];
        })
        .join('\n'),
      resolveDir: root,
      sourcefile: ENTRY,
      loader: 'ts',
    },
  });
}

/**
 * The module `entry` (a TypeScript file, relative to the project root) as one bundle in dist/,
 * with its exports, built when missing or older than a file it was built from: bin/driverlab.js
 * runs the command line from one (lab/cli/main.ts: 0.55 s and 0.6 s of CPU to print its help,
 * against 1.0 s and 1.5 s through tsx).
 */
export function ensureModuleBundle(entry, name) {
  return ensureBundle(join(root, 'dist', name, `${basename(entry).replace(/\.ts$/, '')}.mjs`), {
    entryPoints: [join(root, entry)],
  });
}

/**
 * The module `entry` (a TypeScript file, relative to the project root), loaded from its bundle in
 * dist/<name>/ with source maps on; with DRIVERLAB_SUPPORT=sources, or where the bundle cannot be
 * built (said in a line that names `what`), from its sources through tsx. The command line
 * (bin/driverlab.js) and the preflight (support/preflight-launch.mjs) start this way.
 */
export async function loadModule(entry, name, what) {
  if (process.env.DRIVERLAB_SUPPORT !== 'sources') {
    let bundle;
    try {
      bundle = ensureModuleBundle(entry, name);
    } catch (error) {
      process.stderr.write(
        `driverlab: ${what} runs from its sources through tsx, because it could not be bundled (${whyNotBundled(error)}).\n`,
      );
    }
    if (bundle) {
      process.setSourceMapsEnabled(true);
      return import(pathToFileURL(bundle).href);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(root, entry)).href);
}

function ensureBundle(bundle, source) {
  const inputsFile = `${bundle}.inputs.json`;
  if (isFresh(bundle, inputsFile)) return bundle;
  const { buildSync } = requireLazily('esbuild');
  const result = buildSync({
    ...source,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Cucumber, Allure, zod and the rest stay packages: the step definitions must reach the very
    // @cucumber/cucumber the runner loaded.
    packages: 'external',
    sourcemap: 'linked',
    outfile: bundle,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  // This file is an input too: a change to how bundles are built rebuilds them.
  const inputs = [
    ...Object.keys(result.metafile.inputs).filter((i) => i !== ENTRY && !i.includes('node_modules')),
    'support/bundle.mjs',
  ];
  mkdirSync(dirname(bundle), { recursive: true });
  // Each file whole (a parallel run never loads half a bundle); the inputs last, since they make it fresh.
  const map = result.outputFiles.find((f) => f.path === `${bundle}.map`);
  const code = result.outputFiles.find((f) => f.path === bundle);
  if (!code) throw new Error('esbuild wrote no bundle');
  if (map) writeWhole(`${bundle}.map`, map.contents);
  writeWhole(bundle, code.contents);
  writeWhole(inputsFile, JSON.stringify(inputs));
  return bundle;
}

function isFresh(bundle, inputsFile) {
  if (!existsSync(bundle) || !existsSync(inputsFile)) return false;
  const built = statSync(bundle).mtimeMs;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  } catch {
    return false;
  }
  return (
    Array.isArray(inputs) &&
    inputs.every((input) => {
      const path = resolve(root, input);
      return existsSync(path) && statSync(path).mtimeMs <= built;
    })
  );
}

function writeWhole(path, contents) {
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    writeFileSync(temp, contents);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
