/**
 * Steps about storage: the storage driver under test, disk load, storage timeout events.
 */
import type { DriverConfig, Event153Field } from '../lab/index.js';
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { Given, When, Then } = domain(
  'storage',
  'Storage: the controller driver, disk load, and the timeout events 129 and 153',
);

Given(
  '{driver} drives the storage controller',
  {
    description: 'Installs the storage miniport, which starts on the storage controller',
    example: 'Given mystor.sys drives the storage controller',
  },
  async function (this: LabWorld, driver: DriverConfig) {
    await this.storage.useController(driver);
  },
);

When(
  'the disk is put under load',
  {
    description: "Runs the storage driver's io-stress trigger",
    example: 'When the disk is put under load',
  },
  async function (this: LabWorld) {
    await this.storage.load();
  },
);

Then(
  'the system log records a storage timeout as event {int}',
  {
    description:
      'Since the load began, the System log has event 153 (a retry after a miniport timeout) or 129 (a storport reset)',
    example: 'Then the system log records a storage timeout as event 153',
  },
  async function (this: LabWorld, id: number) {
    await this.storage.expectTimeoutEvent(id);
  },
);

Then(
  'event 153 reports the {event153Field} as {hex} \\({word})',
  {
    description:
      "Decodes event 153's data (bytes 29, 30, 31): the SCSI status, the SRB status, the SCSI command",
    example: 'Then event 153 reports the SRB status as 0x09 (SRB_STATUS_TIMEOUT)',
  },
  async function (this: LabWorld, field: Event153Field, code: number, name: string) {
    await this.storage.expectEvent153(field, code, name);
  },
);
