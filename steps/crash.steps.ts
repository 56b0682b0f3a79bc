/**
 * Steps about bug checks: taking a dump, which bug check it was, whom it blames, what it was doing.
 */
import type { BugcheckId, DriverConfig } from '../lab/index.js';
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { When, Then } = domain(
  'crash',
  'Bug checks: dumps, the stop code, the faulting driver, the crash stack',
);

When(
  'a memory dump of the VM is taken',
  {
    description:
      'Injects an NMI: the VM bugchecks (0x80), writes its dump and reboots; later steps examine the dump',
    example: 'When a memory dump of the VM is taken',
  },
  async function (this: LabWorld) {
    await this.crashes.forceDump();
  },
);

Then(
  'the VM bugchecks with {bugcheck}',
  {
    description:
      'The VM went down with this stop code (event 1001) and its dump analyses as it (!analyze -v)',
    example: 'Then the VM bugchecks with DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION',
  },
  async function (this: LabWorld, bugcheck: BugcheckId) {
    await this.crashes.expectBugcheck([bugcheck]);
  },
);

Then(
  'the VM bugchecks with one of {bugchecks}',
  {
    description: 'The VM went down with one of these stop codes',
    example: 'Then the VM bugchecks with one of SYSTEM_SERVICE_EXCEPTION, BAD_POOL_HEADER or BAD_POOL_CALLER',
  },
  async function (this: LabWorld, bugchecks: BugcheckId[]) {
    await this.crashes.expectBugcheck(bugchecks);
  },
);

Then(
  'the crash is blamed on {driver}',
  {
    description: "The dump's analysis names the driver as the faulting image (IMAGE_NAME)",
    example: 'Then the crash is blamed on myfault.sys',
  },
  async function (this: LabWorld, driver: DriverConfig) {
    await this.crashes.expectBlamedOn(driver.binary);
  },
);

Then(
  'the crash happened while an APC was delivered',
  {
    description:
      'The crashing stack runs through nt!KiDeliverApc: the fault came from a delayed completion APC',
    example: 'Then the crash happened while an APC was delivered',
  },
  async function (this: LabWorld) {
    await this.crashes.expectInStack('nt', 'KiDeliverApc', 'an APC was delivered');
  },
);
