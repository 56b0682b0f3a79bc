/**
 * The file-system filter stack of the simulated guest and `fltmc`, with the frame algorithm of the
 * seed's load-order case ("Understanding File System Minifilter and Legacy Filter Load Order"):
 *
 * - fltmgr creates frame 0 at boot with the default range 0–49999;
 * - a legacy filter attaches on top of the stack, in load order;
 * - a minifilter first extends the topmost frame's range up to the highest legacy filter above
 *   it (with no legacy filter above, the top frame simply grows to the minifilter's altitude); if
 *   its altitude is above that range a new frame is created on top (its range starts where the
 *   frame below ends), otherwise it registers in the highest frame whose range holds it.
 *
 * So with FileInfo, EncryptionLegacy, AVLegacy, AVMiniFilter, luafv loaded in that order all
 * minifilters share frame 0; a NullFilter at 160030 loaded before AVLegacy creates frame 1, which
 * AVMiniFilter then joins.
 */
import { fail, ok, type ToolResult, text } from './tool.js';

export interface MinifilterInstance {
  name: string;
  altitude: string;
  volumes: string[];
  /** The instance name fltmc instances shows (the INF's default instance, or the filter's name). */
  instance: string;
  /** SupportedFeatures bits (fltmc instances' SprtFtrs). */
  supportedFeatures: number;
}

export type StackItem =
  | { kind: 'frame'; id: number; low: string; high: string; filters: MinifilterInstance[] }
  | { kind: 'legacy'; name: string; altitude: string };

/** Bottom of the stack first. */
export interface FilterStackState {
  items: StackItem[];
}

export interface FilterToLoad {
  name: string;
  kind: 'minifilter' | 'legacy';
  altitude: string;
  volumes: string[];
  instance?: string;
  supportedFeatures?: number;
}

const num = (altitude: string) => Number(altitude);
const ordinal = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function freshStack(): FilterStackState {
  return { items: [{ kind: 'frame', id: 0, low: '0', high: '49999', filters: [] }] };
}

export class FilterStack {
  constructor(readonly state: FilterStackState) {}

  private frames(): Extract<StackItem, { kind: 'frame' }>[] {
    return this.state.items.filter((i): i is Extract<StackItem, { kind: 'frame' }> => i.kind === 'frame');
  }

  isLoaded(name: string): boolean {
    const lower = name.toLowerCase();
    return this.state.items.some((i) =>
      i.kind === 'legacy'
        ? i.name.toLowerCase() === lower
        : i.filters.some((f) => f.name.toLowerCase() === lower),
    );
  }

  /** Loads a filter; returns the frame a minifilter landed in, or null for a legacy filter. */
  load(filter: FilterToLoad): number | null {
    if (filter.kind === 'legacy') {
      this.state.items.push({ kind: 'legacy', name: filter.name, altitude: filter.altitude });
      return null;
    }
    const frames = this.frames();
    const top = frames[frames.length - 1] as Extract<StackItem, { kind: 'frame' }>;
    const topIndex = this.state.items.indexOf(top);
    const above = this.state.items.slice(topIndex + 1).filter((i) => i.kind === 'legacy');
    for (const item of above) {
      if (num(item.altitude) > num(top.high)) top.high = item.altitude;
    }
    const altitude = num(filter.altitude);
    // With nothing attached above it, the top frame simply grows to take the filter.
    if (above.length === 0 && altitude > num(top.high)) top.high = filter.altitude;
    let frame: Extract<StackItem, { kind: 'frame' }> | undefined;
    if (altitude > num(top.high)) {
      frame = { kind: 'frame', id: top.id + 1, low: top.high, high: filter.altitude, filters: [] };
      this.state.items.push(frame);
    } else {
      frame =
        [...frames].reverse().find((f) => num(f.low) <= altitude && altitude <= num(f.high)) ?? frames[0];
    }
    const target = frame as Extract<StackItem, { kind: 'frame' }>;
    target.filters.push({
      name: filter.name,
      altitude: filter.altitude,
      volumes: filter.volumes,
      instance: filter.instance ?? filter.name,
      supportedFeatures: filter.supportedFeatures ?? 0xf,
    });
    return target.id;
  }

  /** Unloads a minifilter (legacy filters cannot be unloaded); false when it is not loaded. */
  unload(name: string): boolean {
    const lower = name.toLowerCase();
    for (const frame of this.frames()) {
      const at = frame.filters.findIndex((f) => f.name.toLowerCase() === lower);
      if (at >= 0) {
        frame.filters.splice(at, 1);
        return true;
      }
    }
    return false;
  }

  legacy(name: string): boolean {
    return this.state.items.some((i) => i.kind === 'legacy' && i.name.toLowerCase() === name.toLowerCase());
  }

  /** Rows as fltmc filters lists them: legacy filters top-down, then minifilters by frame and altitude, highest first. */
  rows(): { name: string; instances: number | null; altitude: string; frame: number | null }[] {
    const legacy = this.state.items
      .filter((i): i is Extract<StackItem, { kind: 'legacy' }> => i.kind === 'legacy')
      .reverse()
      .map((i) => ({ name: i.name, instances: null, altitude: i.altitude, frame: null }));
    const minis = [...this.frames()]
      .reverse()
      .flatMap((f) =>
        [...f.filters]
          .sort((a, b) => num(b.altitude) - num(a.altitude))
          .map((m) => ({ name: m.name, instances: m.volumes.length, altitude: m.altitude, frame: f.id })),
      );
    return [...legacy, ...minis];
  }

  instances(): {
    filter: string;
    volume: string;
    altitude: string;
    instance: string;
    frame: number;
    supportedFeatures: number;
  }[] {
    return (
      this.frames()
        .flatMap((f) =>
          f.filters.flatMap((m) =>
            m.volumes.map((volume) => ({
              filter: m.name,
              volume,
              altitude: m.altitude,
              instance: m.instance,
              frame: f.id,
              supportedFeatures: m.supportedFeatures,
            })),
          ),
        )
        // Ordinal order, as fltmc lists them (upper-case names before lower-case ones).
        .sort((a, b) => ordinal(a.filter, b.filter) || ordinal(a.volume, b.volume))
    );
  }
}

function splitAltitude(altitude: string): [string, string] {
  const dot = altitude.indexOf('.');
  return dot < 0 ? [altitude, ''] : [altitude.slice(0, dot), altitude.slice(dot)];
}

const FILTERS_HEADER = 'Filter Name                     Num Instances    Altitude    Frame';

/**
 * `fltmc filters`. Two layouts, both from real output: Windows 8 and later (the recent-Windows
 * capture in the domain brief §6.2: counts right-aligned, altitudes aligned on the decimal point)
 * and Windows 7 / Server 2008 R2 (the seed's table: counts and altitudes left-aligned, one space
 * before the Frame dashes). Microsoft's own documentation sample mixes the two (its count is
 * placed as in the older layout, its dashes as in the newer).
 */
export function renderFilters(stack: FilterStack, build: number): string {
  const rows = stack.rows();
  if (build < 9200) {
    return text(
      '',
      FILTERS_HEADER,
      '------------------------------  -------------  ------------ -----',
      ...rows.map(
        (r) =>
          `${r.name.padEnd(30)}  ${' '.repeat(7)}${(r.instances === null ? '' : String(r.instances)).padEnd(9)}${r.altitude.padEnd(12)}${(r.frame === null ? '<Legacy>' : String(r.frame)).padStart(4)}`,
      ),
    );
  }
  return text(
    '',
    FILTERS_HEADER,
    '------------------------------  -------------  ------------  -----',
    ...rows.map((r) => {
      const [whole, fraction] = splitAltitude(r.altitude);
      return `${r.name.padEnd(30)}  ${(r.instances === null ? '' : String(r.instances)).padStart(9)}${whole.padStart(13)}${fraction.padEnd(6)}${(r.frame === null ? '<Legacy>' : String(r.frame)).padStart(4)}`;
    }),
  );
}

/** `fltmc instances` in the layout of the recent-Windows capture (domain brief §6.3). */
export function renderInstances(stack: FilterStack, filter?: string, volume?: string): string {
  const rows = stack
    .instances()
    .filter((r) => !filter || r.filter.toLowerCase() === filter.toLowerCase())
    .filter((r) => !volume || r.volume.toLowerCase() === volume.toLowerCase());
  return text(
    '',
    'Filter                Volume Name                              Altitude        Instance Name       Frame   SprtFtrs  VlStatus',
    '--------------------  -------------------------------------  ------------  ----------------------  -----   --------  --------',
    ...rows.map((r) => {
      const [whole, fraction] = splitAltitude(r.altitude);
      const features = r.supportedFeatures.toString(16).padStart(8, '0');
      return `${r.filter.padEnd(20)}  ${r.volume.padEnd(37)}${whole.padStart(11)}${fraction.padEnd(5)}${r.instance.padEnd(22)}${String(r.frame).padStart(5)}     ${features}`;
    }),
  );
}

export interface FltmcContext {
  stack: FilterStack;
  build: number;
  /** Loads a minifilter's service (fltmc load); returns null on success or a Win32 error. */
  loadService(name: string): Promise<{ code: number; message: string } | null>;
  unloadService(name: string): Promise<{ code: number; message: string } | null>;
}

function hresult(code: number): string {
  return `0x${((0x80070000 | code) >>> 0).toString(16).padStart(8, '0')}`;
}

/** Runs `fltmc <args>`. */
export async function fltmc(args: readonly string[], ctx: FltmcContext): Promise<ToolResult> {
  const [command, ...rest] = args;
  switch ((command ?? 'filters').toLowerCase()) {
    case 'filters':
      return ok(renderFilters(ctx.stack, ctx.build));
    case 'instances': {
      let filter: string | undefined;
      let volume: string | undefined;
      for (let i = 0; i < rest.length; i += 1) {
        const flag = rest[i]?.toLowerCase();
        if (flag === '-f') filter = rest[++i];
        else if (flag === '-v') volume = rest[++i];
        else return fail(text('** Invalid command'));
      }
      return ok(renderInstances(ctx.stack, filter, volume));
    }
    case 'load': {
      const name = rest[0];
      if (!name) return fail(text('** Invalid command'));
      const error = await ctx.loadService(name);
      return error
        ? fail(text(`Load failed with error: ${hresult(error.code)}`, error.message), error.code)
        : ok('');
    }
    case 'unload': {
      const name = rest[0];
      if (!name) return fail(text('** Invalid command'));
      const error = await ctx.unloadService(name);
      return error
        ? fail(text(`Unload failed with error: ${hresult(error.code)}`, error.message), error.code)
        : ok('');
    }
    default:
      return fail(text('** Invalid command'));
  }
}
