/**
 * `!poolused [flags [tag]]`: allocations and bytes per pool tag, nonpaged and paged. The last
 * number is printed glued to the tag description (`0UNKNOWN pooltag…`, `01394 OHCI…`), so its
 * end is taken from the header's last `Used` column.
 */
import * as z from 'zod';
import { built } from './built.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const PoolUsedRow = z.object({
  tag: z.string(),
  nonPagedAllocs: z.number().int(),
  nonPagedUsed: z.number().int(),
  pagedAllocs: z.number().int(),
  pagedUsed: z.number().int(),
  description: z.string().nullable(),
});

export const PoolUsedResult = z.object({
  sortedBy: z.string().nullable(),
  rows: z.array(PoolUsedRow),
  total: PoolUsedRow.omit({ description: true, tag: true }).nullable(),
  truncated: z.boolean(),
});
export type PoolUsedResult = z.infer<typeof PoolUsedResult>;

/** Parses `!poolused` output. */
export function parsePoolUsed(text: string): PoolUsedResult {
  const reader = new Reader('poolused', '!poolused', text);
  const lines = filled(prepare(text));
  let sortedBy: string | null = null;
  let usedEnd: number | null = null;
  const rows: z.infer<typeof PoolUsedRow>[] = [];
  let total: PoolUsedResult['total'] = null;
  let truncated = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    const sort = /^Sorting by\s+(.+)$/.exec(t);
    if (sort) {
      sortedBy = sort[1]?.trim() ?? null;
      continue;
    }
    if (t === 'Pool Used:' || /^NonPaged\s+Paged$/.test(t)) continue;
    if (/^Tag\s+Allocs\s+Used\s+Allocs\s+Used$/.test(t)) {
      usedEnd = line.text.lastIndexOf('Used') + 'Used'.length;
      continue;
    }
    const tot = /^TOTAL\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(t);
    if (tot) {
      total = {
        nonPagedAllocs: Number(tot[1]),
        nonPagedUsed: Number(tot[2]),
        pagedAllocs: Number(tot[3]),
        pagedUsed: Number(tot[4]),
      };
      continue;
    }
    if (usedEnd !== null) {
      const row = readRow(line.text, usedEnd);
      if (row) {
        rows.push(row);
        continue;
      }
    }
    if (i === lines.length - 1 && usedEnd !== null) {
      truncated = true;
      continue;
    }
    throw reader.fail(
      usedEnd === null ? 'it has no "Tag Allocs Used Allocs Used" header' : 'a line is not a pool tag row',
      line,
    );
  }
  if (usedEnd === null) throw reader.fail('it has no "Tag Allocs Used Allocs Used" header', lines[0]);
  return built(PoolUsedResult, { sortedBy, rows, total, truncated });
}

function readRow(text: string, usedEnd: number): z.infer<typeof PoolUsedRow> | null {
  const m = /^ ?(.{4}?|\S{1,4})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)(.*)$/.exec(text);
  if (!m) return null;
  // The digits of the last column end at the header's `Used`; what follows is the description.
  const lastStart = text.length - (m[5] ?? '').length - (m[6] ?? '').length;
  const digits = (m[5] ?? '') + (m[6] ?? '');
  let cut = Math.max(1, Math.min((m[5] ?? '').length, usedEnd - lastStart));
  if (usedEnd - lastStart <= 0) cut = (m[5] ?? '').length;
  const used = digits.slice(0, cut);
  const description = digits.slice(cut).trim();
  return {
    tag: (m[1] ?? '').trim(),
    nonPagedAllocs: Number(m[2]),
    nonPagedUsed: Number(m[3]),
    pagedAllocs: Number(m[4]),
    pagedUsed: Number(used),
    description: description === '' ? null : description,
  };
}
