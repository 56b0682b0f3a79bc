/**
 * NDIS debugger extension output: `!ndiskd.pendingnbls` (who holds pending NET_BUFFER_LISTs)
 * and `!ndiskd.miniport <handle>` (a miniport's state).
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull } from './hex.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const PendingNblsResult = z.object({
  /** False when the extension says NBL tracking is not enabled on the target. */
  trackingEnabled: z.boolean(),
  pools: z.number().int().nullable(),
  freed: z.number().int().nullable(),
  pending: z.number().int().nullable(),
  total: z.number().int().nullable(),
  rows: z.array(
    z.object({ nbl: Hex, heldBy: Hex, holderName: z.string(), holderType: z.string().nullable() }),
  ),
  /** True when the listed rows are all the pending NBLs the summary counts. */
  complete: z.boolean(),
  /** Lines the output holds that are not NBL rows or phase lines, as printed. */
  notes: z.array(z.string()),
});
export type PendingNblsResult = z.infer<typeof PendingNblsResult>;

/** Parses `!ndiskd.pendingnbls` output. */
export function parsePendingNbls(text: string): PendingNblsResult {
  const reader = new Reader('pendingnbls', '!ndiskd.pendingnbls', text);
  const lines = filled(prepare(text));
  if (lines.some((l) => /requires NBL tracking to be enabled/.test(l.text))) {
    return built(PendingNblsResult, {
      trackingEnabled: false,
      pools: null,
      freed: null,
      pending: null,
      total: null,
      rows: [],
      complete: false,
      notes: lines.map((l) => l.text.trim()),
    });
  }
  let pools: number | null = null;
  let freed: number | null = null;
  let pending: number | null = null;
  let total: number | null = null;
  let sawPhase = false;
  const rows: PendingNblsResult['rows'] = [];
  const notes: string[] = [];
  for (const line of lines as Line[]) {
    const t = line.text.trim();
    const p1 = /^PHASE 1\/3: Found (\d+) NBL pool\(s\)\.$/.exec(t);
    const p2 = /^PHASE 2\/3: Found (\d+) freed NBL\(s\)\.$/.exec(t);
    const p3 = /^PHASE 3\/3: Found (\d+) pending NBL\(s\) of (\d+) total NBL\(s\)\.$/.exec(t);
    if (p1) pools = Number(p1[1]);
    if (p2) freed = Number(p2[1]);
    if (p3) {
      pending = Number(p3[1]);
      total = Number(p3[2]);
    }
    if (p1 || p2 || p3) {
      sawPhase = true;
      continue;
    }
    if (/^Pending Nbl\s+Currently held by$/.test(t) || t === 'Search complete.') continue;
    const row = /^([0-9a-fA-F`]{8,17})\s+([0-9a-fA-F`]{8,17}) - (.+?)(?:\s+\[(\w+)\])?$/.exec(t);
    if (row) {
      rows.push({
        nbl: hexOrNull(row[1] ?? '') as string,
        heldBy: hexOrNull(row[2] ?? '') as string,
        holderName: (row[3] ?? '').trim(),
        holderType: row[4] ?? null,
      });
      continue;
    }
    notes.push(t);
  }
  if (!sawPhase && rows.length === 0)
    throw reader.fail('it has neither PHASE lines nor "Pending Nbl" rows', lines[0]);
  return built(PendingNblsResult, {
    trackingEnabled: true,
    pools,
    freed,
    pending,
    total,
    rows,
    complete: pending !== null && rows.length === pending,
    notes,
  });
}

export const MiniportResult = z.object({
  name: z.string(),
  /** Every `Label   value` line, by label, value as printed. */
  fields: z.record(z.string(), z.string()),
  ndisHandle: Hex.nullable(),
  state: z.string().nullable(),
  devicePnp: z.string().nullable(),
  operationalStatus: z.string().nullable(),
  operationalFlags: z.string().nullable(),
  adminStatus: z.string().nullable(),
  media: z.string().nullable(),
  power: z.string().nullable(),
  references: z.number().int().nullable(),
  totalResets: z.number().int().nullable(),
  /** The comma-separated flag words (`SUPPORTS_MEDIA_SENSE, DOES_NOT_DO_LOOPBACK`). */
  flags: z.array(z.string()),
});
export type MiniportResult = z.infer<typeof MiniportResult>;

/** Link words current ndiskd prints after a value (`Device PnP  Started  Show state history`). */
const LINK = /\s{2,}(?:More information|Show state history|Show detail)$/;
/** A section heading of the current layout, at the left margin (`MINIPORT`, `STATE`, `MORE INFORMATION`). */
const SECTION = /^[A-Z]+(?: [A-Z&]+)*$/;
/** The sections whose `Label  value` lines the result holds; the others list other objects. */
const READ_SECTIONS = new Set(['MINIPORT', 'STATE']);

/**
 * Parses `!ndiskd.miniport <handle>` output, also as current ndiskd prints it (the same report
 * under `!ndiskd.netadapter <handle>`): `MINIPORT` (the name, then its labels), `STATE`, and
 * sections listing other objects (`BINDINGS`, `WDI`, `MORE INFORMATION`), which are skipped.
 */
export function parseMiniport(text: string): MiniportResult {
  const reader = new Reader('miniport', '!ndiskd.miniport <handle>', text);
  const lines = filled(prepare(text));
  const first = lines[0];
  if (!first) throw reader.fail('it is empty');
  const fields: Record<string, string> = {};
  const flags: string[] = [];
  const sectioned = SECTION.test(first.text);
  let section = sectioned ? first.text : '';
  let name = sectioned ? null : first.text.trim();
  let last: string | null = null;
  for (const line of lines.slice(1) as Line[]) {
    const t = line.text.trim();
    if (sectioned && line.text === t && SECTION.test(t)) {
      section = t;
      last = null;
      continue;
    }
    if (sectioned && !READ_SECTIONS.has(section)) continue;
    if (name === null) {
      name = t;
      continue;
    }
    if (/^[A-Z0-9_]+(?:,\s*[A-Z0-9_]+)*,?$/.test(t)) {
      // The rest of a list the line above left open with a comma, or a flags line of its own.
      const open = last !== null && (fields[last] ?? '').endsWith(',');
      if (open && last !== null) fields[last] = `${fields[last]} ${t}`;
      if (!open || last === 'Flags')
        flags.push(
          ...t
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        );
      continue;
    }
    const kv =
      /^([A-Za-z][A-Za-z /]*?[A-Za-z])\s{2,}(\S.*)$|^(Operational (?:status|flags)|Ndis handle|Media type)\s+(\S.*)$/.exec(
        t.replace(LINK, ''),
      );
    if (kv) {
      const value = (kv[2] ?? kv[4] ?? '').trim();
      last = (kv[1] ?? kv[3] ?? '').trim();
      fields[last] = value;
      if (last === 'Flags')
        flags.push(
          ...value
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        );
      continue;
    }
    throw reader.fail('a line is not a "Label   value" line of !ndiskd.miniport', line);
  }
  if (name === null) throw reader.fail('it has a MINIPORT heading but no miniport under it', first);
  if (!('Ndis handle' in fields) && !('Miniport' in fields))
    throw reader.fail('it has no "Ndis handle" or "Miniport" line', first);
  // Current ndiskd marks a decimal count `0n10`.
  const num = (k: string) => {
    const m = /^(?:0n)?(\d+)$/.exec(fields[k] ?? '');
    return m ? Number(m[1]) : null;
  };
  const str = (k: string) => fields[k] ?? null;
  return built(MiniportResult, {
    name,
    fields,
    ndisHandle:
      fields['Ndis handle'] === undefined ? null : hexOrNull(fields['Ndis handle'].split(/\s+/)[0] ?? ''),
    state: str('Miniport'),
    devicePnp: str('Device PnP'),
    operationalStatus: str('Operational status'),
    operationalFlags: str('Operational flags'),
    adminStatus: str('Admin status'),
    media: str('Media'),
    power: str('Power'),
    references: num('References'),
    totalResets: num('Total resets'),
    flags,
  });
}
