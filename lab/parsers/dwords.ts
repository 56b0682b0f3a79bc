/**
 * `dd` and `dc` (double words): `fffff800`01e45ce0  00000000 0000bd38 00000000 00000000  ....8...`.
 * Used for small kernel arrays such as nt!MiChargeCommitmentFailures.
 */
import * as z from 'zod';
import { built } from './built.js';
import { ParseError } from './errors.js';
import { Hex } from './hex.js';
import { prepare } from './text.js';

export const DwordRow = z.object({
  address: Hex,
  /** The double words of the row as numbers; a `????????` (memory not readable) is null. */
  values: z.array(z.number().int().nonnegative().nullable()),
});
export type DwordRow = z.infer<typeof DwordRow>;

export const DwordsResult = z.object({ rows: z.array(DwordRow) });
export type DwordsResult = z.infer<typeof DwordsResult>;

const ROW = /^([0-9a-f]{8}`?[0-9a-f]{8}|[0-9a-f]{8})\s+((?:(?:[0-9a-f]{8}|\?{8})(?:\s+|$)){1,4})/i;

/** The rows of a `dd`/`dc` display; text that shows no row is refused. */
export function parseDwords(text: string): DwordsResult {
  const rows: DwordRow[] = [];
  for (const line of prepare(text)) {
    const m = ROW.exec(line.text);
    if (!m) continue;
    const values = (m[2] as string)
      .trim()
      .split(/\s+/)
      .map((v) => (v.startsWith('?') ? null : Number.parseInt(v, 16)));
    rows.push({ address: `0x${(m[1] as string).replace('`', '').toLowerCase()}`, values });
  }
  if (rows.length === 0) {
    throw new ParseError('dwords', 'dd or dc', {
      reason: 'it holds no memory row (an address, then double words)',
      line: null,
      excerpt: text.trim().split(/\r?\n/)[0] ?? '',
    });
  }
  return built(DwordsResult, { rows });
}
