/**
 * Steps about the test VM: which one, its power, whether it keeps running, using it.
 */
import type { Vm } from '../lab/index.js';
import { domain } from '../support/catalog.js';
import { expectVmState } from '../support/expectations.js';
import type { LabWorld } from '../support/world.js';

const { Given, When, Then } = domain('vm', 'The test VM: which one, its power, whether it keeps running');

Given(
  'a test VM',
  {
    description: 'The VM this worker leased, restored to its baseline before the scenario, once it is ready',
    example: 'Given a test VM',
  },
  async function (this: LabWorld) {
    await this.ready();
  },
);

Given(
  'the test VM {vm}',
  {
    description:
      'A VM of the lab by name: the scenario leases that VM (waiting while another scenario has it), restored to its baseline and ready',
    example: 'Given the test VM win11-a',
  },
  async function (this: LabWorld, vm: Vm) {
    // The hooks lease and restore the VM a scenario names before it starts (and label it); this only waits for it.
    if (this.hasVm && this.vm.name === vm.name) await this.ready();
    else await this.restoreForScenario(vm);
  },
);

When(
  'the VM is turned off',
  { description: 'Turns the VM off at once, as pulling the plug does', example: 'When the VM is turned off' },
  async function (this: LabWorld) {
    await this.vm.stop({ turnOff: true });
  },
);

When(
  'the VM is started',
  { description: 'Starts the VM (it boots from its disk)', example: 'When the VM is started' },
  async function (this: LabWorld) {
    await this.vm.start();
  },
);

When(
  'the VM restarts',
  {
    description:
      'Restarts the guest OS and waits until it is ready; boot drivers and boot settings take effect',
    example: 'When the VM restarts',
  },
  async function (this: LabWorld) {
    await this.restartGuest();
  },
);

When(
  'a program starts',
  {
    description:
      'Starts a program in the guest; image-load notify routines of loaded drivers run (it may bugcheck)',
    example: 'When a program starts',
  },
  async function (this: LabWorld) {
    await this.crashes.run(['C:\\Windows\\System32\\hostname.exe'], 'a program started');
  },
);

Then(
  'the VM is running',
  { description: 'The VM is powered on', example: 'Then the VM is running' },
  async function (this: LabWorld) {
    await expectVmState(this, 'Running', 'it was started');
  },
);

Then(
  'the VM is off',
  { description: 'The VM is powered off', example: 'Then the VM is off' },
  async function (this: LabWorld) {
    await expectVmState(this, 'Off', 'it was turned off');
  },
);

Then(
  'the VM keeps running',
  {
    description: 'The VM did not bugcheck since the scenario began and still runs',
    example: 'Then the VM keeps running',
  },
  async function (this: LabWorld) {
    await this.crashes.expectStillRunning();
  },
);
