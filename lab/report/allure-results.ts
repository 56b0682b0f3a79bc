/**
 * Reading what a run left in `allure-results/`: one `<uuid>-result.json` per scenario attempt.
 * A retried scenario leaves several attempts with the same historyId; the last one counts.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';
import {
  formatBytes,
  INPUT_LIMITS,
  InputTooLargeError,
  readTextWithin,
  whyUnreadable,
} from '../util/files.js';

export const AllureStatus = z.enum(['passed', 'failed', 'broken', 'skipped', 'unknown']);
export type AllureStatus = z.infer<typeof AllureStatus>;

const Label = z.object({ name: z.string(), value: z.string() });

/** The part of an Allure result file driverlab reads; everything else is kept but not checked. */
export const AllureResult = z
  .object({
    uuid: z.string(),
    historyId: z.string().optional(),
    name: z.string(),
    fullName: z.string().optional(),
    status: AllureStatus.optional(),
    statusDetails: z
      .object({ message: z.string().optional(), trace: z.string().optional() })
      .loose()
      .optional(),
    start: z.number().optional(),
    stop: z.number().optional(),
    labels: z.array(Label).default([]),
  })
  .loose();
export type AllureResult = z.infer<typeof AllureResult>;

export interface ResultsRead {
  /** The last attempt of every scenario, in file-name order. */
  results: AllureResult[];
  /** Files that were not valid result JSON: named, never silently dropped. */
  unreadable: { file: string; reason: string }[];
}

/** Reads every `*-result.json` in `dir`; a missing directory is a configuration error. */
export async function readAllureResults(dir: string): Promise<ResultsRead> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('-result.json')).sort();
  } catch (error) {
    throw new ConfigurationError(
      `There are no Allure results in '${dir}', because ${whyUnreadable(error, 'folder')}; run 'driverlab run' first or name the results folder with --results.`,
      { cause: error },
    );
  }
  const latest = new Map<string, AllureResult>();
  const unreadable: ResultsRead['unreadable'] = [];
  for (const name of names) {
    const file = join(dir, name);
    let parsed: AllureResult;
    try {
      parsed = AllureResult.parse(JSON.parse(await readTextWithin(file, INPUT_LIMITS.result)));
    } catch (error) {
      unreadable.push({
        file,
        reason:
          error instanceof InputTooLargeError
            ? `it holds ${formatBytes(error.size)}, more than the ${formatBytes(error.limit)} a result file may hold, so it was not read`
            : error instanceof Error
              ? (error.message.split('\n')[0] ?? '')
              : String(error),
      });
      continue;
    }
    const key = parsed.historyId ?? parsed.uuid;
    const previous = latest.get(key);
    if (!previous || (parsed.stop ?? 0) >= (previous.stop ?? 0)) latest.set(key, parsed);
  }
  return { results: [...latest.values()], unreadable };
}

export interface RunSummary {
  total: number;
  passed: number;
  failed: number;
  broken: number;
  skipped: number;
  unknown: number;
}

export function summarise(results: readonly AllureResult[]): RunSummary {
  const summary: RunSummary = { total: 0, passed: 0, failed: 0, broken: 0, skipped: 0, unknown: 0 };
  for (const r of results) {
    summary.total += 1;
    summary[r.status ?? 'unknown'] += 1;
  }
  return summary;
}

/** "9 scenarios: 8 passed, 1 failed, 0 broken, 0 skipped" (unknown only when there are some). */
export function formatSummary(s: RunSummary): string {
  const unknown = s.unknown > 0 ? `, ${s.unknown} unknown` : '';
  const noun = s.total === 1 ? 'scenario' : 'scenarios';
  return `${s.total} ${noun}: ${s.passed} passed, ${s.failed} failed, ${s.broken} broken, ${s.skipped} skipped${unknown}`;
}
