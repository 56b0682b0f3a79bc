/**
 * `!pool <address>`: the page, its region, its blocks, and whether the debugger found the page
 * corrupt (the output then changes shape: diagnostics instead of a block list).
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull } from './hex.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const PoolBlock = z.object({
  address: Hex,
  size: Hex,
  /** Null for special pool blocks, which print no previous size. */
  previousSize: Hex.nullable(),
  /** Null when the line shows no (Allocated)/(Free) state, as for special pool blocks. */
  state: z.enum(['allocated', 'free']).nullable(),
  /** The pool type a special pool block prints (`NonPaged`, `Paged`), else null. */
  poolType: z.string().nullable(),
  /** The data address a special pool block prints, else null. */
  data: Hex.nullable(),
  tag: z.string().nullable(),
  /** The block that contains the address asked about (marked `*`). */
  current: z.boolean(),
  /** `Pooltag Irp  : Io, IRP packets` or `Owning component : …` printed under the block. */
  tagDescription: z.string().nullable(),
  protected: z.boolean(),
});
export type PoolBlock = z.infer<typeof PoolBlock>;

export const PoolResult = z.object({
  page: Hex.nullable(),
  region: z.string().nullable(),
  blocks: z.array(PoolBlock),
  corrupt: z.boolean(),
  /** What the debugger printed about an unreadable or corrupt page, line by line. */
  diagnostics: z.array(z.string()),
  truncated: z.boolean(),
});
export type PoolResult = z.infer<typeof PoolResult>;

const PAGE = /^Pool page ([0-9a-fA-F`]+) region is (.+)$/;
const BLOCK =
  /^(\*)?([0-9a-fA-F`]{8,17}) size:\s*([0-9a-fA-F]+) previous size:\s*([0-9a-fA-F]+)\s+\((Allocated|Free)\s*\)\s*(\*)?(.{1,4}?)?(?:\s+Process: [0-9a-fA-F`]+)?(\s+\(Protected\))?\s*$/;
/** A large allocation (a page or more), which has no header: `*ffffc986cb6f2000 : large page allocation, tag is V2lg, size is 0x4000 bytes`. */
const LARGE =
  /^(\*)?([0-9a-fA-F`]{8,17}) : large page allocation, tag is (.{1,4}), size is (0x[0-9a-fA-F]+) bytes$/;
const SPECIAL =
  /^(\*)?([0-9a-fA-F`]{8,17}) size:\s*([0-9a-fA-F]+) data: ([0-9a-fA-F`]+) \((\w+)\)\s*(\*)?(.{1,4})?\s*$/;
const DESCRIPTION = /^(?:Pooltag .{1,4}\s*:|Owning component\s*:)\s*(.*)$/;
const CORRUPT =
  /An error \(or corruption\) in the pool was detected|is __inVALID|is freed \(or corrupt\) pool/;

/** Parses `!pool` output. */
export function parsePool(text: string): PoolResult {
  const reader = new Reader('pool', '!pool <address>', text);
  const lines = filled(prepare(text));
  const first = lines[0];
  if (!first) throw reader.fail('it is empty');
  const pageMatch = PAGE.exec(first.text.trim());
  // Debuggers before Windows Vista print the blocks without the "Pool page" line.
  const headless =
    !pageMatch &&
    (BLOCK.test(first.text.trim()) || SPECIAL.test(first.text.trim()) || LARGE.test(first.text.trim()));
  if (!pageMatch && !headless)
    throw reader.fail('it does not start with "Pool page … region is …" nor with a pool block', first);
  const blocks: PoolBlock[] = [];
  const diagnostics: string[] = [];
  let corrupt = false;
  let truncated = false;
  for (let i = pageMatch ? 1 : 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    const b = BLOCK.exec(t);
    if (b && diagnostics.length === 0) {
      blocks.push({
        address: hexOrNull(b[2] ?? '') as string,
        size: hexOrNull(b[3] ?? '') as string,
        previousSize: hexOrNull(b[4] ?? ''),
        state: b[5] === 'Free' ? 'free' : 'allocated',
        poolType: null,
        data: null,
        tag: (b[7] ?? '').trimEnd() === '' ? null : (b[7] ?? '').trimEnd(),
        current: b[1] === '*',
        tagDescription: null,
        protected: b[8] !== undefined,
      });
      continue;
    }
    const large = LARGE.exec(t);
    if (large && diagnostics.length === 0) {
      blocks.push({
        address: hexOrNull(large[2] ?? '') as string,
        size: hexOrNull(large[4] ?? '') as string,
        previousSize: null,
        state: 'allocated',
        poolType: null,
        data: null,
        tag: (large[3] ?? '').trimEnd() || null,
        current: large[1] === '*',
        tagDescription: null,
        protected: false,
      });
      continue;
    }
    const s = SPECIAL.exec(t);
    if (s && diagnostics.length === 0) {
      blocks.push({
        address: hexOrNull(s[2] ?? '') as string,
        size: hexOrNull(s[3] ?? '') as string,
        previousSize: null,
        state: null,
        poolType: s[5] ?? null,
        data: hexOrNull(s[4] ?? ''),
        tag: (s[7] ?? '').trimEnd() === '' ? null : (s[7] ?? '').trimEnd(),
        current: s[1] === '*',
        tagDescription: null,
        protected: false,
      });
      continue;
    }
    const d = DESCRIPTION.exec(t);
    const last = blocks[blocks.length - 1];
    if (d && last && last.tagDescription === null && diagnostics.length === 0) {
      last.tagDescription = t;
      continue;
    }
    // `!pool <address> 1` prints each block's contents under it: an address and double words.
    if (last && diagnostics.length === 0 && /^[0-9a-fA-F`]{8,17}(?:\s+[0-9a-fA-F]{8}){1,4}$/.test(t))
      continue;
    if (CORRUPT.test(t)) corrupt = true;
    if (
      diagnostics.length > 0 ||
      corrupt ||
      /^[0-9a-fA-F`]{8,17}(?::| doesn't| is )|^if the entire page|^Bad (?:previous|allocation)|^\*\*\* |^Pool page \[|^Analyzing|^\[ |^Scanning|^None found/.test(
        t,
      )
    ) {
      diagnostics.push(t);
      continue;
    }
    if (i === lines.length - 1 && /^\*?[0-9a-fA-F`]{1,17}(?: |$)/.test(t)) {
      truncated = true;
      continue;
    }
    throw reader.fail('a line is neither a pool block nor a message !pool prints', line);
  }
  return built(PoolResult, {
    page: pageMatch ? hexOrNull(pageMatch[1] ?? '') : null,
    region: pageMatch?.[2]?.trim() ?? null,
    blocks,
    corrupt,
    diagnostics,
    truncated,
  });
}
