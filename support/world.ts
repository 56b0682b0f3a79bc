/**
 * LabWorld: what one scenario knows — the lab of this worker, the VM it uses, what it did to it,
 * and the evidence it collected. Steps are one line into it: each domain concept is a member
 * (`this.verifier.enable(…)`, `this.crashes.analysis()`), whose code lives in support/domain/.
 */
import { type IWorldOptions, setDefaultTimeout, setWorldConstructor, World } from '@cucumber/cucumber';
import { HarnessLogicError, type HypervLab, type Vm } from '../lab/index.js';
import { Backup } from './domain/backup.js';
import { Crashes } from './domain/crashes.js';
import { Debugging } from './domain/debugging.js';
import { Drivers } from './domain/drivers.js';
import { EventLog } from './domain/events.js';
import { Filters } from './domain/filters.js';
import { GuestTools } from './domain/guest.js';
import { Memory } from './domain/memory.js';
import { Network } from './domain/network.js';
import { Pool } from './domain/pool.js';
import { Storage } from './domain/storage.js';
import { Verifier } from './domain/verifier.js';
import { Evidence } from './evidence.js';
import { type HeldVm, theLab } from './runtime.js';
import type { WorldParameters } from './settings.js';
import { Watchdog } from './watchdog.js';

/** The scenario as the hooks saw it: for checkpoint names, labels and messages. */
export interface ScenarioInfo {
  name: string;
  /** The feature file, relative to the project root. */
  uri: string;
  tags: string[];
}

export class LabWorld extends World<WorldParameters> {
  readonly evidence: Evidence;
  readonly guest = new GuestTools(this);
  readonly drivers = new Drivers(this);
  readonly verifier = new Verifier(this);
  readonly crashes = new Crashes(this);
  /** Stops the scenario, with a dump's analysis, when it runs past its time budget. */
  readonly watchdog = new Watchdog();
  readonly events = new EventLog(this);
  readonly backup = new Backup(this);
  readonly filters = new Filters(this);
  readonly storage = new Storage(this);
  readonly memory = new Memory(this);
  readonly pool = new Pool(this);
  readonly network = new Network(this);
  readonly debugging = new Debugging(this);
  scenario: ScenarioInfo = { name: '', uri: '', tags: [] };
  /** What the scenario last did to the VM, as a sentence part ("myfault.sys overran its pool allocation"). */
  lastAction: string | null = null;
  private leased: Vm | undefined;
  /** The VM this scenario holds from the run's pool, given back after the scenario. */
  held: HeldVm | undefined;
  /** The last restore left the VM running with a healthy heartbeat (Get-VM said so). */
  private restoredReady = false;

  constructor(options: IWorldOptions<WorldParameters>) {
    super(options);
    this.evidence = new Evidence(
      (content, o) => this.attach(content, o),
      (text) => this.lab.redactor.redact(text),
    );
  }

  get lab(): HypervLab {
    return theLab();
  }

  /** The VM this scenario uses (the worker's lease, set before the scenario by the hooks). */
  get vm(): Vm {
    if (!this.leased) {
      throw new HarnessLogicError(
        "A step used the test VM before the scenario had one; the 'Restore the VM to its baseline' hook leases it, so check that it ran.",
      );
    }
    return this.leased;
  }

  useVm(vm: Vm): Vm {
    this.leased = vm;
    return vm;
  }

  get hasVm(): boolean {
    return this.leased !== undefined;
  }

  /** Uses this VM from now on, restored to its baseline (or the checkpoint given); started when it comes back saved. */
  async useBaselineVm(vm: Vm, checkpoint: string = vm.config.baseline): Promise<void> {
    this.useVm(vm);
    const status = await vm.restore(checkpoint);
    // A checkpoint taken with the VM running may come back saved (Hyper-V standard checkpoints).
    this.restoredReady = status.state === 'Running' && (status.heartbeat?.startsWith('Ok') ?? false);
    if (status.state !== 'Running') await vm.start();
  }

  /** Waits until the VM is ready, unless its restore already reported it running with a healthy heartbeat. */
  async ready(): Promise<void> {
    if (this.restoredReady) return;
    await this.vm.waitUntilReady();
  }

  /** Restarts the guest OS and waits until it is ready; what loads at boot has loaded. */
  async restartGuest(): Promise<void> {
    await this.vm.guest.reboot();
    this.filters.changed();
    this.did(this.lastAction ? `${this.lastAction}, and the VM restarted` : 'the VM restarted');
  }

  /** Remembers what the scenario did, for the "because" of the expectations that follow. */
  did(action: string): void {
    this.lastAction = action;
  }
}

setWorldConstructor(LabWorld);

// A backstop only: every lab wait is bounded by the lab file's own timeouts, in lab time.
setDefaultTimeout(process.env.DRIVERLAB_LAB ? 60 * 60 * 1000 : 120 * 1000);
