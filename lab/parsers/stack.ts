/**
 * `k`, `kb`, `kn`, `kp`, `kv`, `kc` and `STACK_TEXT:` blocks, 64-bit (Child-SP) and 32-bit
 * (ChildEBP): a list of frames.
 */
import * as z from 'zod';
import { built } from './built.js';
import { type CallSite, Frame, parseCallSite } from './frame.js';
import type { Hex } from './hex.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const StackResult = z.object({
  /** x64 when the header or the addresses are 64-bit, x86 for ChildEBP stacks, null if not shown. */
  architecture: z.enum(['x64', 'x86']).nullable(),
  frames: z.array(Frame),
  truncated: z.boolean(),
});
export type StackResult = z.infer<typeof StackResult>;

const HEADER = /^\s*(?:#\s+)?(?:Child-SP|ChildEBP|Call Site|RetAddr)\b/;
const INLINE_OLD = /^-{3,}inline function-{3,}\s+(.*)$/i;
const INLINE_NUMBERED =
  /^([0-9a-fA-F]{2,4})\s+\(Inline(?: Function)?\)\s+(?::\s+)?(?:[-`]+\s+){1,6}(?::\s+)?(.*)$/;
const INLINE_UNNUMBERED = /^\(Inline(?: Function)?\)\s+(?::\s+)?(?:[-`]+\s+){1,6}(?::\s+)?(.*)$/;

/** True for a header line of a stack listing. */
export function isStackHeader(text: string): boolean {
  return HEADER.test(text) && /Call Site|RetAddr|Args to Child/.test(text);
}

/**
 * Reads one frame row, or returns null when the line is not one. `numbered` says whether the
 * header had a `#` column (kn).
 */
export function parseFrameRow(
  text: string,
  numbered: boolean | null,
  callSiteOnly = false,
  retOnly = false,
): Frame | null {
  const trimmed = text.trim();
  if (trimmed.indexOf('nline') !== -1) {
    const inlineOld = INLINE_OLD.exec(trimmed);
    if (inlineOld) return inlineFrame(inlineOld[1] ?? '', undefined);
    const inlineNumbered = INLINE_NUMBERED.exec(trimmed);
    if (inlineNumbered)
      return inlineFrame(inlineNumbered[2] ?? '', Number.parseInt(inlineNumbered[1] ?? '0', 16));
    const inlineBare = INLINE_UNNUMBERED.exec(trimmed);
    if (inlineBare) return inlineFrame(inlineBare[1] ?? '', undefined);
  }
  const common = retOnly ? null : commonRow(trimmed, numbered);
  if (common !== null) return common;
  // Walk the leading tokens by hand: an optional frame number, then addresses and ':' separators.
  const n = trimmed.length;
  let pos = 0;
  let number: number | undefined;
  const addresses: string[] = [];
  let separators = 0;
  let first = true;
  while (pos < n) {
    let end = pos;
    while (end < n) {
      const c = trimmed.charCodeAt(end);
      if (c === 32 || c === 9) break;
      end += 1;
    }
    let next = end;
    while (next < n) {
      const c = trimmed.charCodeAt(next);
      if (c !== 32 && c !== 9) break;
      next += 1;
    }
    if (first) {
      first = false;
      const width = end - pos;
      if (
        (numbered === true || numbered === null) &&
        width >= 2 &&
        width <= 4 &&
        isHexRange(trimmed, pos, end) &&
        next < n
      ) {
        number = Number.parseInt(trimmed.slice(pos, end), 16);
        pos = next;
        continue;
      }
      if (numbered === true) return null;
    }
    if (end - pos === 1 && trimmed.charCodeAt(pos) === 58 /* : */) {
      separators += 1;
      pos = next;
      continue;
    }
    const address = addressAt(trimmed, pos, end);
    if (address === null) break;
    addresses.push(address);
    pos = next;
  }
  // An x86 kb row prints no call site where the debugger found no symbol: the frame and its
  // arguments stand alone (`8013ed5c 801263ba 00000000 00000000 e12ab000`).
  if (pos >= n && separators === 0 && addresses.length === 5 && addresses.every((a) => a.length === 10)) {
    const bare: Frame = { module: null, function: null, offset: null };
    if (number !== undefined) bare.number = number;
    bare.childSp = addresses[0] ?? null;
    bare.retAddr = addresses[1] ?? null;
    bare.args = addresses.slice(2);
    return bare;
  }
  const site = parseCallSite(trimmed.slice(pos));
  if (site === null) return null;
  if (addresses.length === 0 && separators === 0) {
    // kc prints the call site alone (after a `Call Site` header); elsewhere a row needs addresses.
    if (!callSiteOnly || (site.module === null && site.address === undefined)) return null;
  }
  const frame: Frame = { module: site.module, function: site.function, offset: site.offset };
  // A triage dump's kb prints no Child-SP column (` # RetAddr : Args to Child : Call Site`).
  if (retOnly) {
    if (addresses.length === 0) return null;
    if (site.address !== undefined) frame.address = site.address;
    if (number !== undefined) frame.number = number;
    frame.retAddr = addresses[0] ?? null;
    if (addresses.length > 1) frame.args = addresses.slice(1);
    if (site.source !== undefined) frame.source = site.source;
    return frame;
  }
  if (addresses.length === 1) return null;
  if (site.address !== undefined) frame.address = site.address;
  if (number !== undefined) frame.number = number;
  if (addresses.length >= 2) {
    frame.childSp = addresses[0] ?? null;
    frame.retAddr = addresses[1] ?? null;
    if (addresses.length > 2) frame.args = addresses.slice(2);
  }
  if (site.source !== undefined) frame.source = site.source;
  return frame;
}

/** A stack address column as kd prints it: 8 or 16 lowercase hex digits, or 8`8. */
const A = '[0-9a-f]{8}(?:`?[0-9a-f]{8})?';
/**
 * Where the token walk below stops: at the first token that is neither an address nor ':' (the
 * call site starts there, never inside a run of spaces).
 */
const SITE =
  '(?![ \\t]|(?:[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?|:)(?:[ \\t]|$))' +
  // The call sites nearly every row ends with, read here as parseCallSite reads them:
  // `module!function[+0xoffset]`, `module+0xoffset`; any other call site is read by parseCallSite.
  '(?:([\\w.]+)!([\\w$@.:~]+)(?:\\+(0x[0-9a-f]+))?|([\\w.]+)\\+(0x[0-9a-f]+)|(.+))';
/**
 * The rows nearly every stack prints, read by one pattern each: `[nn] childSp retAddr [: args :]
 * call site` (x64 k, kn, kb, kv, kp, STACK_TEXT) and `[nn] childEbp retAddr args call site`
 * (x86 kb). They give exactly what the token walk gives for the same row; any other row (and
 * every row these patterns do not match) takes the walk.
 */
const COLONS = new RegExp(
  `^(?:([0-9a-fA-F]{2,4})[ \\t]+)?(${A})[ \\t]+(${A})(?:[ \\t]+:[ \\t]+(${A})(?:[ \\t]+(${A}))?(?:[ \\t]+(${A}))?(?:[ \\t]+(${A}))?[ \\t]+:)?[ \\t]+${SITE}$`,
);
const NO_COLONS = new RegExp(
  `^(?:([0-9a-fA-F]{2,4})[ \\t]+)?(${A})[ \\t]+(${A})(?:[ \\t]+(${A})(?:[ \\t]+(${A}))?(?:[ \\t]+(${A}))?(?:[ \\t]+(${A}))?)?[ \\t]+${SITE}$`,
);

/** A common frame row read by pattern, or null to read it token by token. */
function commonRow(trimmed: string, numbered: boolean | null): Frame | null {
  const m = trimmed.indexOf(':') === -1 ? NO_COLONS.exec(trimmed) : COLONS.exec(trimmed);
  if (m === null) return null;
  const numberText = m[1];
  if (numberText === undefined ? numbered === true : numbered === false) return null;
  let site: CallSite | null;
  if (m[8] !== undefined) site = { module: m[8], function: m[9] ?? null, offset: m[10] ?? null };
  else if (m[11] !== undefined) site = { module: m[11], function: null, offset: m[12] ?? null };
  else site = parseCallSite(m[13] ?? '');
  if (site === null) return null;
  const childSp = addressOf(m[2] as string);
  const retAddr = addressOf(m[3] as string);
  let args: Hex[] | undefined;
  if (m[4] !== undefined) {
    args = [addressOf(m[4])];
    for (let g = 5; g <= 7; g += 1) {
      const a = m[g];
      if (a !== undefined) args.push(addressOf(a));
    }
  }
  const { module, function: fn, offset } = site;
  if (site.address === undefined && site.source === undefined) {
    // The usual shapes as literals (same keys in the same order as below), built in one step.
    if (numberText === undefined)
      return args === undefined
        ? { module, function: fn, offset, childSp, retAddr }
        : { module, function: fn, offset, childSp, retAddr, args };
    const number = Number.parseInt(numberText, 16);
    return args === undefined
      ? { module, function: fn, offset, number, childSp, retAddr }
      : { module, function: fn, offset, number, childSp, retAddr, args };
  }
  const frame: Frame = { module, function: fn, offset };
  if (site.address !== undefined) frame.address = site.address;
  if (numberText !== undefined) frame.number = Number.parseInt(numberText, 16);
  frame.childSp = childSp;
  frame.retAddr = retAddr;
  if (args !== undefined) frame.args = args;
  if (site.source !== undefined) frame.source = site.source;
  return frame;
}

/** A matched (lowercase) address column, normalised like hexOrNull. */
function addressOf(text: string): Hex {
  return text.length === 17 ? `0x${text.slice(0, 8)}${text.slice(9)}` : `0x${text}`;
}

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isHexRange(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i += 1) if (!isHexCode(text.charCodeAt(i))) return false;
  return true;
}

/**
 * `text[start, end)` as a stack address (8 hex digits, 16, or 8`8), normalised like hexOrNull
 * (`0x`, lowercase, no backtick); null when it is not one. By hand: it runs for every column of
 * every frame row.
 */
function addressAt(text: string, start: number, end: number): Hex | null {
  const width = end - start;
  if (width === 8 || width === 16) {
    if (!isHexRange(text, start, end)) return null;
    const digits = text.slice(start, end);
    return `0x${hasUpper(digits) ? digits.toLowerCase() : digits}`;
  }
  if (width === 17 && text.charCodeAt(start + 8) === 96 /* ` */) {
    if (!isHexRange(text, start, start + 8) || !isHexRange(text, start + 9, end)) return null;
    const digits = text.slice(start, start + 8) + text.slice(start + 9, end);
    return `0x${hasUpper(digits) ? digits.toLowerCase() : digits}`;
  }
  return null;
}

function hasUpper(digits: string): boolean {
  for (let i = 0; i < digits.length; i += 1) {
    const c = digits.charCodeAt(i);
    if (c >= 65 && c <= 70) return true;
  }
  return false;
}

function inlineFrame(text: string, number: number | undefined): Frame | null {
  const site = parseCallSite(text);
  if (site === null) return null;
  const frame: Frame = { module: site.module, function: site.function, offset: site.offset, inline: true };
  if (number !== undefined) frame.number = number;
  if (site.source !== undefined) frame.source = site.source;
  return frame;
}

export interface FrameBlock {
  frames: Frame[];
  truncated: boolean;
  architecture: 'x64' | 'x86' | null;
  /** Index (into `lines`) of the first line after the block. */
  end: number;
}

/**
 * Reads the frame rows from `lines[start]` on (after any header) until a line that is not a frame:
 * at the end of the input such a line is a cut-off row (dropped, `truncated`); when `strict`, a
 * non-frame line followed by more frames is an error.
 */
export function readFrames(
  lines: readonly Line[],
  start: number,
  reader: Reader,
  strict: boolean,
): FrameBlock {
  let i = start;
  while (i < lines.length && (lines[i]?.text.trim() ?? '') === '') i += 1;
  let numbered: boolean | null = null;
  let callSiteOnly = false;
  let retOnly = false;
  let architecture: 'x64' | 'x86' | null = null;
  const header = lines[i];
  if (header && isStackHeader(header.text)) {
    numbered = /^\s*#/.test(header.text);
    callSiteOnly = /^\s*(?:#\s+)?Call Site\s*$/.test(header.text);
    retOnly = /^\s*(?:#\s+)?RetAddr\b/.test(header.text);
    if (/ChildEBP/.test(header.text)) architecture = 'x86';
    else if (/Child-SP/.test(header.text)) architecture = 'x64';
    else if (retOnly && /RetAddr {15}/.test(header.text)) architecture = 'x64';
    i += 1;
  }
  const frames: Frame[] = [];
  let truncated = false;
  for (; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    if (line.text.trim() === '') continue;
    let frame = parseFrameRow(line.text, numbered, callSiteOnly, retOnly);
    if (frame && frame.module === null && frame.function === null && frame.address === undefined) {
      // A row without a call site: the call site may be on the next line (a page that broke the
      // row), and at the end of the input the row may be cut before its call site.
      const next = lines[i + 1];
      const site = next ? parseCallSite(next.text.trim()) : null;
      if (
        next &&
        site !== null &&
        site.module !== null &&
        parseFrameRow(next.text, numbered, callSiteOnly, retOnly) === null
      ) {
        frame = { ...frame, module: site.module, function: site.function, offset: site.offset };
        i += 1;
      } else if (!lines.slice(i + 1).some((l) => l.text.trim() !== '')) {
        truncated = true;
        break;
      }
    }
    if (frame) {
      frames.push(frame);
      continue;
    }
    // The lines after this one are looked at only as far as needed (a STACK_TEXT block sits in
    // the middle of !analyze -v output, with a hundred lines after it).
    let last = true;
    for (let j = i + 1; j < lines.length && last; j += 1)
      if ((lines[j] as Line).text.trim() !== '') last = false;
    if (last && frames.length > 0 && looksLikeCutRow(line.text)) {
      truncated = true;
      i = lines.length;
      break;
    }
    if (
      strict &&
      filled(lines.slice(i + 1)).some((l) => parseFrameRow(l.text, numbered, callSiteOnly, retOnly) !== null)
    ) {
      throw reader.fail('a line inside the stack is not a stack frame', line);
    }
    break;
  }
  if (architecture === null && frames[0]?.childSp)
    architecture = (frames[0].childSp?.length ?? 0) > 10 ? 'x64' : 'x86';
  return { frames, truncated, architecture, end: i };
}

/** A row that starts like a frame row (an address or a frame number) but does not finish. */
function looksLikeCutRow(text: string): boolean {
  return (
    /^\s*(?:[0-9a-fA-F]{2,4}\s+)?[0-9a-fA-F`]{1,17}(?:\s|$)/.test(text) || /^\s*[0-9a-fA-F]{2,4}$/.test(text)
  );
}

/** Parses the output of a `k`-family command or a `STACK_TEXT:` block. */
export function parseStack(text: string): StackResult {
  const reader = new Reader('stack', 'k (or kb, kn, kp, kv, kc)', text);
  const lines = prepare(text);
  let start = 0;
  while (start < lines.length && (lines[start]?.text.trim() ?? '') === '') start += 1;
  if (/^STACK_TEXT:/.test(lines[start]?.text ?? '')) {
    const after = (lines[start]?.text ?? '').replace(/^STACK_TEXT:\s*/, '');
    if (after === '') start += 1;
  }
  const block = readFrames(lines, start, reader, true);
  const rest = filled(lines.slice(block.end));
  if (block.frames.length === 0) throw reader.fail('it holds no stack frame', filled(lines)[0]);
  if (rest.length > 0) throw reader.fail('a line after the stack is not a stack frame', rest[0]);
  return built(StackResult, {
    architecture: block.architecture,
    frames: block.frames,
    truncated: block.truncated,
  });
}
