/**
 * Steps about Driver Verifier: its options for some drivers or all, and its IRP log.
 */
import type { DriverConfig, VerifierFlags } from '../lab/index.js';
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { Given, Then } = domain(
  'verifier',
  'Driver Verifier: its options, the drivers it checks, its IRP log',
);

Given(
  'Driver Verifier checks {driver} with {verifierFlags}',
  {
    description:
      'Sets Driver Verifier options for one driver, reboots, and confirms the guest runs with them',
    example: 'Given Driver Verifier checks myfault.sys with special pool',
  },
  async function (this: LabWorld, driver: DriverConfig, flags: VerifierFlags) {
    await this.verifier.enable(flags, [driver]);
  },
);

Given(
  'Driver Verifier checks all drivers with {verifierFlags}',
  {
    description: 'Sets Driver Verifier options for every driver (/all), reboots, and confirms them',
    example: 'Given Driver Verifier checks all drivers with I/O verification and IRP logging',
  },
  async function (this: LabWorld, flags: VerifierFlags) {
    await this.verifier.enable(flags, 'all');
  },
);

Then(
  'the IRP log has an entry with SpecialApcDisable {int} issued from {driver}',
  {
    description:
      "Reads the crash's IRP log (!verifier 100) for an IRP with that APC-disable count and the driver on its stack",
    example: 'Then the IRP log has an entry with SpecialApcDisable -1 issued from baddriver.sys',
  },
  async function (this: LabWorld, count: number, driver: DriverConfig) {
    await this.verifier.expectIrpLogEntry(driver.binary, count);
  },
);
