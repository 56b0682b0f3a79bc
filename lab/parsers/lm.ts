/**
 * `lm` (and `lm m pattern`, `lmv`): loaded modules with start, end, name and symbol state, and
 * the unloaded modules list.
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull } from './hex.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const LoadedModule = z.object({
  start: Hex,
  end: Hex,
  name: z.string(),
  /** The symbol state in parentheses: `deferred`, `pdb symbols`, `no symbols`, `export symbols`… */
  symbols: z.string().nullable(),
  /** The one-letter symbol status flag before it (`T`, `C`, `M`, `#`), else null. */
  symbolFlag: z.string().nullable(),
  symbolFile: z.string().nullable(),
  /** `lmv` detail lines (`Image path: …`), by label. */
  details: z.record(z.string(), z.string()),
});
export type LoadedModule = z.infer<typeof LoadedModule>;

export const LmResult = z.object({
  modules: z.array(LoadedModule),
  unloaded: z.array(z.object({ start: Hex, end: Hex, name: z.string() })),
  truncated: z.boolean(),
});
export type LmResult = z.infer<typeof LmResult>;

const ROW =
  /^([0-9a-fA-F]{8}`?(?:[0-9a-fA-F]{8})?)\s+([0-9a-fA-F]{8}`?(?:[0-9a-fA-F]{8})?)\s+(\S+)(?:\s+(.*))?$/;
const SYMBOLS = /^(?:([A-Z#]) )?\(([^)]+)\)\s*(.*)$/;

/** Parses `lm` output. */
export function parseLm(text: string): LmResult {
  const reader = new Reader('lm', 'lm', text);
  const lines = filled(prepare(text));
  const modules: LoadedModule[] = [];
  const unloaded: z.infer<typeof LmResult>['unloaded'] = [];
  let section: 'loaded' | 'unloaded' = 'loaded';
  let sawHeader = false;
  let truncated = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    if (/^start\s+end\s+module name$/.test(t)) {
      sawHeader = true;
      continue;
    }
    if (t === 'Unloaded modules:') {
      section = 'unloaded';
      continue;
    }
    const row = ROW.exec(t);
    if (row && line.text === line.text.trimStart()) {
      const start = hexOrNull(row[1] ?? '') as string;
      const end = hexOrNull(row[2] ?? '') as string;
      if (section === 'unloaded') {
        unloaded.push({ start, end, name: row[3] ?? '' });
        continue;
      }
      const rest = (row[4] ?? '').trim();
      const s = SYMBOLS.exec(rest);
      if (rest !== '' && !s && /^(?:[A-Z#] )?\(/.test(rest)) {
        if (i === lines.length - 1) {
          truncated = true;
          continue;
        }
        throw reader.fail('a module line has no symbol state in parentheses', line);
      }
      // The last row without the symbol state its siblings print was cut inside its name.
      const previous = modules[modules.length - 1];
      if (rest === '' && i === lines.length - 1 && previous !== undefined && previous.symbols !== null) {
        truncated = true;
        continue;
      }
      modules.push({
        start,
        end,
        name: row[3] ?? '',
        symbols: s?.[2] ?? null,
        symbolFlag: s?.[1] ?? null,
        // A module with loaded symbols may print the symbol file without a state in parentheses.
        symbolFile: s ? s[3] || null : rest === '' ? null : rest,
        details: {},
      });
      continue;
    }
    const detail = /^([A-Za-z][\w ]*?):\s+(.*)$/.exec(t);
    const last = modules[modules.length - 1];
    // `lm` with private symbols prints the symbol file on its own indented line under the module.
    if (!detail && last && last.symbolFile === null && line.text !== t && /\.pdb$/i.test(t)) {
      last.symbolFile = t;
      continue;
    }
    if (detail && last && line.text !== t) {
      last.details[detail[1] ?? ''] = detail[2] ?? '';
      continue;
    }
    if (
      last &&
      line.text !== t &&
      /^(?:Browse all global symbols|Image was built with|Information from resource tables)/.test(t)
    )
      continue;
    if (i === lines.length - 1 && (modules.length > 0 || sawHeader)) {
      truncated = true;
      continue;
    }
    throw reader.fail('a line is not a module line of lm ("start end name (symbols)")', line);
  }
  if (!sawHeader && modules.length === 0 && unloaded.length === 0)
    throw reader.fail('it has no "start end module name" header and no module line', lines[0]);
  return built(LmResult, { modules, unloaded, truncated });
}
