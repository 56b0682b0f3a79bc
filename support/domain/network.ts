/**
 * Networking (seed: "Debugging a Network Connectivity Issue - TrackNblOwner to the Rescue"): NDIS
 * NBL owner tracking (TrackNblOwner, read at boot), the miniport driver under test, removing its
 * adapter (a PnP remove that waits for the NBLs the miniport still holds), and what the debugger's
 * NDIS extension shows about them.
 */

import {
  ConfigurationError,
  type DriverConfig,
  describeStack,
  formatLabDuration,
  HarnessLogicError,
  isRemovingAdapter,
  LabCompromisedError,
  type LocksResult,
  type MiniportResult,
  nblHolders,
  type PendingNblsResult,
  parseDuration,
  pnpEngineLock,
  pnpEngineLockOwner,
  type ThreadResult,
} from '../../lab/index.js';
import type { Expect, Keeps, LabAccess, Narrative, ScenarioInfo, TestVm } from '../capabilities.js';
import type { Crashes } from './crashes.js';
import type { Debugging } from './debugging.js';
import type { Drivers } from './drivers.js';
import type { GuestTools } from './guest.js';

export const NDIS_PARAMETERS = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters';
/** The trigger a miniport's entry in the lab file gives for removing its adapter (a PnP remove). */
export const REMOVE_ADAPTER_TRIGGER = 'remove-adapter';

/** The step that watches a removal, before its duration: `Then the removal is still waiting after 1 min`. */
export const REMOVAL_WATCH = 'the removal is still waiting after';

/**
 * How long the scenario watches the removal: the longest duration of its "still waiting after"
 * steps, or null when it has none (or one whose duration does not read: that step reports it).
 */
export function watchedFor(steps: readonly string[]): number | null {
  let longest: number | null = null;
  for (const step of steps) {
    if (!step.startsWith(`${REMOVAL_WATCH} `)) continue;
    try {
      const ms = parseDuration(step.slice(REMOVAL_WATCH.length + 1));
      longest = Math.max(longest ?? 0, ms);
    } catch {
      // The step's own parameter type refuses it with its sentence.
    }
  }
  return longest;
}

export interface Removal {
  finished: boolean;
  /** Lab milliseconds the removal was given (or took, when it finished). */
  waitedMs: number;
  exitCode: number | null;
}

/** What networking uses: the lab, the VM, the guest tools, the drivers (the miniport), the crashes (the debugger's NDIS view), evidence, the narrative and expectations. */
export interface NetworkNeeds extends LabAccess, Pick<TestVm, 'vm'>, Keeps {
  /** The scenario's steps: a removal is watched as long as its "still waiting after" step says. */
  readonly scenario: Pick<ScenarioInfo, 'steps'>;
  readonly guest: Pick<GuestTools, 'runBounded'>;
  readonly drivers: Pick<Drivers, 'install'>;
  readonly crashes: Pick<Crashes, 'analysis'>;
  /** Restarts the guest, with its live debugger following (TrackNblOwner is read at boot). */
  readonly debugging: Pick<Debugging, 'restartGuest'>;
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export class Network {
  private miniport: DriverConfig | null = null;
  /** NBL owner tracking as the scenario set it, or null when it left the VM's baseline setting. */
  private tracking: boolean | null = null;
  removal: Removal | null = null;

  constructor(private readonly my: NetworkNeeds) {}

  /** Sets TrackNblOwner (1 tracks the last owner of each NBL, 0 tracks none), reboots and reads it back. */
  async trackNblOwners(on: boolean): Promise<void> {
    const guest = this.my.vm.guest;
    await guest.setRegistryValue(NDIS_PARAMETERS, 'TrackNblOwner', 'DWord', on ? 1 : 0);
    await this.my.debugging.restartGuest();
    const value = await guest.registryValue(NDIS_PARAMETERS, 'TrackNblOwner');
    await this.my.evidence.attach('TrackNblOwner', null, value);
    if (value.value !== (on ? 1 : 0)) {
      throw new LabCompromisedError(
        `TrackNblOwner in ${this.my.vm.describe()} reads ${JSON.stringify(value.value)} after the reboot instead of ${on ? 1 : 0}; check that the guest's registry keeps ${NDIS_PARAMETERS}.`,
      );
    }
    this.tracking = on;
    this.my.narrative.did(`NBL owner tracking was turned ${on ? 'on' : 'off'}`);
  }

  /** Installs the miniport driver of the network adapter (PnP starts it on the adapter). */
  async useMiniport(driver: DriverConfig): Promise<void> {
    await this.my.drivers.install(driver);
    this.miniport = driver;
  }

  /** The command line that removes the miniport's adapter: its trigger from the lab file, or pnputil on the lab's declared adapter. */
  private removeCommand(driver: DriverConfig): readonly string[] {
    const trigger = driver.triggers[REMOVE_ADAPTER_TRIGGER];
    if (trigger) return trigger;
    const data = this.my.lab.file.data;
    const adapter =
      data.kind === 'embedded'
        ? data.embedded.guests[this.my.vm.name]?.devices.find((d) => d.class.toLowerCase() === 'net')
        : undefined;
    if (!adapter) {
      throw new ConfigurationError(
        `The ${this.my.lab.describe()} does not say how to remove the adapter of '${driver.name}'; give it a '${REMOVE_ADAPTER_TRIGGER}' trigger in ${this.my.lab.file.path}.`,
      );
    }
    return ['pnputil', '/remove-device', adapter.instanceId];
  }

  /**
   * Removes the miniport's adapter, giving the removal as long as the scenario watches it (its
   * "still waiting after" step), else the lab's time for a guest command: a removal that hangs is
   * watched for the time asked about, not for the whole limit of a guest command.
   */
  async removeAdapter(): Promise<Removal> {
    const driver = this.miniport;
    if (!driver) {
      throw new HarnessLogicError(
        "The network adapter was removed before the scenario named its miniport driver; start with 'Given {driver} drives the network adapter'.",
      );
    }
    const limit = watchedFor(this.my.scenario.steps) ?? this.my.lab.timeouts.guestCommand;
    this.my.narrative.did(`the adapter of ${driver.binary} was removed`);
    const outcome = await this.my.guest.runBounded(this.removeCommand(driver), limit);
    this.removal = outcome.finished
      ? { finished: true, waitedMs: outcome.result.durationMs, exitCode: outcome.result.exitCode }
      : { finished: false, waitedMs: limit, exitCode: null };
    return this.removal;
  }

  async pendingNbls(): Promise<PendingNblsResult> {
    return (await this.my.crashes.analysis()).run('!ndiskd.pendingnbls', 'pendingnbls');
  }

  async miniportState(handle: string): Promise<MiniportResult> {
    return (await this.my.crashes.analysis()).run(
      `!ndiskd.miniport ${handle.replace(/^0x/, '')}`,
      'miniport',
    );
  }

  async locks(): Promise<LocksResult> {
    return (await this.my.crashes.analysis()).run('!locks', 'locks');
  }

  async thread(address: string): Promise<ThreadResult> {
    return (await this.my.crashes.analysis()).run(`!thread ${address.replace(/^0x/, '')}`, 'thread');
  }

  /** The removal had not finished after `durationMs` (lab time). */
  expectRemovalWaiting(durationMs: number): void {
    const removal = this.removal;
    if (!removal) {
      throw new HarnessLogicError(
        "No removal was started; 'When the network adapter is removed' comes first.",
      );
    }
    if (!removal.finished && removal.waitedMs < durationMs) {
      throw new ConfigurationError(
        `The removal was given ${formatLabDuration(removal.waitedMs)} (timeouts.guestCommand of ${this.my.lab.file.path}), less than the ${formatLabDuration(durationMs)} the scenario asks about; ask about a shorter time or raise the timeout.`,
      );
    }
    this.my.expect.that(!removal.finished, {
      expected: `the removal of the network adapter to be still waiting after ${formatLabDuration(durationMs)}`,
      because: `the miniport ${this.miniport?.binary ?? ''} keeps NBLs it never completes, and NDIS waits for them before it lets the adapter go`,
      actual: `it finished after ${formatLabDuration(removal.waitedMs)} with exit code ${removal.exitCode}`,
    });
  }

  /** The pending NBLs are held by this miniport, which is in this PnP state with this operational flag. */
  async expectNblsHeldBy(adapter: string, pnp: string, flag: string): Promise<void> {
    const pending = await this.pendingNbls();
    const because = `${this.my.narrative.lastAction ?? 'the adapter was removed'}, ${this.trackingClause()}`;
    const { held, holders, onlyThisMiniport } = nblHolders(pending, adapter);
    this.my.expect.that(onlyThisMiniport, {
      expected: `the pending NBLs to be held by the miniport "${adapter}"`,
      because,
      actual: !pending.trackingEnabled
        ? 'the debugger says NBL tracking is off'
        : pending.rows.length === 0
          ? 'there are no pending NBLs'
          : `they are held by ${holders.join(', ')}`,
    });
    const miniport = await this.miniportState((held[0] as { heldBy: string }).heldBy);
    this.my.expect.that(
      miniport.devicePnp === pnp && (miniport.operationalFlags ?? '').split(/[\s,]+/).includes(flag),
      {
        expected: `the miniport "${adapter}" to be ${pnp} and ${flag}`,
        because: 'the PnP remove paused the adapter and waits for its NBLs',
        actual: `its Device PnP is ${miniport.devicePnp ?? 'not shown'} and its operational flags are ${miniport.operationalFlags ?? 'not shown'}`,
      },
    );
  }

  /** What the scenario did to NBL owner tracking, for the because of an expectation. */
  private trackingClause(): string {
    if (this.tracking === true)
      return 'with NBL owner tracking turned on (TrackNblOwner = 1), so NDIS records who holds each NBL';
    if (this.tracking === false) return 'with NBL owner tracking turned off (TrackNblOwner = 0)';
    return "with NBL owner tracking as the VM's baseline has it (the scenario did not set TrackNblOwner)";
  }

  /** The debugger cannot list pending NBLs and asks for NBL tracking (TrackNblOwner). */
  async expectTrackingRequired(): Promise<void> {
    const pending = await this.pendingNbls();
    this.my.expect.that(!pending.trackingEnabled, {
      expected: 'the debugger to ask for NBL tracking before it lists pending NBLs',
      because:
        this.tracking === false
          ? 'NBL owner tracking was turned off, so NDIS keeps no owner to show'
          : this.trackingClause(),
      actual: `it listed ${pending.rows.length} pending NBL(s)`,
    });
  }

  /** The thread removing the adapter holds the PnP engine lock while it waits. */
  async expectRemovalHoldsPnpLock(): Promise<void> {
    const locks = await this.locks();
    const engine = pnpEngineLock(locks);
    const owner = pnpEngineLockOwner(locks);
    this.my.expect.that(owner !== null, {
      expected: 'the PnP engine lock (nt!PiEngineLock) to be held exclusively while the removal waits',
      because: 'a PnP remove runs under the PnP engine lock',
      actual: engine
        ? `it is ${engine.mode ?? 'available'}`
        : `!locks lists ${locks.resources.map((r) => r.symbol ?? r.address).join(', ') || 'no held lock'}`,
    });
    const thread = await this.thread(owner as string);
    const removing = isRemovingAdapter(thread.stack);
    this.my.expect.that(removing, {
      expected: `the owner of the PnP engine lock (${owner}) to be the thread removing the adapter`,
      because: 'NDIS removes the adapter in the PnP worker that holds the lock',
      actual: `its stack is ${describeStack(thread.stack, 6)}`,
    });
  }
}
