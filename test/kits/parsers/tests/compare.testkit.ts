/**
 * Comparing a value read from a cut or wrapped text with the value of the whole text (test-only).
 */
import { isDeepStrictEqual } from 'node:util';

/** True when the value says output was cut off (`truncated`, `stackTruncated`, `complete: false`). */
export function saysTruncated(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(saysTruncated);
  if (v === null || typeof v !== 'object') return false;
  for (const [k, x] of Object.entries(v)) {
    if ((k === 'truncated' || k === 'stackTruncated') && x === true) return true;
    if (k === 'complete' && x === false) return true;
    if (saysTruncated(x)) return true;
  }
  return false;
}

/**
 * Where a value read from a cut text disagrees with the value of the whole text, as a path; null
 * when it agrees: equal, or null/absent/false (not shown), or an array that is a prefix (`rows` is
 * set when a row is missing), or a record with fewer keys, or free text's first lines, or a
 * transcript command refused. Flags that say "cut" may differ.
 */
export function disagreement(
  cut: unknown,
  whole: unknown,
  path: string,
  rows: { short: boolean },
): string | null {
  if (isDeepStrictEqual(cut, whole)) return null;
  if (cut === null || cut === undefined) return null;
  if (Array.isArray(cut) && Array.isArray(whole)) {
    if (cut.length > whole.length) return `${path} has more items`;
    if (cut.length < whole.length) rows.short = true;
    for (let i = 0; i < cut.length; i += 1) {
      const d = disagreement(cut[i], whole[i], `${path}[${i}]`, rows);
      if (d !== null) return d;
    }
    return null;
  }
  // A flag that says the text shows something is false where the cut text does not show it.
  if (cut === false && whole === true) return null;
  // Free text cut at a line: its first lines.
  if (typeof cut === 'string' && typeof whole === 'string' && (cut === '' || whole.startsWith(`${cut}\n`)))
    return null;
  if (cut !== null && whole !== null && typeof cut === 'object' && typeof whole === 'object') {
    const w = whole as Record<string, unknown>;
    const c = cut as Record<string, unknown>;
    // A transcript command whose cut output was refused: a refusal, not a value.
    if ('error' in c && 'value' in c && c.value === null && typeof c.error === 'string') return null;
    for (const [k, x] of Object.entries(cut as Record<string, unknown>)) {
      if (k === 'truncated' || k === 'stackTruncated' || k === 'complete' || k === 'completed') continue;
      const d = disagreement(x, w[k], `${path}.${k}`, rows);
      if (d !== null) return d;
    }
    return null;
  }
  return `${path} is ${JSON.stringify(cut)} instead of ${JSON.stringify(whole)}`;
}

/** How many items the value's arrays hold, all together (rows, frames, modules, entries). */
export function rowCount(v: unknown): number {
  if (Array.isArray(v)) return v.length + v.reduce((n: number, x) => n + rowCount(x), 0);
  if (v === null || typeof v !== 'object') return 0;
  return Object.values(v).reduce((n: number, x) => n + rowCount(x), 0);
}
