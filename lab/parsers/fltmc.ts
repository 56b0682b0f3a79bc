/**
 * `fltmc filters` and `fltmc instances`: tables whose columns come from the dashed line, because
 * cells can be empty (legacy filters have no instance count, unnamed volumes no name) or hold
 * spaces (`UCPD - Top Instance`).
 */
import * as z from 'zod';
import { built } from './built.js';
import { cellsOf, type Span, spansOf } from './columns.js';
import { filled, type Line, prepare, Reader } from './text.js';

/** Altitudes stay strings: they are decimals (`385250.5`, `389998.99`) compared as such. */
const Altitude = z.string().regex(/^\d+(?:\.\d+)?$/);
const FrameNo = z.union([z.number().int().nonnegative(), z.literal('legacy')]);

export const FltmcFiltersResult = z.object({
  filters: z.array(
    z.object({
      name: z.string(),
      instances: z.number().int().nullable(),
      /** Null for a legacy filter that registered no altitude (its row shows only `<Legacy>`). */
      altitude: Altitude.nullable(),
      frame: FrameNo,
    }),
  ),
  truncated: z.boolean(),
});
export type FltmcFiltersResult = z.infer<typeof FltmcFiltersResult>;

export const FltmcInstancesResult = z.object({
  instances: z.array(
    z.object({
      filter: z.string(),
      volume: z.string().nullable(),
      altitude: Altitude,
      instance: z.string(),
      frame: FrameNo,
      supportedFeatures: z.string().nullable(),
      volumeStatus: z.string().nullable(),
    }),
  ),
  truncated: z.boolean(),
});
export type FltmcInstancesResult = z.infer<typeof FltmcInstancesResult>;

interface Table {
  header: string[];
  rows: { cells: string[]; line: Line }[];
}

function readTable(lines: Line[], reader: Reader, expect: RegExp): Table {
  const dashAt = lines.findIndex((l) => spansOf(l.text) !== null);
  const dashed = lines[dashAt];
  const headerLine = lines[dashAt - 1];
  if (dashAt < 1 || !dashed || !headerLine)
    throw reader.fail('it has no header line over a dashed line', lines[0]);
  if (!expect.test(headerLine.text.trim()))
    throw reader.fail('the header line does not name the expected columns', headerLine);
  const spans = spansOf(dashed.text) as Span[];
  const header = cellsOf(headerLine.text, spans).map((h) => h.trim());
  const rows = lines.slice(dashAt + 1).map((line) => ({ cells: cellsOf(line.text, spans), line }));
  return { header, rows };
}

function frameOf(text: string): number | 'legacy' | null {
  if (/^<Legacy>$/i.test(text)) return 'legacy';
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** Parses `fltmc filters` output. */
export function parseFltmcFilters(text: string): FltmcFiltersResult {
  const reader = new Reader('fltmc-filters', 'fltmc filters', text);
  const lines = filled(prepare(text));
  const table = readTable(lines, reader, /^Filter Name\s+Num Instances\s+Altitude\s+Frame$/);
  const filters: FltmcFiltersResult['filters'] = [];
  let truncated = false;
  table.rows.forEach(({ cells, line }, n) => {
    const [name = '', instances = '', altitude = '', frame = ''] = cells;
    const f = frameOf(frame.trim());
    const noAltitude = f === 'legacy' && altitude.trim() === '';
    const ok =
      name !== '' &&
      (noAltitude || /^\d+(?:\.\d+)?$/.test(altitude.trim())) &&
      f !== null &&
      (instances === '' || /^\d+$/.test(instances.trim()));
    if (!ok) {
      if (n === table.rows.length - 1) {
        truncated = true;
        return;
      }
      throw reader.fail('a row does not have a filter name, an altitude and a frame in its columns', line);
    }
    filters.push({
      name: name.trim(),
      instances: instances === '' ? null : Number(instances),
      altitude: noAltitude ? null : altitude.trim(),
      frame: f as number | 'legacy',
    });
  });
  return built(FltmcFiltersResult, { filters, truncated });
}

const WIDE_INSTANCE =
  /^(\S+)\s+(?:(\S+)\s+)?(\d+(?:\.\d+)?)\s+(\S.*?)\s+(\d+|<Legacy>)(?:\s+([0-9a-fA-F]{8}))?(?:\s+(\S+))?$/;

/** Parses `fltmc instances` output (with or without the Volume Name column). */
export function parseFltmcInstances(text: string): FltmcInstancesResult {
  const reader = new Reader('fltmc-instances', 'fltmc instances', text);
  const lines = filled(prepare(text));
  const table = readTable(lines, reader, /^Filter\s+(?:Volume Name\s+)?Altitude\s+Instance Name\s+Frame/);
  const col = (name: string) => table.header.indexOf(name);
  const iFilter = col('Filter');
  const iVolume = col('Volume Name');
  const iAltitude = col('Altitude');
  const iInstance = col('Instance Name');
  const iFrame = col('Frame');
  const iFeatures = col('SprtFtrs');
  const iStatus = col('VlStatus');
  const instances: FltmcInstancesResult['instances'] = [];
  let truncated = false;
  table.rows.forEach(({ cells, line }, n) => {
    const at = (i: number) => (i < 0 ? '' : (cells[i] ?? '').trim());
    const f = frameOf(at(iFrame));
    const ok =
      at(iFilter) !== '' && /^\d+(?:\.\d+)?$/.test(at(iAltitude)) && at(iInstance) !== '' && f !== null;
    // An instance name wider than its column pushes the frame and the rest to the right: such a
    // row is read by its words (the filter, the volume, the altitude, the name, the frame).
    const wide = ok ? null : WIDE_INSTANCE.exec(line.text.trim());
    if (wide && !(n === table.rows.length - 1 && wide[6] === undefined && iFeatures >= 0)) {
      instances.push({
        filter: wide[1] ?? '',
        volume: wide[2] ?? null,
        altitude: wide[3] ?? '',
        instance: wide[4] ?? '',
        frame: frameOf(wide[5] ?? '') as number | 'legacy',
        supportedFeatures: wide[6] ?? null,
        volumeStatus: wide[7] ?? null,
      });
      return;
    }
    if (!ok) {
      if (n === table.rows.length - 1) {
        truncated = true;
        return;
      }
      throw reader.fail(
        'a row does not have a filter, an altitude, an instance name and a frame in its columns',
        line,
      );
    }
    instances.push({
      filter: at(iFilter),
      volume: at(iVolume) === '' ? null : at(iVolume),
      altitude: at(iAltitude),
      instance: at(iInstance),
      frame: f as number | 'legacy',
      supportedFeatures: at(iFeatures) === '' ? null : at(iFeatures),
      volumeStatus: at(iStatus) === '' ? null : at(iStatus),
    });
  });
  return built(FltmcInstancesResult, { instances, truncated });
}
