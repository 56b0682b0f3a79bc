/**
 * What kd prints for `dd` / `dc` (double words): `fffff800`01e45ce0  00000000 0000bd38 … ....8...`.
 * Used to read small kernel arrays such as nt!MiChargeCommitmentFailures.
 */
import { z } from 'zod';
import { ParseError } from '../parsers/errors.js';

export const DwordRows = z.array(
  z.object({ address: z.string().regex(/^0x[0-9a-f]+$/), values: z.array(z.number().int().nonnegative()) }),
);
export type DwordRows = z.infer<typeof DwordRows>;

/** The rows of a `dd`/`dc` display; text that shows no row is an error. */
export function parseDwords(text: string): DwordRows {
  const rows: DwordRows = [];
  for (const raw of text.replace(/\u00a0/g, ' ').split(/\r?\n/)) {
    const m = /^\s*([0-9a-f]{8}`?[0-9a-f]{8}|[0-9a-f]{8})\s+((?:[0-9a-f?]{8}\s*){1,4})/i.exec(raw);
    if (!m) continue;
    const values = (m[2] as string)
      .trim()
      .split(/\s+/)
      .filter((v) => /^[0-9a-f]{8}$/i.test(v))
      .map((v) => Number.parseInt(v, 16));
    rows.push({ address: `0x${(m[1] as string).replace('`', '').toLowerCase()}`, values });
  }
  if (rows.length === 0) {
    throw new ParseError('dwords', 'dd or dc', {
      reason: 'it holds no memory row (an address, then double words)',
      line: null,
      excerpt: text.trim().split(/\r?\n/)[0] ?? '',
    });
  }
  return DwordRows.parse(rows);
}

/** The first `count` double words of a display, in order. */
export function dwords(rows: DwordRows, count: number): number[] {
  return rows.flatMap((r) => r.values).slice(0, count);
}
