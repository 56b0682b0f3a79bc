/**
 * Steps about the test VM: leasing it, powering it, its state.
 */
import { Given, Then, When } from '@cucumber/cucumber';
import { expectVmState } from '../support/expectations.js';
import { workerIndex } from '../support/runtime.js';
import type { LabWorld } from '../support/world.js';

Given('a test VM', async function (this: LabWorld) {
  this.useVm(this.lab.lease(workerIndex()));
});

When('the VM is turned off', async function (this: LabWorld) {
  await this.vm.stop({ turnOff: true });
});

When('the VM is started', async function (this: LabWorld) {
  await this.vm.start();
});

Then('the VM is running', async function (this: LabWorld) {
  await expectVmState(this, 'Running', 'it was started');
});

Then('the VM is off', async function (this: LabWorld) {
  await expectVmState(this, 'Off', 'it was turned off');
});
