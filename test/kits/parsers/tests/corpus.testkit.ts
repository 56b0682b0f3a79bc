/**
 * The corpus of real captures (lab/parsers/corpus/<kind>/<name>.txt, each with its hand-written
 * expected value in <name>.json): loading, the provenance header, and the comparison that decides
 * an exact match. Test and script support only (it reads files); the parsers never import it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kind, kinds, ParseError, parsers } from '../../../../lab/parsers/index.js';

export const CORPUS_DIR = fileURLToPath(new URL('../../../../lab/parsers/corpus/', import.meta.url));

/** One capture: its text as published, where it came from, and what a reader sees in it. */
export interface Capture {
  kind: Kind;
  name: string;
  /** The provenance header (`%% key: value` lines), by key. */
  provenance: Record<string, string>;
  /** The capture without its header. */
  text: string;
  /** The value expected, written by hand from the text; or the refusal expected. */
  expected: Expected;
}

/**
 * What a capture must parse to. `value`: a partial of the parser's result — every key given must
 * match; an array must have the same length, item by item; a frame may be written as its call
 * site (`nt!KiPageFault+0x16e`). `refused`: the parser must refuse, its reason containing this.
 */
export type Expected = { value: unknown; english?: boolean } | { refused: string; english?: boolean };

const HEADER = /^%% ?([\w-]+): ?(.*)$/;

/** Splits a capture file into its provenance header and the text as published. */
export function readCaptureText(file: string): { provenance: Record<string, string>; text: string } {
  const all = readFileSync(file, 'utf8');
  const lines = all.split('\n');
  const provenance: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i += 1) {
    const l = lines[i] as string;
    if (!l.startsWith('%%')) break;
    const m = HEADER.exec(l);
    if (m) provenance[m[1] as string] = m[2] as string;
  }
  return { provenance, text: lines.slice(i).join('\n') };
}

/** Every capture of the corpus, by kind and name. */
export function loadCorpus(): Capture[] {
  const out: Capture[] = [];
  for (const kind of kinds) {
    let names: string[];
    try {
      names = readdirSync(join(CORPUS_DIR, kind));
    } catch {
      continue;
    }
    for (const f of names.filter((n) => n.endsWith('.txt')).sort()) {
      const name = f.slice(0, -4);
      const { provenance, text } = readCaptureText(join(CORPUS_DIR, kind, f));
      const expected = JSON.parse(readFileSync(join(CORPUS_DIR, kind, `${name}.json`), 'utf8')) as Expected;
      out.push({ kind, name, provenance, text, expected });
    }
  }
  return out;
}

/** A frame as its call site, the way the debugger prints it (`module!function+0xoffset`). */
function callSite(frame: Record<string, unknown>): string {
  const m = frame.module as string | null;
  const f = frame.function as string | null;
  const o = frame.offset as string | null;
  if (m === null && f === null) return String(frame.address ?? '');
  return `${m ?? ''}${f !== null ? `!${f}` : ''}${o !== null ? `+${o}` : ''}`;
}

/** Where the actual value differs from the expected partial (a path and both values), or null. */
export function mismatch(actual: unknown, expected: unknown, path = ''): string | null {
  if (typeof expected === 'string' && actual !== null && typeof actual === 'object' && 'module' in actual) {
    const site = callSite(actual as Record<string, unknown>);
    return site === expected
      ? null
      : `${path}: ${JSON.stringify(site)} instead of ${JSON.stringify(expected)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: ${JSON.stringify(actual)} instead of a list`;
    if (actual.length !== expected.length)
      return `${path}: ${actual.length} items instead of ${expected.length}`;
    for (let i = 0; i < expected.length; i += 1) {
      const d = mismatch(actual[i], expected[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object')
      return `${path}: ${JSON.stringify(actual)} instead of an object`;
    for (const [k, v] of Object.entries(expected)) {
      const d = mismatch((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return actual === expected
    ? null
    : `${path}: ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`;
}

/** How one capture fared: exact, a different value (where), or refused (the sentence). */
export type Outcome =
  | { capture: Capture; result: 'exact'; sentence?: string }
  | { capture: Capture; result: 'different'; where: string }
  | { capture: Capture; result: 'refused'; sentence: string; expectedRefusal: boolean };

/** Parses a capture and compares it with its expected value. */
export function check(capture: Capture): Outcome {
  const exp = capture.expected;
  try {
    const value = parsers[capture.kind].parse(capture.text);
    if ('refused' in exp)
      return {
        capture,
        result: 'different',
        where: `read a value where a refusal (${exp.refused}) was expected`,
      };
    const d = mismatch(value, exp.value);
    return d === null ? { capture, result: 'exact' } : { capture, result: 'different', where: d };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    if ('refused' in exp) {
      return error.message.includes(exp.refused)
        ? { capture, result: 'exact', sentence: error.message }
        : { capture, result: 'refused', sentence: error.message, expectedRefusal: true };
    }
    return { capture, result: 'refused', sentence: error.message, expectedRefusal: false };
  }
}

/** True for a capture in English (localized captures are expected to be refused). */
export function isEnglish(capture: Capture): boolean {
  return capture.expected.english !== false;
}

/** The exact-match table: per kind, captures and exact matches, English only and all. */
export function rates(outcomes: Outcome[]): Map<string, { total: number; exact: number }> {
  const table = new Map<string, { total: number; exact: number }>();
  for (const o of outcomes) {
    const row = table.get(o.capture.kind) ?? { total: 0, exact: 0 };
    row.total += 1;
    if (o.result === 'exact') row.exact += 1;
    table.set(o.capture.kind, row);
  }
  return table;
}
