/**
 * A stack frame as every parser reports it: `{module, function, offset}`, plus what the line
 * showed around it (child SP, return address, arguments, frame number).
 *
 *   nt!KeBugCheckEx            → nt / KeBugCheckEx / null
 *   nt!KiPageFault+0x16e       → nt / KiPageFault / 0x16e
 *   baddriver+0x12be1          → baddriver / null / 0x12be1   (also `baddriver +0x36523`)
 *   0x000007fc`4fe22c5a        → null / null / null           (a bare address)
 *   nt! ?? ::FNODOBFM::`string'+0x33c2b → nt / ?? ::FNODOBFM::`string' / 0x33c2b (BBT names kept as printed)
 */
import * as z from 'zod';
import { Hex, hexOrNull } from './hex.js';

export const Frame = z.object({
  module: z.string().nullable(),
  function: z.string().nullable(),
  offset: Hex.nullable(),
  /** The address printed for a bare-address call site, or the code address of a log entry. */
  address: Hex.nullable().optional(),
  number: z.number().int().nonnegative().optional(),
  childSp: Hex.nullable().optional(),
  retAddr: Hex.nullable().optional(),
  args: z.array(Hex).optional(),
  /** The frame is an inlined function (no frame of its own). */
  inline: z.boolean().optional(),
  /** `[file @ line]` as printed, when the debugger had source information. */
  source: z.string().optional(),
});
export type Frame = z.infer<typeof Frame>;

export interface CallSite {
  module: string | null;
  function: string | null;
  offset: string | null;
  address?: string;
  source?: string;
}

const ANNOTATION =
  /\s*\((?:FPO|CONV|TrapFrame|ExceptionFrame|Inline Function|KTRAP_FRAME|No parameter info)[^()]*(?:\([^()]*\))?[^()]*\)$/i;
const SOURCE = /\s+\[([^\]]*@\s*\d+)\]$/;
const OFFSET = /\s*\+\s*((?:0[xX])?[0-9a-fA-F`]+)$/;
const BARE = /^(?:0x[0-9a-fA-F`]+|[0-9a-fA-F]{8}`?[0-9a-fA-F]{0,8})$/;

/**
 * Reads a call site as the debugger prints it; null when the text is empty. Every non-empty text
 * gives a value: what cannot be split stays whole in `function` or `module`, nothing is invented.
 */
export function parseCallSite(raw: string): CallSite | null {
  let text = raw.trim();
  if (text === '' || !balanced(text)) return null;
  let source: string | undefined;
  if (text.charCodeAt(text.length - 1) === 93 /* ] */) {
    const src = SOURCE.exec(text);
    if (src) {
      source = src[1];
      text = text.slice(0, src.index).trimEnd();
    }
  }
  if (text.charCodeAt(text.length - 1) === 41 /* ) */) {
    for (let i = 0; i < 3 && ANNOTATION.test(text); i += 1) text = text.replace(ANNOTATION, '');
  }
  const site = readSite(text);
  if (site === null) return null;
  if (source !== undefined) site.source = source;
  return site;
}

/** A module name as the debugger prints it: no white space, no punctuation but `._-$@`. */
const MODULE = /^[\w.$@-]+$/;

function readSite(text: string): CallSite | null {
  if (BARE.test(text)) {
    const address = hexOrNull(text);
    return address === null
      ? { module: null, function: null, offset: null }
      : { module: null, function: null, offset: null, address };
  }
  const bang = text.indexOf('!');
  const plus = text.lastIndexOf('+');
  if (bang > 0) {
    const module = text.slice(0, bang);
    // Text before a `!` that cannot be a module (`0x1f8\`d0030000  ← unbacked memory!`) is not
    // a call site: an author's note after a frame, not something to split.
    if (!MODULE.test(module)) return null;
    let rest = text.slice(bang + 1).trim();
    let offset: string | null = null;
    if (plus > bang) {
      const off = OFFSET.exec(rest);
      if (off && off.index > 0) {
        offset = hexOrNull(off[1] ?? '');
        if (offset !== null) rest = rest.slice(0, off.index).trimEnd();
      }
    }
    const paren = rest.indexOf('(');
    if (paren > 0 && rest.endsWith(')') && /[\w>]/.test(rest[paren - 1] ?? '')) rest = rest.slice(0, paren);
    return { module, function: rest === '' ? null : rest, offset };
  }
  if (plus > 0) {
    const off = OFFSET.exec(text);
    if (off && off.index > 0) {
      const offset = hexOrNull(off[1] ?? '');
      const module = text.slice(0, off.index).trim();
      if (offset !== null && module !== '' && !/\s/.test(module)) return { module, function: null, offset };
    }
  }
  if (/\s/.test(text)) return { module: null, function: text, offset: null };
  return { module: text, function: null, offset: null };
}

/** False for a call site cut off inside its parameter list or source brackets. */
function balanced(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91) depth += 1;
    else if (c === 41 || c === 93) {
      depth -= 1;
      if (depth < 0) return false;
    }
  }
  return depth === 0;
}
