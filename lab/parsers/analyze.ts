/**
 * `!analyze -v` (and `!analyze`): the bug check, its culprit and its stack, in the 2013 layout
 * (title, description, `Arguments:`, `UPPER_CASE_KEY:  value` lines) and the 2024 layout (which
 * adds `KEY_VALUES_STRING` with `Key  : …` / `Value: …` pairs and `BUGCHECK_CODE`).
 */
import * as z from 'zod';
import { built } from './built.js';
import { Frame } from './frame.js';
import { Hex, hexOrNull, StopCode, stopCodeOrNull } from './hex.js';
import { readFrames } from './stack.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const Bugcheck = z.object({
  /** The stop code from the title or BUGCHECK_CODE (`0xd1`, `0x1000007e`, see README.md); null if not shown. */
  code: StopCode.nullable(),
  /** The bug check name from the title line (`DRIVER_IRQL_NOT_LESS_OR_EQUAL`); null if not shown. */
  name: z.string().nullable(),
  /** Arg1..Arg4; an argument the text does not show is null. */
  args: z.array(Hex.nullable()).length(4),
});
export type Bugcheck = z.infer<typeof Bugcheck>;

export const AnalyzeResult = z.object({
  bugcheck: Bugcheck,
  /** The description lines under the title (the text printed before `Arguments:`). */
  description: z.string().nullable(),
  imageName: z.string().nullable(),
  moduleName: z.string().nullable(),
  symbolName: z.string().nullable(),
  failureBucketId: z.string().nullable(),
  processName: z.string().nullable(),
  /** STACK_TEXT frames; null when the output has no STACK_TEXT. */
  stack: z.array(Frame).nullable(),
  stackTruncated: z.boolean(),
  /** Every other `KEY: value` line (first line of the value) and every `Key : … / Value: …` pair. */
  keyValues: z.record(z.string(), z.string()),
});
export type AnalyzeResult = z.infer<typeof AnalyzeResult>;

const TITLE = /^([A-Z][A-Z0-9_]+|Unknown bugcheck code) \(([0-9a-fA-F]+)\)$/;
/** kd's reconnect and symbol-loading lines before the analysis banner. */
const HEAD_NOISE =
  /^(?:Connected to .+ target at \(.+\), ptr64 (?:TRUE|FALSE)|Loading (?:Kernel|User) Symbols|Loading unloaded module list|\.+)$/;
const ARG = /^Arg([1-4]): ([0-9a-fA-F`]+)(?:, ?(.*))?$/;
const KEY = /^([A-Z][A-Z0-9_]{2,}):\s*(.*)$/;
const KEY_PREFIX = /^Key\s*:\s*/;
/** The summary line of `!analyze` without -v: `BugCheck D1, {e1147008, 1c, 0, fbe93403}`. */
const SUMMARY = /^BugCheck ([0-9a-fA-F]+), \{([^{}]*)\}$/;

/** Parses `!analyze -v` output; refuses text with neither an analysis banner nor Arg lines. */
export function parseAnalyze(text: string): AnalyzeResult {
  const reader = new Reader('analyze', '!analyze -v', text);
  const lines = prepare(text);
  const hasBanner =
    text.indexOf('Bugcheck Analysis') !== -1 && lines.some((l) => /Bugcheck Analysis/.test(l.text));
  const hasArgs = lines.some((l) => ARG.test(l.text.trim()) || SUMMARY.test(l.text.trim()));
  if (!hasBanner && !hasArgs)
    throw reader.fail('it has neither the "Bugcheck Analysis" banner nor Arg1..Arg4 lines', filled(lines)[0]);
  let code: string | null = null;
  let name: string | null = null;
  const args: (string | null)[] = [null, null, null, null];
  const description: string[] = [];
  const keyValues: Record<string, string> = {};
  let stack: Frame[] | null = null;
  let stackTruncated = false;
  let phase: 'head' | 'description' | 'details' = 'head';
  // What kd prints before the banner (symbol loading, its progress dots) is not the analysis.
  let beforeBanner = hasBanner;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    if (t === '') continue;
    if (beforeBanner) {
      if (t.indexOf('Bugcheck Analysis') !== -1) beforeBanner = false;
      continue;
    }
    // Each pattern below is tried only on lines whose first (or last) character it can match.
    const c0 = t.charCodeAt(0);
    if (c0 === 42 /* * */ && /^\*[\s*]*(?:Bugcheck Analysis[\s*]*)?$/.test(t)) continue;
    // A first !analyze -v after a KDNET refresh or a bug check starts with kd reaching the target
    // again and reloading symbols (lab/kd/replay/corpus/live-bugcheck-0x50-win11-26100.txt).
    if (phase === 'head' && HEAD_NOISE.test(t)) continue;
    const upper = c0 >= 65 && c0 <= 90;
    const title = upper && t.charCodeAt(t.length - 1) === 41 /* ) */ ? TITLE.exec(t) : null;
    if (title && phase === 'head') {
      name = title[1] === 'Unknown bugcheck code' ? null : (title[1] ?? null);
      code = stopCodeOrNull(title[2] ?? '');
      phase = 'description';
      continue;
    }
    const arg = c0 === 65 /* A */ ? ARG.exec(t) : null;
    if (arg && phase !== 'details') {
      args[Number(arg[1]) - 1] = hexOrNull(arg[2] ?? '');
      phase = 'description';
      continue;
    }
    const summary = c0 === 66 /* B */ ? SUMMARY.exec(t) : null;
    if (summary) {
      const values = (summary[2] ?? '').split(',').map((a) => a.trim());
      if (code === null) code = stopCodeOrNull(summary[1] ?? '');
      if (values.length === 4)
        values.forEach((v, n) => {
          if (args[n] === null) args[n] = hexOrNull(v);
        });
      continue;
    }
    if (t === 'Arguments:') {
      phase = 'description';
      continue;
    }
    if ((c0 === 68 /* D */ && t === 'Debugging Details:') || (c0 === 45 /* - */ && /^-{6,}$/.test(t))) {
      phase = 'details';
      continue;
    }
    const keyPrefix = c0 === 75 /* K */ ? KEY_PREFIX.exec(t) : null;
    if (keyPrefix) {
      const value = lines[i + 1]?.text.trim() ?? '';
      const v = /^Value\s*:\s*(.*)$/.exec(value);
      if (v) {
        keyValues[t.slice(keyPrefix[0].length)] = v[1] ?? '';
        i += 1;
        continue;
      }
    }
    if (c0 === 83 /* S */ && t.startsWith('STACK_TEXT:') && line.text.startsWith('STACK_TEXT')) {
      const block = readFrames(lines, i + 1, reader, false);
      stack = block.frames;
      stackTruncated = block.truncated;
      i = block.end - 1;
      phase = 'details';
      continue;
    }
    const kv = upper && line.text === t ? KEY.exec(t) : null;
    if (kv) {
      const key = kv[1] ?? '';
      // Values are strings, so undefined means absent (a get measured twice as fast as `in`).
      if (keyValues[key] === undefined) keyValues[key] = (kv[2] ?? '').trim();
      phase = 'details';
      continue;
    }
    if (
      phase === 'description' &&
      args[0] === null &&
      args[1] === null &&
      args[2] === null &&
      args[3] === null
    )
      description.push(t);
    else if (phase === 'head') {
      // 2013 pastes lose the title line: the description then starts right under the banner.
      description.push(t);
      phase = 'description';
    }
  }
  // The code is shown once more by the current analysis' keys: read it from there when the title
  // and BUGCHECK_CODE are not in the text.
  const shownCode =
    keyValues.BUGCHECK_CODE ??
    keyValues['Bugcheck.Code.KiBugCheckData'] ??
    keyValues['Bugcheck.Code.LegacyAPI'] ??
    keyValues['Bugcheck.Code.TargetModel'];
  if (code === null && shownCode !== undefined) code = stopCodeOrNull(shownCode);
  for (let n = 1; n <= 4; n += 1) {
    const p = keyValues[`BUGCHECK_P${n}`];
    if (args[n - 1] === null && p !== undefined) args[n - 1] = hexOrNull(p);
  }
  const field = (key: string): string | null => {
    const v = keyValues[key];
    return v === undefined || v === '' ? null : v;
  };
  return built(AnalyzeResult, {
    bugcheck: { code, name, args },
    description: description.length > 0 ? description.join('\n') : null,
    imageName: field('IMAGE_NAME'),
    moduleName: field('MODULE_NAME'),
    symbolName: field('SYMBOL_NAME'),
    failureBucketId: field('FAILURE_BUCKET_ID'),
    processName: field('PROCESS_NAME'),
    stack,
    stackTruncated,
    keyValues,
  });
}
