/**
 * Storage (seed: "Interpreting Event 153 Errors"): the storage driver under test, the load that
 * makes its requests time out, and the events the guest logs for them — 153 when the miniport
 * timed a request out and the disk class driver retried it, 129 when storport timed it out and
 * reset the device.
 */
import {
  type DriverConfig,
  type Event153Field,
  event153Field,
  HarnessLogicError,
  storageTimeouts,
  TIMEOUT_EVENTS,
  timeoutKind,
  whyTimeoutIsLogged,
} from '../../lab/index.js';
import type { Expect, Narrative, TestVm } from '../capabilities.js';
import type { Drivers } from './drivers.js';
import type { EventLog, ReadEvent } from './events.js';

/** The trigger a storage driver's entry in the lab file gives for putting its disks under load. */
export const DISK_LOAD_TRIGGER = 'io-stress';

/** What storage scenarios use: the VM, the drivers, the event log, the narrative and expectations. */
export interface StorageNeeds extends Pick<TestVm, 'vm'> {
  readonly drivers: Pick<Drivers, 'install' | 'trigger'>;
  readonly events: Pick<EventLog, 'mark' | 'since'>;
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export class Storage {
  private driver: DriverConfig | null = null;

  constructor(private readonly my: StorageNeeds) {}

  /** Installs the driver that drives the storage controller (PnP starts it on the device). */
  async useController(driver: DriverConfig): Promise<void> {
    await this.my.drivers.install(driver);
    this.driver = driver;
  }

  /** Puts the disks of the storage driver under load with its trigger from the lab file. */
  async load(): Promise<void> {
    const driver = this.driver;
    if (!driver) {
      throw new HarnessLogicError(
        "The disk was put under load before the scenario named its storage driver; start with 'Given {driver} drives the storage controller'.",
      );
    }
    await this.my.events.mark('System', [...TIMEOUT_EVENTS]);
    await this.my.drivers.trigger(driver, DISK_LOAD_TRIGGER, 'had its disks put under load');
  }

  private async timeouts(id: number): Promise<ReadEvent[]> {
    return (await this.my.events.since('System', [...TIMEOUT_EVENTS])).filter((e) => e.parsed.eventId === id);
  }

  /** The System log has a storage timeout as event 129 (storport reset) or 153 (disk retry). */
  async expectTimeoutEvent(id: number): Promise<void> {
    const kind = timeoutKind(id);
    const events = await this.timeouts(id);
    const decoded = storageTimeouts(
      events.map((e) => e.parsed),
      id,
    );
    this.my.expect.that(kind !== null && decoded.length > 0, {
      expected: `the System log of ${this.my.vm.describe()} to record a storage timeout as event ${id}`,
      because: `${this.my.narrative.lastAction ?? 'the disk was put under load'}, and ${whyTimeoutIsLogged(id)}`,
      actual:
        events.length === 0
          ? `it has no event ${id} since the load began`
          : `its ${events.length} event(s) ${id} do not read as a storage timeout (${events[0]?.parsed.message.slice(0, 100)})`,
    });
  }

  /** Event 153 reports this field (SCSI status, SRB status, SCSI command) as this code and name. */
  async expectEvent153(field: Event153Field, code: number, name: string): Promise<void> {
    const [event] = storageTimeouts(
      (await this.timeouts(153)).map((e) => e.parsed),
      153,
    );
    const d = event?.decoded?.type === 'disk-retry' ? event.decoded : null;
    const value = event153Field(d, field);
    const hex = `0x${code.toString(16).padStart(2, '0')}`;
    this.my.expect.that(
      value !== null && value !== undefined && Number(value.code) === code && value.name === name,
      {
        expected: `event 153 to report the ${field} as ${hex} (${name})`,
        because: this.my.narrative.lastAction ?? 'a request timed out in the miniport',
        actual: !d
          ? 'there is no event 153 to read'
          : !value
            ? `its data does not carry the ${field} (no bytes 29–31)`
            : `it reports ${value.code} (${value.name ?? 'no name'})`,
      },
    );
  }
}
