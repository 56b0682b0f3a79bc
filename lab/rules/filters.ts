/**
 * Whether a file-system filter stack is in altitude order (seed: "Understanding File System
 * Minifilter and Legacy Filter Load Order"). Minifilters sit in filter manager frames; a legacy
 * filter can only attach on top of the stack as it is when it loads. `fltmc filters` shows each
 * minifilter's frame and each legacy filter's altitude, not where the legacy filter sits, so the
 * rule is the seed's: a legacy filter whose altitude falls inside a frame's range of minifilter
 * altitudes sits above that frame (frame 0 exists from the moment the filter manager loads, before
 * any legacy file-system filter), and every minifilter of that frame with a higher altitude is
 * loaded below it.
 */
import type { FltmcFiltersResult } from '../parsers/index.js';

export interface FrameRange {
  frame: number;
  /** The lowest and highest altitude of the minifilters in the frame. */
  low: number;
  high: number;
  minifilters: string[];
}

export interface OrderViolation {
  minifilter: string;
  minifilterAltitude: string;
  frame: number;
  legacy: string;
  legacyAltitude: string;
}

export interface FilterStackOrder {
  frames: FrameRange[];
  /** A legacy filter that registered no altitude has none (null) and cannot sit inside a frame. */
  legacy: { name: string; altitude: string | null }[];
  /** Minifilters loaded below a legacy filter of lower altitude; empty when the stack is in order. */
  violations: OrderViolation[];
}

/** The frames, the legacy filters and the altitude-order violations of a `fltmc filters` listing. */
export function filterStackOrder(listing: FltmcFiltersResult): FilterStackOrder {
  const frames = new Map<number, FrameRange>();
  const legacy: FilterStackOrder['legacy'] = [];
  for (const f of listing.filters) {
    if (f.frame === 'legacy') {
      legacy.push({ name: f.name, altitude: f.altitude });
      continue;
    }
    const altitude = Number(f.altitude);
    const range = frames.get(f.frame) ?? { frame: f.frame, low: altitude, high: altitude, minifilters: [] };
    range.low = Math.min(range.low, altitude);
    range.high = Math.max(range.high, altitude);
    range.minifilters.push(f.name);
    frames.set(f.frame, range);
  }
  const violations: OrderViolation[] = [];
  for (const l of legacy) {
    if (l.altitude === null) continue;
    const legacyAltitude = l.altitude;
    const at = Number(legacyAltitude);
    for (const range of frames.values()) {
      if (!(range.low < at && at < range.high)) continue;
      for (const f of listing.filters) {
        if (f.frame === range.frame && f.altitude !== null && Number(f.altitude) > at) {
          violations.push({
            minifilter: f.name,
            minifilterAltitude: f.altitude,
            frame: range.frame,
            legacy: l.name,
            legacyAltitude,
          });
        }
      }
    }
  }
  return { frames: [...frames.values()].sort((a, b) => a.frame - b.frame), legacy, violations };
}
