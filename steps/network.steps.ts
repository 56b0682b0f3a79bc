/**
 * Steps about networking: NBL owner tracking, the miniport under test, removing its adapter, and
 * what the debugger shows about the NBLs it holds.
 */
import type { DriverConfig } from '../lab/index.js';
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { Given, When, Then } = domain(
  'network',
  'Networking: NBL owner tracking, the miniport, removing its adapter',
);

Given(
  'NBL owner tracking is turned {onOff}',
  {
    description: 'Sets NDIS TrackNblOwner (1 or 0) and restarts the VM, since NDIS reads it at boot',
    example: 'Given NBL owner tracking is turned on',
  },
  async function (this: LabWorld, on: boolean) {
    await this.network.trackNblOwners(on);
  },
);

Given(
  '{driver} drives the network adapter',
  {
    description: 'Installs the miniport driver, which starts on the network adapter',
    example: 'Given myminiport.sys drives the network adapter',
  },
  async function (this: LabWorld, driver: DriverConfig) {
    await this.network.useMiniport(driver);
  },
);

When(
  'the network adapter is removed',
  {
    description:
      "Removes the miniport's adapter (a PnP remove), giving it as long as the scenario's 'still waiting after' step watches it, else the lab's time for a guest command",
    example: 'When the network adapter is removed',
  },
  async function (this: LabWorld) {
    await this.network.removeAdapter();
  },
);

Then(
  'the removal is still waiting after {duration}',
  {
    description: 'The removal had not finished after that time',
    example: 'Then the removal is still waiting after 1 min',
  },
  function (this: LabWorld, durationMs: number) {
    this.network.expectRemovalWaiting(durationMs);
  },
);

Then(
  'the pending NBLs are held by the miniport {string}, which is {word} and {word}',
  {
    description:
      '!ndiskd.pendingnbls names the miniport as the holder, and !ndiskd.miniport shows its PnP state and flag',
    example:
      'Then the pending NBLs are held by the miniport "My Ethernet 1Gb 4-port Adapter", which is QUERY_REMOVED and DORMANT_PAUSED',
  },
  async function (this: LabWorld, adapter: string, pnp: string, flag: string) {
    await this.network.expectNblsHeldBy(adapter, pnp, flag);
  },
);

Then(
  'the pending NBLs cannot be listed until NBL tracking is turned on',
  {
    description: '!ndiskd.pendingnbls asks for TrackNblOwner instead of listing NBLs',
    example: 'Then the pending NBLs cannot be listed until NBL tracking is turned on',
  },
  async function (this: LabWorld) {
    await this.network.expectTrackingRequired();
  },
);

Then(
  'the thread removing the adapter holds the PnP engine lock',
  {
    description: '!locks shows nt!PiEngineLock held exclusively by the thread in NDIS!ndisPnPRemoveDevice',
    example: 'Then the thread removing the adapter holds the PnP engine lock',
  },
  async function (this: LabWorld) {
    await this.network.expectRemovalHoldsPnpLock();
  },
);
