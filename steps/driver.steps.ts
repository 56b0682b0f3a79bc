/**
 * Steps about the lab file's drivers: installing, loading, the fixed build, exercising them.
 */
import type { DriverConfig } from '../lab/index.js';
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { Given, When } = domain('driver', "The lab file's drivers: installing, loading and exercising them");

Given(
  '{driver} is installed',
  {
    description:
      "Copies the driver's package into the guest and installs it (its INF with pnputil, or as a service)",
    example: 'Given myminiport.sys is installed',
  },
  async function (this: LabWorld, driver: DriverConfig) {
    await this.drivers.install(driver);
  },
);

Given(
  '{driver} is loaded',
  {
    description: 'Installs the driver if needed and starts it',
    example: 'Given myfault.sys is loaded',
  },
  async function (this: LabWorld, driver: DriverConfig) {
    await this.drivers.load(driver);
  },
);

Given(
  'the fixed build of {driver} is loaded',
  {
    description: "Installs and starts the drivers-list entry the driver's fixedBy names",
    example: 'Given the fixed build of baddriver.sys is loaded',
  },
  async function (this: LabWorld, driver: DriverConfig) {
    await this.drivers.load(this.drivers.fixedBuildOf(driver));
  },
);

When(
  '{driver} overruns its pool allocation',
  {
    description:
      "Runs the driver's overrun trigger: it writes past the end of a pool block (the VM may bugcheck)",
    example: 'When myfault.sys overruns its pool allocation',
  },
  async function (this: LabWorld, driver: DriverConfig) {
    await this.drivers.trigger(driver, 'overrun', 'overran its pool allocation');
  },
);
