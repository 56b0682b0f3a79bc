/**
 * LabWorld: what one scenario knows — the lab of this worker, the VM it uses, what it did to it,
 * and the evidence it collected. Steps are one line into it: each domain concept is a member
 * (`this.verifier.enable(…)`, `this.crashes.analysis()`), whose code lives in support/domain/.
 *
 * The World gives the domain helpers their ground (support/domain/compose.ts): each is given only
 * the capabilities its interface names (support/capabilities.ts), and none of them sees the World.
 */
import { type IWorldOptions, setDefaultTimeout, setWorldConstructor, World } from '@cucumber/cucumber';
import type { HypervLab, Vm } from '../lab/index.js';
import { Expect, Narrative, type ScenarioInfo, VmSlot } from './capabilities.js';
import type { Backup } from './domain/backup.js';
import { composeDomain } from './domain/compose.js';
import type { Crashes } from './domain/crashes.js';
import type { Debugging } from './domain/debugging.js';
import type { Drivers } from './domain/drivers.js';
import type { EventLog } from './domain/events.js';
import type { Filters } from './domain/filters.js';
import type { GuestTools } from './domain/guest.js';
import type { Memory } from './domain/memory.js';
import type { Network } from './domain/network.js';
import type { Pool } from './domain/pool.js';
import type { Storage } from './domain/storage.js';
import type { Verifier } from './domain/verifier.js';
import { Evidence } from './evidence.js';
import { Scope, theWorker, type VmLease } from './fixtures.js';
import type { WorldParameters } from './settings.js';
import { Watchdog } from './watchdog.js';

export type { ScenarioInfo } from './capabilities.js';

export class LabWorld extends World<WorldParameters> {
  readonly evidence: Evidence;
  readonly narrative = new Narrative();
  readonly expect: Expect;
  /** The scenario's fixtures (its VM lease), ended after the scenario in reverse order. */
  readonly fixtures = new Scope();
  private readonly slot = new VmSlot();
  readonly guest: GuestTools;
  readonly drivers: Drivers;
  readonly verifier: Verifier;
  readonly crashes: Crashes;
  /** Stops the scenario, with a dump's analysis, when it runs past its time budget. */
  readonly watchdog = new Watchdog();
  readonly events: EventLog;
  readonly backup: Backup;
  readonly filters: Filters;
  readonly storage: Storage;
  readonly memory: Memory;
  readonly pool: Pool;
  readonly network: Network;
  readonly debugging: Debugging;
  scenario: ScenarioInfo = { name: '', uri: '', tags: [], steps: [] };
  /** The VM this scenario holds from the run's pool, given back when its fixtures end. */
  held: VmLease | undefined;
  /** The last restore left the VM running with a healthy heartbeat (Get-VM said so). */
  private restoredReady = false;

  constructor(options: IWorldOptions<WorldParameters>) {
    super(options);
    const redact = (text: string) => this.lab.redactor.redact(text);
    this.evidence = new Evidence((content, o) => this.attach(content, o), redact);
    this.expect = new Expect(redact);
    const slot = this.slot;
    const scenarioOf = (): ScenarioInfo => this.scenario;
    const domain = composeDomain({
      get lab() {
        return theWorker().lab;
      },
      get vm() {
        return slot.vm;
      },
      get hasVm() {
        return slot.hasVm;
      },
      evidence: this.evidence,
      narrative: this.narrative,
      expect: this.expect,
      get debuggers() {
        return theWorker().debuggers;
      },
      // The hooks describe the scenario before its first step: read when a helper asks.
      get scenario() {
        return scenarioOf();
      },
    });
    this.guest = domain.guest;
    this.drivers = domain.drivers;
    this.verifier = domain.verifier;
    this.crashes = domain.crashes;
    this.events = domain.events;
    this.backup = domain.backup;
    this.filters = domain.filters;
    this.storage = domain.storage;
    this.memory = domain.memory;
    this.pool = domain.pool;
    this.network = domain.network;
    this.debugging = domain.debugging;
  }

  get lab(): HypervLab {
    return theWorker().lab;
  }

  /** The VM this scenario uses (the worker's lease, set before the scenario by the hooks). */
  get vm(): Vm {
    return this.slot.vm;
  }

  get hasVm(): boolean {
    return this.slot.hasVm;
  }

  /** What the scenario last did to the VM, as a sentence part ("myfault.sys overran its pool allocation"). */
  get lastAction(): string | null {
    return this.narrative.lastAction;
  }

  /** Uses this VM from now on, restored to its baseline (or the checkpoint given); started when it comes back saved. */
  async useBaselineVm(vm: Vm, checkpoint: string = vm.config.baseline): Promise<void> {
    this.slot.use(vm);
    const status = await vm.restore(checkpoint);
    // A checkpoint taken with the VM running may come back saved (Hyper-V standard checkpoints).
    this.restoredReady = status.state === 'Running' && (status.heartbeat?.startsWith('Ok') ?? false);
    if (status.state !== 'Running') await vm.start();
  }

  /** Restores this VM for the scenario (with its live debugger reconnected when crashes are examined live). */
  async restoreForScenario(vm: Vm): Promise<void> {
    await theWorker().debuggers.restoreForScenario(this, vm);
  }

  /** Waits until the VM is ready, unless its restore already reported it running with a healthy heartbeat. */
  async ready(): Promise<void> {
    if (this.restoredReady) return;
    await this.vm.waitUntilReady();
  }

  /** Restarts the guest OS and waits until it is ready; what loads at boot has loaded. */
  async restartGuest(): Promise<void> {
    await this.debugging.restartGuest();
    this.filters.changed();
    this.did(this.lastAction ? `${this.lastAction}, and the VM restarted` : 'the VM restarted');
  }

  /** Remembers what the scenario did, for the "because" of the expectations that follow. */
  did(action: string): void {
    this.narrative.did(action);
  }
}

setWorldConstructor(LabWorld);

// A backstop only: every lab wait is bounded by the lab file's own timeouts, in lab time.
setDefaultTimeout(process.env.DRIVERLAB_LAB ? 60 * 60 * 1000 : 120 * 1000);
