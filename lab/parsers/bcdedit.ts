/**
 * `bcdedit /dbgsettings` (the kernel debugger settings) and `bcdedit /enum` (boot entries).
 * Both print `name` in a 24-character field, then the value; `/enum` groups them under a
 * title underlined with dashes, and continues multi-value elements on indented lines.
 */
import * as z from 'zod';
import { built } from './built.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const BcdDbgSettingsResult = z.object({
  debugtype: z.string().nullable(),
  hostip: z.string().nullable(),
  port: z.number().int().nullable(),
  /** The key as printed (Microsoft's samples print it masked, `XXXXXX.XXXXX…`). */
  key: z.string().nullable(),
  dhcp: z.boolean().nullable(),
  busparams: z.string().nullable(),
  /** Every setting line, by name, value as printed. */
  settings: z.record(z.string(), z.string()),
  /** Whether the English success line was printed (a localized one is kept in `settings`-free `trailer`). */
  completed: z.boolean(),
});
export type BcdDbgSettingsResult = z.infer<typeof BcdDbgSettingsResult>;

const SUCCESS = /^The operation completed successfully\.$/;
const SETTING = /^([a-z][a-z0-9]*)\s+(\S.*)$/i;

/** Parses `bcdedit /dbgsettings` output (and the `Key=…` line `bcdedit /dbgsettings NET …` prints). */
export function parseBcdDbgSettings(text: string): BcdDbgSettingsResult {
  const reader = new Reader('bcdedit-dbgsettings', 'bcdedit /dbgsettings', text);
  const lines = filled(prepare(text));
  const settings: Record<string, string> = {};
  let completed = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    if (SUCCESS.test(t)) {
      completed = true;
      continue;
    }
    const keyLine = /^Key=(\S+)$/.exec(t);
    if (keyLine) {
      settings.key = keyLine[1] ?? '';
      continue;
    }
    const s = SETTING.exec(t);
    if (s && /^[a-z]/.test(t) && !/^[a-z]+ [a-z]+ [a-z]+/i.test(t.replace(/\s{2,}.*/, ''))) {
      settings[(s[1] ?? '').toLowerCase()] = (s[2] ?? '').trim();
      continue;
    }
    // UNCERTAIN (domain brief U12): the success line is localized; only a last line may be one.
    if (i === lines.length - 1 && Object.keys(settings).length > 0) continue;
    throw reader.fail('a line is not a "name   value" setting line', line);
  }
  if (Object.keys(settings).length === 0) throw reader.fail('it has no setting line', lines[0]);
  const port = settings.port;
  const dhcp = settings.dhcp;
  return built(BcdDbgSettingsResult, {
    debugtype: settings.debugtype ?? null,
    hostip: settings.hostip ?? null,
    port: port !== undefined && /^\d+$/.test(port) ? Number(port) : null,
    key: settings.key ?? null,
    dhcp: dhcp === undefined ? null : /^yes$/i.test(dhcp) ? true : /^no$/i.test(dhcp) ? false : null,
    busparams: settings.busparams ?? null,
    settings,
    completed,
  });
}

const Element = z.union([z.string(), z.array(z.string())]);

export const BcdEnumResult = z.object({
  entries: z.array(
    z.object({
      title: z.string(),
      identifier: z.string().nullable(),
      elements: z.record(z.string(), Element),
    }),
  ),
  truncated: z.boolean(),
});
export type BcdEnumResult = z.infer<typeof BcdEnumResult>;

/** Parses `bcdedit /enum` (or plain `bcdedit`) output. */
export function parseBcdEnum(text: string): BcdEnumResult {
  const reader = new Reader('bcdedit-enum', 'bcdedit /enum', text);
  const lines = filled(prepare(text));
  const entries: BcdEnumResult['entries'] = [];
  let truncated = false;
  let lastName: string | null = null;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    const next = lines[i + 1]?.text.trim() ?? '';
    if (/^-{3,}$/.test(next) && !/^-+$/.test(t)) {
      entries.push({ title: t.replace(/^#+\s*/, ''), identifier: null, elements: {} });
      lastName = null;
      i += 1;
      continue;
    }
    const entry = entries[entries.length - 1];
    if (!entry) {
      if (SUCCESS.test(t)) continue;
      throw reader.fail('it does not start with an entry title underlined with dashes', line);
    }
    if (line.text.startsWith(' ') && lastName !== null) {
      const prev = entry.elements[lastName];
      entry.elements[lastName] = Array.isArray(prev) ? [...prev, t] : [prev ?? '', t];
      continue;
    }
    const s = SETTING.exec(t);
    if (s && line.text === t) {
      const name = s[1] ?? '';
      const value = (s[2] ?? '').trim();
      if (name === 'identifier') entry.identifier = value;
      else entry.elements[name] = value;
      lastName = name === 'identifier' ? null : name;
      continue;
    }
    if (SUCCESS.test(t)) continue;
    if (i === lines.length - 1) {
      truncated = true;
      continue;
    }
    throw reader.fail('a line is not a "name   value" element of a boot entry', line);
  }
  if (entries.length === 0) throw reader.fail('it has no boot entry', lines[0]);
  return built(BcdEnumResult, { entries, truncated });
}
