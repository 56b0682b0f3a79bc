/**
 * `verifier /querysettings` and `verifier /query`. ⚠ No complete current sample is published:
 * this reads the documented older form (`Option name: Enabled|Disabled` lines, then
 * `Verified drivers:` and names, `None` or `All Drivers`), `/query`'s per-driver blocks
 * (`Name: x.sys, loads: 1, unloads: 0` then that driver's counters), the `Verifier Flags: 0x…` /
 * `Level: …` lines seen in other tools, and `No drivers are currently verified.`; and the current
 * layout seen in a published `/query` (`Timestamp: …`, `Verifier Flags: 0x…`, then `Standard
 * Flags:` / `Additional Flags:` with one `[X] 0x00000001 Special Pool.` row per option, read into
 * `options` by the name printed, its period dropped); any other line is refused.
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull } from './hex.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const VerifierQueryResult = z.object({
  flags: Hex.nullable(),
  options: z.record(z.string(), z.boolean()),
  /** Driver names; an empty list when the output says none are verified; null when it does not say. */
  drivers: z.array(z.string()).nullable(),
  /** True when the settings verify every driver (`All Drivers`, from `verifier … /all`). */
  allDrivers: z.boolean(),
  /** `/query`'s per-driver blocks: loads, unloads and that driver's counters, by driver name. */
  driverStatistics: z.record(
    z.string(),
    z.object({
      loads: z.number().int(),
      unloads: z.number().int(),
      counters: z.record(z.string(), z.string()),
    }),
  ),
  /** `/query` statistics (`RaiseIrqls: 0`). */
  statistics: z.record(z.string(), z.string()),
  /** The `Low Resources Simulation options:` list (`- Fault injection probability: 1/10000.`), as printed. */
  lowResourcesOptions: z.record(z.string(), z.string()),
});
export type VerifierQueryResult = z.infer<typeof VerifierQueryResult>;

/** Parses `verifier /querysettings` or `verifier /query` output. */
export function parseVerifierQuery(text: string): VerifierQueryResult {
  const reader = new Reader('verifier-query', 'verifier /querysettings', text);
  const lines = filled(prepare(text));
  let flags: string | null = null;
  const options: Record<string, boolean> = {};
  const statistics: Record<string, string> = {};
  let drivers: string[] | null = null;
  let allDrivers = false;
  let inDrivers = false;
  const driverStatistics: VerifierQueryResult['driverStatistics'] = {};
  let currentDriver: VerifierQueryResult['driverStatistics'][string] | null = null;
  const lowResourcesOptions: Record<string, string> = {};
  for (const line of lines as Line[]) {
    const t = line.text.trim();
    const f = /^(?:Verifier Flags|Level):\s*(?:0x)?([0-9a-fA-F]+)$/.exec(t);
    if (f) {
      flags = hexOrNull(f[1] ?? '');
      continue;
    }
    // The current layout: the time of the query, the flag groups' headings, one row per option.
    if (/^Timestamp: \S/.test(t)) continue;
    if (/^(?:Standard|Additional|Internal|Reserved) Flags(?: \([^)]*\))?:$/i.test(t)) continue;
    const row = /^\[([ Xx])\] 0x[0-9a-fA-F]+ (.+?)\.?$/.exec(t);
    if (row && !inDrivers) {
      options[(row[2] ?? '').trim()] = row[1] !== ' ';
      continue;
    }
    if (/^No drivers are currently verified\.?$/.test(t)) {
      drivers = [];
      inDrivers = false;
      continue;
    }
    if (/^Verified drivers:$/i.test(t) || /^Driver Verification List:?$/i.test(t)) {
      drivers = drivers ?? [];
      inDrivers = true;
      continue;
    }
    if (inDrivers) {
      if (/^None\.?$/i.test(t)) continue;
      if (/^All Drivers$/i.test(t)) {
        allDrivers = true;
        continue;
      }
      const named = /^Name:\s*(\S+\.(?:sys|dll|exe)),\s*loads:\s*(\d+),\s*unloads:\s*(\d+)$/i.exec(t);
      if (named) {
        drivers?.push(named[1] ?? '');
        currentDriver = { loads: Number(named[2]), unloads: Number(named[3]), counters: {} };
        driverStatistics[named[1] ?? ''] = currentDriver;
        continue;
      }
      const counter = currentDriver ? /^([A-Za-z]\w*):\s*(\S+)$/.exec(t) : null;
      if (currentDriver && counter) {
        currentDriver.counters[counter[1] ?? ''] = counter[2] ?? '';
        continue;
      }
      const module = /^(?:Module:\s*)?(\S+\.(?:sys|dll|exe))\b/i.exec(t);
      if (module) {
        drivers?.push(module[1] ?? '');
        continue;
      }
    }
    const o = /^(.+?):\s*(Enabled|Disabled)$/.exec(t);
    if (o) {
      options[(o[1] ?? '').trim()] = o[2] === 'Enabled';
      continue;
    }
    const s = /^([A-Za-z][\w ]*?):\s*(\S.*)$/.exec(t);
    if (s && !inDrivers) {
      statistics[s[1] ?? ''] = s[2] ?? '';
      continue;
    }
    if (/^\d{1,2}\/\d{1,2}\/\d{4},? \d{1,2}:\d{2}:\d{2}/.test(t)) continue;
    if (t === 'Low Resources Simulation options:') continue;
    const lrs = /^- (.+?): (.+?)\.?$/.exec(t);
    if (lrs) {
      lowResourcesOptions[lrs[1] ?? ''] = lrs[2] ?? '';
      continue;
    }
    throw reader.fail('a line is neither an option, the flags, nor a verified driver', line);
  }
  if (flags === null && Object.keys(options).length === 0 && drivers === null) {
    throw reader.fail('it shows no verifier flags, no option and no driver list', lines[0]);
  }
  return built(VerifierQueryResult, {
    flags,
    options,
    drivers,
    allDrivers,
    driverStatistics,
    statistics,
    lowResourcesOptions,
  });
}
