/**
 * `!vm [flags]`: the virtual memory counters by name (pages and Kb), the page files, the commit
 * charge and the count of failed commit requests.
 */
import * as z from 'zod';
import { built } from './built.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const VmCounter = z.object({ pages: z.number().int(), kb: z.number().int() });

export const VmResult = z.object({
  counters: z.record(z.string(), VmCounter),
  pageFiles: z.array(
    z.object({
      path: z.string(),
      currentKb: z.number().int().nullable(),
      freeKb: z.number().int().nullable(),
      minimumKb: z.number().int().nullable(),
      maximumKb: z.number().int().nullable(),
    }),
  ),
  committedPages: z.number().int().nullable(),
  commitLimitPages: z.number().int().nullable(),
  /** From the `********** N commit requests have failed **********` line; null when the line is absent. */
  commitFailures: z.number().int().nullable(),
  /** Per-process commit lines `!vm` prints after the counters. */
  processes: z.array(
    z.object({
      pid: z.string(),
      image: z.string(),
      commitPages: z.number().int(),
      commitKb: z.number().int(),
    }),
  ),
  truncated: z.boolean(),
});
export type VmResult = z.infer<typeof VmResult>;

const COUNTER = /^(.+?):\s+(\d+)\s+\(\s*(\d+) Kb\)$/;

/** Parses `!vm` output. */
export function parseVm(text: string): VmResult {
  const reader = new Reader('vm', '!vm', text);
  const lines = filled(prepare(text));
  const counters: Record<string, { pages: number; kb: number }> = {};
  const pageFiles: z.infer<typeof VmResult>['pageFiles'] = [];
  const processes: z.infer<typeof VmResult>['processes'] = [];
  let failures: number | null = null;
  let truncated = false;
  let seenBanner = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    // Each pattern is tried only on lines that start or end the way it requires.
    const star = t.charCodeAt(0) === 42; /* * */
    const kb = t.endsWith(' Kb)');
    if (star && /^\*{3} Virtual Memory Usage \*{3}$/.test(t)) {
      seenBanner = true;
      continue;
    }
    const c = kb ? COUNTER.exec(t) : null;
    if (c) {
      counters[(c[1] ?? '').trim()] = { pages: Number(c[2]), kb: Number(c[3]) };
      continue;
    }
    const pf = t.startsWith('Page File: ') ? /^Page File: (.+)$/.exec(t) : null;
    if (pf) {
      pageFiles.push({
        path: (pf[1] ?? '').trim(),
        currentKb: null,
        freeKb: null,
        minimumKb: null,
        maximumKb: null,
      });
      continue;
    }
    const file = pageFiles[pageFiles.length - 1];
    const cur = t.startsWith('Current:') ? /^Current:\s+(\d+) ?Kb\s+Free Space:\s+(\d+) ?Kb$/.exec(t) : null;
    if (cur && file) {
      file.currentKb = Number(cur[1]);
      file.freeKb = Number(cur[2]);
      continue;
    }
    const min = t.startsWith('Minimum:') ? /^Minimum:\s+(\d+) ?Kb\s+Maximum:\s+(\d+) ?Kb$/.exec(t) : null;
    if (min && file) {
      file.minimumKb = Number(min[1]);
      file.maximumKb = Number(min[2]);
      continue;
    }
    const fail = star ? /^\*{5,}\s+(\d+) commit requests have failed\s+\*{5,}$/.exec(t) : null;
    if (fail) {
      failures = Number(fail[1]);
      continue;
    }
    const proc = kb ? /^([0-9a-fA-F]+) (\S.*?)\s+(\d+) \(\s*(\d+) Kb\)$/.exec(t) : null;
    if (proc) {
      processes.push({
        pid: proc[1] ?? '',
        image: proc[2] ?? '',
        commitPages: Number(proc[3]),
        commitKb: Number(proc[4]),
      });
      continue;
    }
    if (i === lines.length - 1 && (seenBanner || Object.keys(counters).length > 0)) {
      truncated = true;
      continue;
    }
    throw reader.fail('a line is not a counter of !vm ("Name: pages ( Kb)")', line);
  }
  if (!seenBanner && Object.keys(counters).length === 0)
    throw reader.fail('it has no "*** Virtual Memory Usage ***" banner and no counter', lines[0]);
  return built(VmResult, {
    counters,
    pageFiles,
    committedPages: counters['Committed pages']?.pages ?? null,
    commitLimitPages: counters['Commit limit']?.pages ?? null,
    commitFailures: failures,
    processes,
    truncated,
  });
}
