/**
 * How the embedded lab's processes start: `node <bundle>`, no shebang, no shell, so they run
 * wherever Node runs (Linux CI, a Windows laptop).
 *
 * The simulated lab host and the simulated debugger are TypeScript. Starting them through a
 * TypeScript loader costs ~0.4 s per process (measured: 0.54 s vs 0.14 s for plain node), and a
 * nightly run starts a debugger per scenario, so they run as esbuild bundles in dist/sim/, rebuilt
 * whenever a source they were built from is newer than the bundle.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type VirtualClock, virtualClock } from '../clock.js';
import { projectRoot } from '../paths.js';
import { writeAtomically } from '../util/files.js';
import type { ProcessCommand } from '../wiring.js';
import { embeddedShellIsPwsh, standInShellCommand } from './pwsh/launch.js';
import { TimeFile } from './shared-time.js';

/** The embedded lab's two processes: the simulated Hyper-V host and the simulated debugger. */
export type SimEntry = 'host' | 'kd';

const ENTRIES: Record<SimEntry, string> = {
  host: 'lab/sim/host/main.ts',
  kd: 'lab/sim/kd/main.ts',
};

const outDir = join(projectRoot, 'dist', 'sim');

/** esbuild, loaded only to build a bundle: every run's workers import this module, and a fresh bundle needs no esbuild (~0.1 s of CPU to load). */
const requireLazily = createRequire(import.meta.url);

function source(entry: SimEntry): string {
  return ENTRIES[entry];
}

function bundlePath(entry: SimEntry): string {
  return join(outDir, `${entry}.mjs`);
}

function inputsPath(entry: SimEntry): string {
  return join(outDir, `${entry}.inputs.json`);
}

/**
 * Whether `artifact` is there and newer than every source its inputs file lists; `sourcesOf` reads
 * the list from the file's JSON, or returns null when the artifact must be made again regardless.
 */
function builtAfterSources(
  artifact: string,
  inputsFile: string,
  sourcesOf: (inputs: unknown) => string[] | null,
): boolean {
  if (!existsSync(artifact) || !existsSync(inputsFile)) return false;
  let sources: string[] | null;
  try {
    sources = sourcesOf(JSON.parse(readFileSync(inputsFile, 'utf8')));
  } catch {
    return false;
  }
  if (!sources) return false;
  const built = statSync(artifact).mtimeMs;
  return sources.every((input) => {
    const path = resolve(projectRoot, input);
    return existsSync(path) && statSync(path).mtimeMs <= built;
  });
}

function isFresh(entry: SimEntry): boolean {
  return builtAfterSources(bundlePath(entry), inputsPath(entry), (inputs) => inputs as string[]);
}

/**
 * One esbuild bundle of `entry` for Node, in memory: its file's contents and the project sources it
 * was built from (this file among them: a change to how bundles are built rebuilds them).
 */
function buildForNode(
  entry: string,
  outfile: string,
  options: Pick<import('esbuild').BuildOptions, 'format' | 'sourcemap' | 'banner'>,
): { contents: Uint8Array; map: Uint8Array | null; sources: string[] } {
  const { buildSync } = requireLazily('esbuild') as typeof import('esbuild');
  const result = buildSync({
    entryPoints: [resolve(projectRoot, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    write: false,
    metafile: true,
    outfile,
    logLevel: 'silent',
    ...options,
  });
  const file = result.outputFiles.find((f) => f.path === outfile) ?? result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return {
    contents: file.contents,
    map: result.outputFiles.find((f) => f.path === `${outfile}.map`)?.contents ?? null,
    sources: [
      ...Object.keys(result.metafile.inputs).filter((i) => !i.includes('node_modules')),
      'lab/sim/launch.ts',
    ],
  };
}

/** Builds the bundle for `entry` when it is missing or older than any of its sources. */
export function ensureSimBundle(entry: SimEntry): string {
  const bundle = bundlePath(entry);
  if (isFresh(entry)) return bundle;
  mkdirSync(outDir, { recursive: true });
  const built = buildForNode(source(entry), bundle, {
    format: 'esm',
    // A linked map file costs nothing at start (node reads it only with --enable-source-maps, which
    // maps a simulator's stack trace back to TypeScript); an inline one is parsed by every start
    // (measured: 0.31 s vs 0.23 s for the debugger, which starts once per debugged scenario).
    sourcemap: 'linked',
    // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __driverlabRequire } from 'node:module'; const require = __driverlabRequire(import.meta.url);",
    },
  });
  // Each written whole, so a parallel worker never starts a half-written bundle; the inputs last,
  // since they make the bundle count as fresh.
  if (built.map) writeAtomically(`${bundle}.map`, built.map);
  writeAtomically(bundle, built.contents);
  writeAtomically(inputsPath(entry), JSON.stringify(built.sources));
  return bundle;
}

/** Where embedded lab hosts keep their VMs between host processes. */
export const embeddedStateDir = join(tmpdir(), 'driverlab-embedded');

/**
 * The command that starts the embedded lab host in place of pwsh, for one lab file and worker.
 *
 * Each call names a new state file (owned by this process, by pid) and the session's time file:
 * the host processes one lab session starts — the first, and any the adapter starts after a timeout or a crash — keep the
 * same simulated VMs in it.
 */
export function embeddedHostCommand(
  labFile: string,
  workerIndex: number,
  session: EmbeddedSession = embeddedSession(),
): ProcessCommand {
  const state = join(embeddedStateDir, `lab-${process.pid}-${randomBytes(6).toString('hex')}.json`);
  // DRIVERLAB_EMBEDDED_SHELL=pwsh: a real pwsh runs the scripts, the stand-in Hyper-V module answers.
  if (embeddedShellIsPwsh()) return standInShellCommand(labFile, state, process.env, session.timePath);
  return {
    file: process.execPath,
    leadingArgs: [
      ensureSimBundle('host'),
      `--lab=${labFile}`,
      `--worker=${workerIndex}`,
      `--state=${state}`,
      `--time=${session.timePath}`,
    ],
  };
}

/** One embedded lab session: the file of its shared lab time (lab/sim/shared-time.ts). */
export interface EmbeddedSession {
  timePath: string;
}

/** A new embedded lab session, owned by this process (by pid): its file is removed once it is gone. */
export function embeddedSession(): EmbeddedSession {
  return { timePath: join(embeddedStateDir, `lab-${process.pid}-${randomBytes(6).toString('hex')}.time`) };
}

/** The harness's clock for an embedded lab session: virtual lab time, shared with its host processes. */
export function embeddedLabClock(session: EmbeddedSession, wallBudgetMs: number): VirtualClock {
  return virtualClock({ store: new TimeFile(session.timePath), wallBudgetMs });
}

/**
 * The command that starts the simulated debugger in place of kd.exe; kd's own arguments follow.
 * From its startup snapshot where this Node can make one (a scenario of its own on a KDNET port
 * starts a debugger: ~0.105 s of CPU from the bundle, ~0.078 s from the snapshot, where Node's own
 * start is ~0.07 s), else from its bundle.
 */
export function embeddedDebuggerCommand(): ProcessCommand {
  const snapshot = ensureKdSnapshot();
  if (snapshot) return { file: process.execPath, leadingArgs: ['--snapshot-blob', snapshot, '--'] };
  return { file: process.execPath, leadingArgs: [ensureSimBundle('kd')] };
}

const KD_SNAPSHOT_ENTRY = 'lab/sim/kd/snapshot.ts';
const kdSnapshotScript = join(outDir, 'kd-snapshot.cjs');
const kdSnapshotBlob = join(outDir, 'kd.blob');
const kdSnapshotInputs = join(outDir, 'kd-snapshot.inputs.json');

/** Set when this Node could not make the snapshot: the bundle is used for the rest of the process. */
let kdSnapshotRefused = false;

interface SnapshotInputs {
  /** A snapshot runs only in the Node that made it. */
  node: string;
  execPath: string;
  sources: string[];
}

function kdSnapshotIsFresh(): boolean {
  return builtAfterSources(kdSnapshotBlob, kdSnapshotInputs, (value) => {
    const inputs = value as SnapshotInputs;
    return inputs.node === process.version && inputs.execPath === process.execPath ? inputs.sources : null;
  });
}

/**
 * The simulated debugger's startup snapshot (`node --build-snapshot` of lab/sim/kd/snapshot.ts),
 * made when missing, older than a source or made by another Node; null when this Node cannot make
 * one, and the bundle then starts the debugger as before.
 */
export function ensureKdSnapshot(): string | null {
  if (kdSnapshotRefused) return null;
  if (kdSnapshotIsFresh()) return kdSnapshotBlob;
  const temp = `${kdSnapshotBlob}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(outDir, { recursive: true });
    // A snapshot is made from one CommonJS script.
    const built = buildForNode(KD_SNAPSHOT_ENTRY, kdSnapshotScript, { format: 'cjs' });
    writeAtomically(kdSnapshotScript, built.contents);
    // The builder runs with none of this process's preloads: they would be part of the snapshot.
    const { NODE_OPTIONS: _preloads, ...env } = process.env;
    execFileSync(process.execPath, ['--snapshot-blob', temp, '--build-snapshot', kdSnapshotScript], {
      env,
      stdio: 'pipe',
      timeout: 120_000,
    });
    // Whole or not at all, for every worker that starts a debugger; the inputs last, since they make it fresh.
    renameSync(temp, kdSnapshotBlob);
    writeAtomically(
      kdSnapshotInputs,
      JSON.stringify({
        node: process.version,
        execPath: process.execPath,
        sources: built.sources,
      } satisfies SnapshotInputs),
    );
    return kdSnapshotBlob;
  } catch {
    rmSync(temp, { force: true });
    kdSnapshotRefused = true;
    return null;
  }
}
