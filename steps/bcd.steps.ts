/**
 * Steps about the boot configuration: kernel debugging settings.
 */
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { When, Then } = domain('bcd', 'The boot configuration: kernel debugging over the network');

When(
  "network debugging to the lab's debugger is turned on, on port {port}",
  {
    description:
      "Points KDNET at the VM's debugger host (from the lab file) on the port with a new key the guest generates (captured as a secret), and turns debugging on for the next boot",
    example: "When network debugging to the lab's debugger is turned on, on port 50000",
  },
  async function (this: LabWorld, port: number) {
    await this.debugging.useNetwork(port);
  },
);

When(
  "network debugging to the lab's debugger is turned on, on a free port",
  {
    description:
      'As above, on a port no other run on this machine holds and no program has bound, chosen now: two runs side by side never share it',
    example: "When network debugging to the lab's debugger is turned on, on a free port",
  },
  async function (this: LabWorld) {
    await this.debugging.useNetworkOnFreePort();
  },
);

Then(
  "the debug settings send to the lab's debugger on port {port}",
  {
    description: "The boot configuration's debug settings say NET, the debugger host of the lab and the port",
    example: "Then the debug settings send to the lab's debugger on port 50000",
  },
  async function (this: LabWorld, port: number) {
    await this.debugging.expectSettings(port);
  },
);
