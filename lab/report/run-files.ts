/**
 * The files a run leaves, honest at every moment: each run writes into a folder of its own
 * (`reports/runs/<id>/`), and publishes to the top of `reports/` only whole files (a temporary
 * file renamed over the old one) and whole folders (a fresh folder swapped in). `summary.json`
 * says `running` from the start, and the outcome with its counts at the end.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { writeAtomically } from '../util/files.js';
import { withLock } from '../util/lock.js';
import type { AllureResult, RunSummary } from './allure-results.js';

export const RunStatus = z.enum(['running', 'passed', 'failed', 'broken', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatus>;

/** What `reports/summary.json` holds; read back through this schema. */
export const SummaryFile = z
  .object({
    status: RunStatus,
    runId: z.string(),
    /** The run's own folder, relative to the project root. */
    runDir: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    profile: z.string(),
    lab: z.string(),
    total: z.number().int().nonnegative(),
    passed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    broken: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    unknown: z.number().int().nonnegative(),
    /** The scenarios the run selected. */
    selected: z.number().int().nonnegative().optional(),
    /** Selected scenarios that never ran (an interrupted run). */
    neverRan: z.number().int().nonnegative().optional(),
    cucumberExitCode: z.number().int().nullable().optional(),
  })
  .loose();
export type SummaryFile = z.infer<typeof SummaryFile>;

/** The outcome of a finished run, from its counts: the worst thing that happened wins. */
export function outcomeOf(summary: RunSummary, interrupted: boolean): Exclude<RunStatus, 'running'> {
  if (interrupted) return 'interrupted';
  if (summary.broken + summary.unknown > 0) return 'broken';
  if (summary.failed > 0) return 'failed';
  return 'passed';
}

/** Writes summary.json whole (readers never see half of it). */
export function writeSummaryFile(path: string, summary: SummaryFile): void {
  writeAtomically(path, `${JSON.stringify(SummaryFile.parse(summary), null, 2)}\n`);
}

/** Reads a summary.json, or null when there is none or it is not one. */
export async function readSummaryFile(path: string): Promise<SummaryFile | null> {
  try {
    return SummaryFile.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return null;
  }
}

/** A run id that sorts by start time and names its process: `20261207T014012Z-12345`. */
export function newRunId(now: Date = new Date(), pid: number = process.pid): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${pid}`;
}

/** Copies a file to `to` whole: into a temporary file beside it, then renamed over it. */
export async function publishFile(from: string, to: string): Promise<void> {
  const temp = `${to}.${process.pid}.tmp`;
  await cp(from, temp);
  await rename(temp, to);
}

/**
 * Puts a fresh copy of `from` at `to` as a whole: copied beside it, then swapped in by renames, so
 * `to` is always either the old folder or the new one, never a mix.
 */
export async function publishFolder(from: string, to: string): Promise<void> {
  const fresh = `${to}.${process.pid}.new`;
  await rm(fresh, { recursive: true, force: true });
  await cp(from, fresh, { recursive: true });
  await swapFolder(fresh, to);
}

/** Moves the folder `fresh` to `to`, replacing what was there. */
export async function swapFolder(fresh: string, to: string): Promise<void> {
  const old = `${to}.${process.pid}.old`;
  await rm(old, { recursive: true, force: true });
  if (existsSync(to)) await rename(to, old);
  await rename(fresh, to);
  await rm(old, { recursive: true, force: true });
}

/** Keeps the newest `keep` run folders under `runsDir` (by name, which sorts by start) and removes the rest. */
export async function prunePastRuns(
  runsDir: string,
  keep: number,
  spare: readonly string[] = [],
): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(runsDir)).sort();
  } catch {
    return [];
  }
  const folders: string[] = [];
  for (const name of names) {
    if ((await stat(join(runsDir, name))).isDirectory()) folders.push(name);
  }
  const removed = folders.slice(0, Math.max(0, folders.length - keep)).filter((n) => !spare.includes(n));
  for (const name of removed) await rm(join(runsDir, name), { recursive: true, force: true });
  return removed;
}

/** The name a run's private temp folder starts with, before the run's pid. */
export const RUN_TMP_PREFIX = 'driverlab-run-';

/** Removes the temp folders of runs whose process is gone (a run killed at once cannot remove its own). */
export async function removeTempFoldersOfGoneRuns(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = new RegExp(`^${RUN_TMP_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
        await rm(join(dir, name), { recursive: true, force: true }).catch(() => {});
      }
    }
  }
}

/** Reads the number of test cases (selected scenarios) from a Cucumber message stream, even one cut short. */
export async function countSelected(messagesFile: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(messagesFile, 'utf8');
  } catch {
    return null;
  }
  // Cucumber writes every parsed pickle, then one test case per pickle the selection keeps.
  let testCases = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('{"testCase":')) testCases += 1;
  }
  return testCases;
}

/** True when a JUnit file is a whole XML document (Cucumber writes it only when the run ends). */
export async function isWholeJunit(file: string): Promise<boolean> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text.startsWith('<?xml') && /<\/testsuites?>$/.test(text);
  } catch {
    return false;
  }
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text as XML character data: markup escaped, and characters XML 1.0 cannot hold shown as \u escapes. */
export function xmlText(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c)
    .replace(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 forbids
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
}

/**
 * A JUnit document built from the Allure results, for a run Cucumber could not finish (its own
 * junit.xml is written only at the end): every scenario that ran, and one entry saying how many
 * never ran.
 */
export function junitFromResults(results: readonly AllureResult[], neverRan: number, note: string): string {
  const cases = results.map((r) => {
    const seconds = r.start !== undefined && r.stop !== undefined ? (r.stop - r.start) / 1000 : 0;
    const suite = r.labels.find((l) => l.name === 'feature')?.value ?? 'driverlab';
    const open = `    <testcase classname="${xmlText(suite)}" name="${xmlText(r.name)}" time="${seconds.toFixed(3)}"`;
    const message = xmlText(r.statusDetails?.message ?? '');
    switch (r.status) {
      case 'passed':
        return `${open}/>`;
      case 'failed':
        return `${open}>\n      <failure message="${message}" type="failed"/>\n    </testcase>`;
      case 'skipped':
        return `${open}>\n      <skipped/>\n    </testcase>`;
      default:
        return `${open}>\n      <error message="${message}" type="${r.status ?? 'unknown'}"/>\n    </testcase>`;
    }
  });
  const failures = results.filter((r) => r.status === 'failed').length;
  const errors = results.filter((r) => r.status === 'broken' || r.status === 'unknown' || !r.status).length;
  const skipped = results.filter((r) => r.status === 'skipped').length + neverRan;
  if (neverRan > 0) {
    cases.push(
      `    <testcase classname="driverlab" name="${xmlText(`${neverRan} scenario${neverRan === 1 ? '' : 's'} never ran`)}" time="0">\n      <skipped message="${xmlText(note)}"/>\n    </testcase>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="driverlab" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">
${cases.join('\n')}
</testsuite>
`;
}

/** Makes sure a folder exists. */
export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}

/**
 * Runs `work` holding the lock of reports/'s top-level files (summary.json, junit.xml,
 * allure-results/, the report, the gate's files): a run holds it while it publishes them and
 * `driverlab report` while it reads them, so two runs in one clone never leave or read a mix.
 * Publishing takes seconds (the HTML report the longest); a wait of 10 min means the other hangs.
 */
export function withPublishLock<T>(reportsDir: string, work: () => Promise<T>): Promise<T> {
  return withLock(
    join(reportsDir, 'publish.lock'),
    { waitMs: 600_000, what: `The top-level files of '${reportsDir}'` },
    work,
  );
}
