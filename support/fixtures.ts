/**
 * The lifecycle of what scenarios use, fixture style, in one place. A fixture is made when it is
 * first needed and registers its teardown as it is made; a scope runs its teardowns in reverse
 * order when it ends, every one of them even when one fails.
 *
 * - worker-scoped (BeforeAll … AfterAll): the lab, the seat in the run's VM pool, and the registry
 *   of live debuggers — torn down debuggers first (their sessions hold the VMs' KDNET ports and their
 *   checkpoints live on the VMs), then the pool (the VMs go back), then the lab (its processes end);
 * - scenario-scoped (Before … After): the VM lease, given back when the scenario ends.
 *
 * Cucumber hands BeforeAll no way to pass a value to the World, so the worker's scope is this
 * module's one piece of state; everything else hangs off it.
 */
import {
  chosenPortsFrom,
  composeLab,
  HarnessLogicError,
  type HypervLab,
  type Lease,
  loadLabFile,
  PoolClient,
  type Requirement,
  type Vm,
} from '../lab/index.js';
import { DebuggerRegistry } from './debuggers.js';
import { leaseIndex, workerIndex } from './runtime.js';

/** Teardowns registered as fixtures are made, run in reverse order when the scope ends. */
export class Scope {
  private readonly teardowns: { what: string; run: () => Promise<void> | void }[] = [];
  private closed = false;

  /** Registers the teardown of a fixture just made ("close the lab"). */
  onEnd(what: string, run: () => Promise<void> | void): void {
    if (this.closed) throw new HarnessLogicError(`A fixture (${what}) was made after its scope ended.`);
    this.teardowns.push({ what, run });
  }

  /** Runs every teardown, last made first; the first failure is thrown once all have run. */
  async end(): Promise<void> {
    this.closed = true;
    let first: unknown = null;
    for (const { run } of this.teardowns.splice(0).reverse()) {
      try {
        await run();
      } catch (error) {
        first ??= error;
      }
    }
    if (first !== null) throw first;
  }
}

/**
 * Opens a lab file as this worker's lab (nothing starts until the lab is used), on the KDNET ports
 * `driverlab run` chose for the lab file's `auto` VMs (lab/endpoints.ts).
 */
export async function openLabFile(path: string): Promise<HypervLab> {
  return composeLab(await loadLabFile(path), {
    workerIndex: workerIndex(),
    kdnetPorts: chosenPortsFrom(process.env),
  });
}

/** A VM this scenario holds, and how to give it back. */
export interface HeldVm {
  vm: Vm;
  lease: Lease | null;
}

/**
 * This worker's seat in the run's VM pool, when the run has one (`driverlab run` starts a lease
 * broker and names it in DRIVERLAB_POOL); without one each worker takes the VM of its index. The
 * connection is made at the first lease; a VM another worker now leases is let go by `onSurrender`.
 */
class PoolSeat {
  private client: Promise<PoolClient> | undefined;

  constructor(
    private readonly lab: HypervLab,
    private readonly url: string | undefined,
    private readonly onSurrender: (vm: string) => Promise<void>,
  ) {}

  private connect(): Promise<PoolClient> | null {
    if (!this.url) return null;
    this.client ??= PoolClient.connect(this.url).then((client) => {
      client.onSurrender(this.onSurrender);
      return client;
    });
    return this.client;
  }

  /**
   * Leases a VM that meets the requirement (waiting while every such VM is busy), or takes the
   * worker's own VM when the run has no pool. `avoid` names VMs a lab retry should not get again.
   */
  async lease(requirement: Requirement, avoid: readonly string[]): Promise<HeldVm> {
    const client = this.connect();
    if (client === null) {
      const lab = this.lab;
      const vm =
        requirement.vm === undefined ? lab.lease(leaseIndex(lab.vms().length)) : lab.vm(requirement.vm);
      return { vm, lease: null };
    }
    const lease = await (await client).lease(requirement, avoid);
    return { vm: this.lab.vm(lease.vm), lease };
  }

  async release(held: HeldVm): Promise<void> {
    if (held.lease === null || this.client === undefined) return;
    await (await this.client).release(held.lease);
  }

  /** Takes a VM out of the run's pool: it failed its health check, and the next scenario should not get it. */
  async quarantine(vm: Vm, reason: string): Promise<void> {
    if (this.client === undefined) return;
    await (await this.client).quarantine(vm.name, reason);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    (await client?.catch(() => null))?.close();
  }
}

/** The worker's fixtures: made once per Cucumber worker, shared by its scenarios. */
export class WorkerFixtures {
  private readonly scope = new Scope();
  readonly lab: HypervLab;
  readonly debuggers: DebuggerRegistry;
  private readonly pool: PoolSeat;

  constructor(lab: HypervLab, policy: 'attach' | 'dumps') {
    this.lab = lab;
    this.scope.onEnd('close the lab', () => lab.close());
    this.pool = new PoolSeat(lab, process.env.DRIVERLAB_POOL, (vm) => this.debuggers.forgetVm(vm));
    this.scope.onEnd('leave the pool', () => this.pool.close());
    this.debuggers = new DebuggerRegistry(lab, policy);
    this.scope.onEnd('end the debugger sessions', () => this.debuggers.detachAll());
  }

  /**
   * Leases a VM for the scenario and registers its return with the scenario's scope. The lease given
   * back early (a VM that failed its health check) is not given back again.
   */
  async leaseVm(scenario: Scope, requirement: Requirement, avoid: readonly string[]): Promise<VmLease> {
    const held = await this.pool.lease(requirement, avoid);
    const lease = new VmLease(held, this.pool);
    scenario.onEnd('give the VM back to the pool', () => lease.giveBack());
    return lease;
  }

  async end(): Promise<void> {
    await this.scope.end();
  }
}

/** The scenario's lease of a VM (a scenario-scoped fixture). */
export class VmLease {
  private returned = false;

  constructor(
    private readonly held: HeldVm,
    private readonly pool: PoolSeat,
  ) {}

  get vm(): Vm {
    return this.held.vm;
  }

  /** Whether the VM came from the run's pool (a VM that fails its health check can be quarantined). */
  get fromPool(): boolean {
    return this.held.lease !== null;
  }

  /** Takes the VM out of the run's pool (it failed its health check); the lease is still to be given back. */
  async quarantine(reason: string): Promise<void> {
    await this.pool.quarantine(this.held.vm, reason);
  }

  async giveBack(): Promise<void> {
    if (this.returned) return;
    this.returned = true;
    await this.pool.release(this.held);
  }
}

let worker: WorkerFixtures | undefined;

/** Opens this worker's fixtures (BeforeAll); a second call keeps the first. */
export async function openWorker(labPath: string, policy: 'attach' | 'dumps'): Promise<WorkerFixtures> {
  worker ??= new WorkerFixtures(await openLabFile(labPath), policy);
  return worker;
}

/** This worker's fixtures. */
export function theWorker(): WorkerFixtures {
  if (!worker) {
    throw new HarnessLogicError(
      'A step asked for the lab before it was opened; the BeforeAll hook that opens it did not run or failed.',
    );
  }
  return worker;
}

/** Ends this worker's fixtures (AfterAll): debuggers, pool, lab, in that order. */
export async function closeWorker(): Promise<void> {
  const ending = worker;
  worker = undefined;
  await ending?.end();
}
