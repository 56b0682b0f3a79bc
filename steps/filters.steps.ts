/**
 * Steps about file-system filters: installing them, the frames and altitudes they load at.
 */
import type { DriverConfig } from '../lab/index.js';
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { Given, Then } = domain(
  'filters',
  'File-system filters: legacy filters, minifilters, frames and altitudes',
);

Given(
  'the filter drivers {drivers} are installed',
  {
    description: 'Installs each filter package; boot- and system-start filters load at the next restart',
    example: 'Given the filter drivers encryptionlegacy.sys, avlegacy.sys and avminifilter.sys are installed',
  },
  async function (this: LabWorld, drivers: DriverConfig[]) {
    await this.filters.install(drivers);
  },
);

Then(
  'the filter {word} is at altitude {word} in frame {int}',
  {
    description: 'fltmc filters lists the minifilter at that altitude in that filter manager frame',
    example: 'Then the filter AVMiniFilter is at altitude 328000 in frame 0',
  },
  async function (this: LabWorld, name: string, altitude: string, frame: number) {
    await this.filters.expectFilterInFrame(name, altitude, frame);
  },
);

Then(
  '{word} is loaded below {word} although its altitude is higher',
  {
    description:
      'The minifilter sits in a frame below the legacy filter whose altitude is lower than its own',
    example: 'Then AVMiniFilter is loaded below EncryptionLegacy although its altitude is higher',
  },
  async function (this: LabWorld, minifilter: string, legacy: string) {
    await this.filters.expectLoadedBelow(minifilter, legacy);
  },
);

Then(
  'every filter is loaded in altitude order',
  {
    description: 'No minifilter sits below a legacy filter of lower altitude',
    example: 'Then every filter is loaded in altitude order',
  },
  async function (this: LabWorld) {
    await this.filters.expectAltitudeOrder();
  },
);
