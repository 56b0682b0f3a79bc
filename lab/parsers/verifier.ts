/**
 * `!verifier [flags]` (not 100): the verify level, the options it enables (names as printed),
 * the statistics, and the driver verification list. Reads the Windows 7 layout
 * (`Verify Level 9bb ... enabled options are:` + indented names, one `Entry State NonPagedPool
 * PagedPool Module` row per driver) and the later flag table (`Verify Flags Level 0x…` +
 * `[X] (0x…) Name` rows, then one block per driver headed `MODULE: 0x… name (state)` or
 * `nt!_VF_TARGET_DRIVER 0x…: name (state)` whose `Current Pool Bytes: ( nonpaged / paged )` line
 * gives the same two values as the older row). Both layouts are read from captures
 * (lab/parsers/corpus/verifier).
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull } from './hex.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const VerifierResult = z.object({
  flags: Hex.nullable(),
  enabled: z.array(z.string()),
  /** Options the flag table lists as not enabled (`[ ]` rows); empty for the older layout. */
  disabled: z.array(z.string()),
  statistics: z.record(z.string(), z.string()),
  drivers: z.array(
    z.object({ entry: Hex, state: z.string(), nonPagedPool: Hex, pagedPool: Hex, module: z.string() }),
  ),
  truncated: z.boolean(),
});
export type VerifierResult = z.infer<typeof VerifierResult>;

/** Parses `!verifier` (flags other than 100) output. */
export function parseVerifier(text: string): VerifierResult {
  const reader = new Reader('verifier', '!verifier', text);
  const lines = filled(prepare(text));
  let flags: string | null = null;
  const enabled: string[] = [];
  const disabled: string[] = [];
  const statistics: Record<string, string> = {};
  const drivers: VerifierResult['drivers'] = [];
  let section: 'options' | 'table' | 'stats' | 'drivers' | 'other' | null = null;
  let listAt = -1;
  /** A flag-table module block whose `Current Pool Bytes` line has not been read yet. */
  let pending: Omit<VerifierResult['drivers'][number], 'nonPagedPool' | 'pagedPool'> | null = null;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    // The command typed without a prompt (`!verifier` on a line of its own, as a web page shows it).
    if (i === 0 && /^!verifier(?:\s.*)?$/.test(t)) continue;
    const level = /^Verify Level ([0-9a-fA-F]+) \.\.\. enabled options are:$/.exec(t);
    if (level) {
      flags = hexOrNull(level[1] ?? '');
      section = 'options';
      continue;
    }
    const table = /^Verify Flags Level (0x[0-9a-fA-F]+)$/.exec(t);
    if (table) {
      flags = hexOrNull(table[1] ?? '');
      section = 'table';
      continue;
    }
    if (t === 'Summary of All Verifier Statistics') {
      section = 'stats';
      continue;
    }
    // `## ` is a markdown heading mark a page put inside its code block.
    if (/^(?:## )?Driver Verification List$/.test(t)) {
      section = 'drivers';
      listAt = i;
      continue;
    }
    // The flag-table layout underlines the heading.
    if (section === 'drivers' && i === listAt + 1 && /^-+$/.test(t)) continue;
    if (/^-{10,}$/.test(t)) {
      section = 'other';
      continue;
    }
    if (section === 'options' && line.text !== t) {
      enabled.push(t);
      continue;
    }
    if (section === 'table') {
      const row = /^\[([ Xx])\] (?:\((0x[0-9a-fA-F]+)\) )?(.+)$/.exec(t);
      if (row) {
        if (/Indicates flag is enabled/.test(row[3] ?? '')) continue;
        (row[1] === ' ' ? disabled : enabled).push((row[3] ?? '').trim());
        continue;
      }
      // `RESERVED FLAGS (use of these flags is unsupported):` on current debuggers.
      if (/^(?:STANDARD|ADDITIONAL|INTERNAL|RESERVED) FLAGS(?: \([^)]*\))?:$/.test(t)) continue;
    }
    if (section === 'stats' || section === 'options' || section === 'table') {
      const stat = /^(.+?)\s+(0x[0-9a-fA-F]+(?: for [0-9a-fA-F]+ bytes)?)$/.exec(t);
      if (stat) {
        statistics[stat[1] ?? ''] = stat[2] ?? '';
        section = 'stats';
        continue;
      }
    }
    if (section === 'drivers') {
      const block =
        /^MODULE: (0x[0-9a-fA-F`]+) (\S+) \((.+)\)$/.exec(t) ??
        /^nt!_VF_TARGET_DRIVER (0x[0-9a-fA-F`]+): (\S+) \((.+)\)$/.exec(t);
      if (block) {
        pending = {
          entry: hexOrNull(block[1] ?? '') as string,
          module: block[2] ?? '',
          state: block[3] ?? '',
        };
        continue;
      }
      const bytes = /^Current Pool Bytes:\s*\(\s*(0x[0-9a-fA-F]+)\s*\/\s*(0x[0-9a-fA-F]+)\s*\)$/.exec(t);
      if (bytes && pending) {
        drivers.push({
          entry: pending.entry,
          state: pending.state,
          nonPagedPool: hexOrNull(bytes[1] ?? '') as string,
          pagedPool: hexOrNull(bytes[2] ?? '') as string,
          module: pending.module,
        });
        pending = null;
        continue;
      }
      const d = /^([0-9a-fA-F`]{8,17}) (\w+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(\S+)$/.exec(t);
      if (d) {
        drivers.push({
          entry: hexOrNull(d[1] ?? '') as string,
          state: d[2] ?? '',
          nonPagedPool: hexOrNull(d[3] ?? '') as string,
          pagedPool: hexOrNull(d[4] ?? '') as string,
          module: d[5] ?? '',
        });
        continue;
      }
      // Per-driver detail (pool counters, allocation lists) follows each entry.
      continue;
    }
    if (section === 'other') continue;
    if (i === lines.length - 1 && flags !== null)
      return built(VerifierResult, { flags, enabled, disabled, statistics, drivers, truncated: true });
    throw reader.fail('a line is not part of the !verifier summary', line);
  }
  if (flags === null)
    throw reader.fail('it has no "Verify Level …" or "Verify Flags Level …" line', lines[0]);
  // A module block cut before its pool bytes is dropped, as a cut-off row is.
  return built(VerifierResult, {
    flags,
    enabled,
    disabled,
    statistics,
    drivers,
    truncated: pending !== null,
  });
}
