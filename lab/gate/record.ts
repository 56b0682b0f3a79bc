/**
 * A run as the run store and the gate see it, read at the boundary from what the run left: every
 * Allure result file (every attempt of every scenario, zod-checked) and reports/summary.json.
 * A scenario is its history id; its attempts are its result files in start order, the last one
 * counts; broken and then passed is flaky, and every attempt stays.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';
import {
  type AllureResult,
  AllureResult as AllureResultSchema,
  type AllureStatus,
} from '../report/allure-results.js';
import { whyUnreadable } from '../util/files.js';

export interface AttemptRecord {
  attempt: number;
  uuid: string;
  status: AllureStatus;
  vm: string | null;
  start: number | null;
  stop: number | null;
  message: string | null;
  bucket: string | null;
}

export interface CrashRecordOfRun {
  bucket: string;
  bugcheck: string | null;
}

export interface ScenarioRecord {
  historyId: string;
  /** "<feature name> › <scenario name>": how waivers and people name a scenario. */
  title: string;
  feature: string;
  scenario: string;
  epic: string | null;
  location: string | null;
  tags: string[];
  drivers: string[];
  status: AllureStatus;
  flaky: boolean;
  message: string | null;
  durationMs: number | null;
  vm: string | null;
  attempts: AttemptRecord[];
  /** The crash of the last attempt, when it met one. */
  crash: CrashRecordOfRun | null;
}

export interface RunRecord {
  /** A digest of the run's result ids: the same results are the same run, however often read. */
  key: string;
  startedAt: string | null;
  finishedAt: string;
  profile: string;
  lab: string;
  tags: string | null;
  complete: boolean;
  interrupted: boolean;
  featuresCommit: string | null;
  labCommit: string | null;
  executor: { name: string | null; buildUrl: string | null } | null;
  scenarios: ScenarioRecord[];
}

/** reports/summary.json as the run command writes it (only what the gate reads; the rest is kept). */
export const RunSummaryFile = z
  .object({
    profile: z.string().default('default'),
    lab: z.string().default('embedded'),
    finishedAt: z.string().optional(),
    cucumberExitCode: z.number().optional(),
    interrupted: z.boolean().optional(),
    tags: z.string().nullable().optional(),
    complete: z.boolean().optional(),
    featuresCommit: z.string().nullable().optional(),
    labCommit: z.string().nullable().optional(),
    executor: z
      .object({ name: z.string().nullable(), buildUrl: z.string().nullable() })
      .nullable()
      .optional(),
  })
  .loose();
export type RunSummaryFile = z.infer<typeof RunSummaryFile>;

const label = (r: AllureResult, name: string): string | null =>
  r.labels.find((l) => l.name === name)?.value ?? null;
const labels = (r: AllureResult, name: string): string[] =>
  r.labels.filter((l) => l.name === name).map((l) => l.value);

/** Every attempt of every scenario in an Allure results folder; unreadable files are named, never dropped. */
export async function readAttempts(dir: string): Promise<AllureResult[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('-result.json')).sort();
  } catch (error) {
    throw new ConfigurationError(
      `There are no Allure results in '${dir}', because ${whyUnreadable(error, 'folder')}; run 'driverlab run' first, or name the results folder with --results.`,
      { cause: error },
    );
  }
  const out: AllureResult[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      out.push(AllureResultSchema.parse(JSON.parse(await readFile(file, 'utf8'))));
    } catch (error) {
      throw new ConfigurationError(
        `The result file '${file}' is not an Allure result (${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}), so the run cannot be judged; run the scenarios again.`,
        { cause: error },
      );
    }
  }
  return out;
}

/** The scenarios of a run from all its attempts: grouped by history id, in start order. */
export function scenariosOf(results: readonly AllureResult[]): ScenarioRecord[] {
  const groups = new Map<string, AllureResult[]>();
  for (const r of results) {
    const key = r.historyId ?? r.uuid;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const scenarios: ScenarioRecord[] = [];
  for (const [historyId, group] of groups) {
    group.sort((a, b) => (a.start ?? 0) - (b.start ?? 0) || (a.stop ?? 0) - (b.stop ?? 0));
    const attempts: AttemptRecord[] = group.map((r, i) => ({
      attempt: i + 1,
      uuid: r.uuid,
      status: r.status ?? 'unknown',
      vm: label(r, 'vm'),
      start: r.start ?? null,
      stop: r.stop ?? null,
      message: r.statusDetails?.message?.trim() || null,
      bucket: label(r, 'crash-bucket'),
    }));
    const last = group[group.length - 1] as AllureResult;
    const final = attempts[attempts.length - 1] as AttemptRecord;
    const feature = label(last, 'feature') ?? '';
    const bucket = label(last, 'crash-bucket');
    scenarios.push({
      historyId,
      title: `${feature} › ${last.name}`,
      feature,
      scenario: last.name,
      epic: label(last, 'epic'),
      location: label(last, 'location'),
      tags: [...new Set(labels(last, 'tag').map((t) => (t.startsWith('@') ? t : `@${t}`)))],
      drivers: [...new Set(group.flatMap((r) => labels(r, 'driver')))],
      status: final.status,
      flaky: final.status === 'passed' && attempts.slice(0, -1).some((a) => a.status === 'broken'),
      message: final.message,
      durationMs: last.start !== undefined && last.stop !== undefined ? last.stop - last.start : null,
      vm: final.vm,
      attempts,
      crash: bucket ? { bucket, bugcheck: label(last, 'bugcheck') } : null,
    });
  }
  return scenarios.sort((a, b) => a.title.localeCompare(b.title));
}

/** The run a results folder and its summary describe. */
export function runRecord(results: readonly AllureResult[], summary: RunSummaryFile | null): RunRecord {
  const scenarios = scenariosOf(results);
  const starts = results.map((r) => r.start).filter((n): n is number => n !== undefined);
  const stops = results.map((r) => r.stop).filter((n): n is number => n !== undefined);
  const key = createHash('sha256')
    .update(
      results
        .map((r) => r.uuid)
        .sort()
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 32);
  const interrupted =
    summary?.interrupted === true || results.some((r) => r.stop === undefined || r.status === undefined);
  return {
    key,
    startedAt: starts.length ? new Date(Math.min(...starts)).toISOString() : null,
    finishedAt: summary?.finishedAt ?? new Date(stops.length ? Math.max(...stops) : Date.now()).toISOString(),
    profile: summary?.profile ?? 'default',
    lab: summary?.lab ?? 'embedded',
    tags: summary?.tags ?? null,
    complete: summary?.complete ?? (!interrupted && !summary?.tags),
    interrupted,
    featuresCommit: summary?.featuresCommit ?? null,
    labCommit: summary?.labCommit ?? null,
    executor: summary?.executor ?? null,
    scenarios,
  };
}

/** reports/summary.json, or null when the run wrote none. */
export async function readRunSummary(file: string): Promise<RunSummaryFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return RunSummaryFile.parse(JSON.parse(text));
  } catch (error) {
    throw new ConfigurationError(
      `The run summary '${file}' cannot be read (${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}); run 'driverlab run' again to write it.`,
      { cause: error },
    );
  }
}
