/**
 * `!pte <address>`: one entry per paging level (PXE, PPE, PDE, PTE), with its address, its
 * contents, and the PFN and flags of the third line (or "not valid").
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull } from './hex.js';
import { filled, prepare, Reader } from './text.js';

export const PteLevel = z.object({
  level: z.enum(['PXE', 'PPE', 'PDE', 'PTE']),
  address: Hex,
  contents: Hex.nullable(),
  pfn: Hex.nullable(),
  flags: z.string().nullable(),
  /** False for "not valid", true when the flags end in V, null when the line shows neither. */
  valid: z.boolean().nullable(),
  /** Anything else the third line says for this level (`LARGE PAGE`, `Transition: …`). */
  note: z.string().nullable(),
});
export type PteLevel = z.infer<typeof PteLevel>;

export const PteResult = z.object({
  va: Hex.nullable(),
  levels: z.array(PteLevel),
});
export type PteResult = z.infer<typeof PteResult>;

/** Parses `!pte` output. */
export function parsePte(text: string): PteResult {
  const reader = new Reader('pte', '!pte <address>', text);
  const lines = filled(prepare(text));
  let va: string | null = null;
  let i = 0;
  const vaLine = /^VA ([0-9a-fA-F`]+)$/.exec(lines[0]?.text.trim() ?? '');
  if (vaLine) {
    va = hexOrNull(vaLine[1] ?? '');
    i = 1;
  }
  // Older debuggers start the levels line with the address: `801544F4  - PDE at C0300800 …`.
  const oldVa = /^([0-9a-fA-F`]{8,17})\s+-\s+(?:PXE|PPE|PDE|PTE) at /.exec(lines[i]?.text.trim() ?? '');
  if (oldVa && va === null) va = hexOrNull(oldVa[1] ?? '');
  const at = lines[i];
  if (!at) throw reader.fail('it has no "PXE at …" line');
  const levels: PteLevel[] = [];
  const atRe = /\b(PXE|PPE|PDE|PTE) at ([0-9a-fA-F`]+)/g;
  for (let m = atRe.exec(at.text); m !== null; m = atRe.exec(at.text)) {
    levels.push({
      level: m[1] as PteLevel['level'],
      address: hexOrNull(m[2] ?? '') as string,
      contents: null,
      pfn: null,
      flags: null,
      valid: null,
      note: null,
    });
  }
  if (levels.length === 0)
    throw reader.fail('the line for the paging levels names none of PXE, PPE, PDE, PTE', at);
  const contains = lines[i + 1];
  if (contains) {
    const values = [...contains.text.matchAll(/contains ([0-9a-fA-F`]+)/g)].map((m) => hexOrNull(m[1] ?? ''));
    if (values.length === 0)
      throw reader.fail('the line after the paging levels has no "contains" values', contains);
    values.forEach((v, n) => {
      const level = levels[n];
      if (level) level.contents = v;
    });
  }
  const states = lines[i + 2];
  if (states) {
    // Every `pfn` shown must be read with its flags, or the levels would be matched to the wrong
    // values (a page whose flag columns were mangled shows `pfn 228d84 - -DA - UWEV`).
    const shown = states.text.match(/\bpfn\b/g)?.length ?? 0;
    const readable = states.text.match(/\bpfn [0-9a-fA-F]+\s+[-A-Z]{6,}/g)?.length ?? 0;
    if (shown !== readable)
      throw reader.fail('a "pfn" on the third line has no flags that can be read', states);
    const segRe = /pfn ([0-9a-fA-F]+)\s+([-A-Z]{6,})|not valid|LARGE PAGE/g;
    let n = 0;
    for (let m = segRe.exec(states.text); m !== null && n < levels.length; m = segRe.exec(states.text)) {
      const level = levels[n] as PteLevel;
      if (m[0] === 'not valid') {
        level.valid = false;
      } else if (m[0] === 'LARGE PAGE') {
        level.note = 'LARGE PAGE';
        continue;
      } else {
        level.pfn = hexOrNull(m[1] ?? '');
        level.flags = m[2] ?? null;
        level.valid = (m[2] ?? '').endsWith('V');
      }
      n += 1;
    }
    if (n === 0) throw reader.fail('the third line has neither "pfn …" nor "not valid"', states);
    const rest = lines.slice(i + 3).map((l) => l.text.trim());
    const lastLevel = levels[n - 1];
    if (rest.length > 0 && lastLevel) lastLevel.note = rest.join('\n');
  }
  return built(PteResult, { va, levels });
}
