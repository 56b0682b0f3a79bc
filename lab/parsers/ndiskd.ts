/**
 * NDIS debugger extension output: `!ndiskd.pendingnbls` (who holds pending NET_BUFFER_LISTs)
 * and `!ndiskd.miniport <handle>` (a miniport's state).
 */
import { z } from 'zod';
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

/** Parses `!ndiskd.miniport <handle>` output. */
export function parseMiniport(text: string): MiniportResult {
  const reader = new Reader('miniport', '!ndiskd.miniport <handle>', text);
  const lines = filled(prepare(text));
  const first = lines[0];
  if (!first) throw reader.fail('it is empty');
  const fields: Record<string, string> = {};
  const flags: string[] = [];
  for (const line of lines.slice(1) as Line[]) {
    const t = line.text.trim();
    if (/^[A-Z0-9_]+(?:,\s*[A-Z0-9_]+)*,?$/.test(t)) {
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
        t,
      );
    if (kv) {
      fields[(kv[1] ?? kv[3] ?? '').trim()] = (kv[2] ?? kv[4] ?? '').trim();
      continue;
    }
    throw reader.fail('a line is not a "Label   value" line of !ndiskd.miniport', line);
  }
  if (!('Ndis handle' in fields) && !('Miniport' in fields))
    throw reader.fail('it has no "Ndis handle" or "Miniport" line', first);
  const num = (k: string) =>
    fields[k] !== undefined && /^\d+$/.test(fields[k] ?? '') ? Number(fields[k]) : null;
  const str = (k: string) => fields[k] ?? null;
  return built(MiniportResult, {
    name: first.text.trim(),
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
