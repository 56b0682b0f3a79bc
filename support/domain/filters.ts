/**
 * File-system filters (seed: "Understanding File System Minifilter and Legacy Filter Load Order"):
 * the filter stack `fltmc filters` shows after the filters loaded at boot, and whether it is in
 * altitude order (lab/rules/filters.ts).
 */
import {
  type DriverConfig,
  type FilterStackOrder,
  type FltmcFiltersResult,
  filterStackOrder,
} from '../../lab/index.js';
import type { Expect, Keeps, Narrative } from '../capabilities.js';
import type { Drivers } from './drivers.js';
import type { GuestTools } from './guest.js';

/** What the filter stack uses: the guest tools (fltmc), the drivers (to install filters), evidence, the narrative and expectations. */
export interface FiltersNeeds extends Keeps {
  readonly guest: Pick<GuestTools, 'read'>;
  readonly drivers: Pick<Drivers, 'install'>;
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export class Filters {
  private cached: { listing: FltmcFiltersResult; order: FilterStackOrder } | null = null;

  constructor(private readonly my: FiltersNeeds) {}

  /** The filter stack as it is now (read once per state: a restart or a filter change reads it again). */
  async stack(): Promise<{ listing: FltmcFiltersResult; order: FilterStackOrder }> {
    if (this.cached) return this.cached;
    const { value } = await this.my.guest.read(['fltmc', 'filters'], 'fltmc-filters');
    const order = filterStackOrder(value);
    await this.my.evidence.attach('filter stack order', null, order);
    this.cached = { listing: value, order };
    return this.cached;
  }

  /** Installs filter packages (boot- and system-start filters load at the next restart). */
  async install(drivers: readonly DriverConfig[]): Promise<void> {
    for (const driver of drivers) await this.my.drivers.install(driver);
    this.changed();
    this.my.narrative.did(`${drivers.map((d) => d.binary).join(', ')} were installed`);
  }

  /** Forgets the stack read before (the VM restarted, a filter was loaded). */
  changed(): void {
    this.cached = null;
  }

  /** The filter is in the stack at this altitude and in this frame. */
  async expectFilterInFrame(name: string, altitude: string, frame: number): Promise<void> {
    const { listing } = await this.stack();
    const f = listing.filters.find((x) => x.name.toLowerCase() === name.toLowerCase());
    this.my.expect.that(f !== undefined && Number(f.altitude) === Number(altitude) && f.frame === frame, {
      expected: `the filter ${name} at altitude ${altitude} in frame ${frame}`,
      because: this.my.narrative.lastAction ?? 'the filters loaded at boot',
      actual: f
        ? `it is at altitude ${f.altitude} in ${f.frame === 'legacy' ? 'no frame (legacy)' : `frame ${f.frame}`}`
        : `it is not in the filter stack (${listing.filters.map((x) => x.name).join(', ')})`,
    });
  }

  /** The minifilter is loaded below the legacy filter although its altitude is higher. */
  async expectLoadedBelow(minifilter: string, legacy: string): Promise<void> {
    const { order } = await this.stack();
    const v = order.violations.find(
      (x) =>
        x.minifilter.toLowerCase() === minifilter.toLowerCase() &&
        x.legacy.toLowerCase() === legacy.toLowerCase(),
    );
    this.my.expect.that(v !== undefined, {
      expected: `${minifilter} to load below ${legacy} although its altitude is higher`,
      because: `${this.my.narrative.lastAction ?? 'the filters loaded at boot'}, and a legacy filter attaches above filter manager frame 0, which then covers every minifilter altitude below the highest legacy filter`,
      actual:
        order.violations.length === 0
          ? 'the filter stack is in altitude order'
          : `the out-of-order filters are ${order.violations.map((x) => `${x.minifilter} below ${x.legacy}`).join(', ')}`,
    });
  }

  /** No minifilter is loaded below a legacy filter of lower altitude. */
  async expectAltitudeOrder(): Promise<void> {
    const { order } = await this.stack();
    this.my.expect.that(order.violations.length === 0, {
      expected: 'every filter to be loaded in altitude order',
      because: `${this.my.narrative.lastAction ?? 'the filters loaded at boot'}, and a minifilter that loads between the legacy filters makes filter manager create a frame between them`,
      actual: `${order.violations.map((x) => `${x.minifilter} (${x.minifilterAltitude}) is below ${x.legacy} (${x.legacyAltitude}) in frame ${x.frame}`).join('; ')}`,
    });
  }
}
