/**
 * The VM pool of one run: which VMs a scenario may use, who holds each one, which are quarantined.
 *
 * A scenario asks for a VM by requirement (any VM, a VM by name, or VMs with capabilities); workers
 * lease one VM per scenario and give it back after. More workers than VMs is allowed: a worker waits
 * for a lease. A VM that fails its readiness check is quarantined for the rest of the run, and the
 * scenario that found it moves to another VM.
 *
 * The pool itself is plain state with no I/O: one process owns it (the run's lease broker on one
 * host, `lab/pool/broker.ts`; a PostgreSQL table on many hosts), and every decision it takes is a
 * function of that state, so it can be tested exhaustively in memory.
 */
import { ConfigurationError } from '../errors.js';

/** A VM as the pool sees it. */
export interface PoolVm {
  name: string;
  /** What the VM offers beyond the common image ("second-nic", "arm64", …), from the lab file. */
  capabilities: readonly string[];
}

/** What a scenario needs of its VM. */
export interface Requirement {
  /** A VM by name ("Given the test VM win11-b"); any VM when absent. */
  vm?: string;
  /** Capabilities every candidate must have (`@needs:second-nic`). */
  capabilities: readonly string[];
}

/** A VM held by one holder until it is released. */
export interface Lease {
  vm: string;
  holder: string;
  /** Increases with every lease the pool grants, so a stale release can be told from a current one. */
  id: number;
  /**
   * Another holder that used this VM before and may still keep something of it open (a live kernel
   * debugger holds the VM's KDNET port): it must let go before the new holder starts.
   */
  previousHolder?: string;
}

const NEEDS_TAG = /^@needs:(.+)$/;
const NAMED_VM_STEP = /^the test VM (\S+)$/;

/**
 * The requirement of a scenario from its tags and step texts: `@needs:<capability>` tags and a
 * `Given the test VM <name>` step. Reading it before the scenario runs is what lets a worker lease
 * the right VM instead of restoring one and then switching.
 */
export function requirementOf(tags: readonly string[], stepTexts: readonly string[]): Requirement {
  const capabilities = [
    ...new Set(tags.map((t) => NEEDS_TAG.exec(t)?.[1]).filter((c): c is string => c !== undefined)),
  ].sort();
  const named = stepTexts
    .map((s) => NAMED_VM_STEP.exec(s.trim())?.[1])
    .filter((n): n is string => n !== undefined);
  const distinct = [...new Set(named)];
  if (distinct.length > 1) {
    throw new ConfigurationError(
      `The scenario names two test VMs (${distinct.map((n) => `'${n}'`).join(' and ')}), but a scenario runs on one VM; split it into one scenario per VM.`,
    );
  }
  return distinct[0] === undefined ? { capabilities } : { vm: distinct[0], capabilities };
}

/** "any VM", "VM 'win11-b'", "a VM with second-nic": a requirement in words, for messages. */
export function describeRequirement(requirement: Requirement): string {
  const caps = requirement.capabilities.length
    ? ` with ${requirement.capabilities.map((c) => `'${c}'`).join(' and ')}`
    : '';
  if (requirement.vm !== undefined) return `VM '${requirement.vm}'${caps}`;
  return caps ? `a VM${caps}` : 'any VM';
}

/** The VMs of the pool that can ever serve a requirement, in the lab file's order. */
export function candidatesFor(vms: readonly PoolVm[], requirement: Requirement): PoolVm[] {
  return vms.filter(
    (vm) =>
      (requirement.vm === undefined || vm.name === requirement.vm) &&
      requirement.capabilities.every((c) => vm.capabilities.includes(c)),
  );
}

/**
 * Refuses a requirement no VM of the lab can serve, before anything runs: a misspelt VM name or a
 * capability no VM has would otherwise leave a worker waiting for a lease that never comes.
 */
export function checkServable(vms: readonly PoolVm[], requirement: Requirement, labName: string): void {
  if (candidatesFor(vms, requirement).length > 0) return;
  if (requirement.vm !== undefined && !vms.some((vm) => vm.name === requirement.vm)) {
    const names = vms.map((vm) => `'${vm.name}'`).join(', ');
    throw new ConfigurationError(
      `No VM of the lab '${labName}' is called '${requirement.vm}' (VMs: ${names}); name one of them, or add the VM to the lab file.`,
    );
  }
  const offered = [...new Set(vms.flatMap((vm) => vm.capabilities))].sort();
  throw new ConfigurationError(
    `No VM of the lab '${labName}' is ${describeRequirement(requirement)} (capabilities the lab offers: ${offered.length ? offered.map((c) => `'${c}'`).join(', ') : 'none'}); add the capability to a VM in the lab file, or change the scenario's @needs tags.`,
  );
}

/** The answer to a lease request: a lease, a wait, or a refusal that no wait can change. */
export type LeaseAnswer =
  | { kind: 'leased'; lease: Lease }
  | { kind: 'wait' }
  | { kind: 'refused'; reason: string };

/**
 * The pool's state and its rules. Not thread-safe by design: exactly one owner mutates it, and
 * asynchronous callers go through that owner.
 */
export class VmPool {
  private readonly holders = new Map<string, Lease>();
  /** Who used each VM last: a worker gets its own VM back when it can (its debugger stays open). */
  private readonly lastHolder = new Map<string, string>();
  private readonly quarantine = new Map<string, string>();
  private nextId = 1;

  constructor(
    readonly vms: readonly PoolVm[],
    readonly labName: string,
  ) {
    const seen = new Set<string>();
    for (const vm of vms) {
      if (seen.has(vm.name)) {
        throw new ConfigurationError(
          `The lab '${labName}' lists VM '${vm.name}' twice; each VM of a pool needs a unique name.`,
        );
      }
      seen.add(vm.name);
    }
  }

  /**
   * Grants the first free, healthy VM that meets the requirement, preferring one the holder did not
   * just give up (`avoid`: a lab retry moves to another VM when there is one).
   */
  tryLease(requirement: Requirement, holder: string, avoid: readonly string[] = []): LeaseAnswer {
    const candidates = candidatesFor(this.vms, requirement);
    if (candidates.length === 0) {
      return {
        kind: 'refused',
        reason: `no VM of the lab '${this.labName}' is ${describeRequirement(requirement)}`,
      };
    }
    const healthy = candidates.filter((vm) => !this.quarantine.has(vm.name));
    if (healthy.length === 0) {
      const why = candidates.map((vm) => `'${vm.name}' ${this.quarantine.get(vm.name)}`).join('; ');
      return {
        kind: 'refused',
        reason: `every VM that could serve it is quarantined for this run (${why})`,
      };
    }
    const free = healthy.filter((vm) => !this.holders.has(vm.name));
    const allowed = free.filter((vm) => !avoid.includes(vm.name));
    const rank = (vm: PoolVm): number => {
      const last = this.lastHolder.get(vm.name);
      return last === holder ? 0 : last === undefined ? 1 : 2;
    };
    const pick = [...(allowed.length ? allowed : free)].sort((a, b) => rank(a) - rank(b))[0];
    if (pick === undefined) return { kind: 'wait' };
    const previous = this.lastHolder.get(pick.name);
    const lease: Lease = {
      vm: pick.name,
      holder,
      id: this.nextId++,
      ...(previous !== undefined && previous !== holder ? { previousHolder: previous } : {}),
    };
    this.holders.set(pick.name, lease);
    this.lastHolder.set(pick.name, holder);
    return { kind: 'leased', lease };
  }

  /** Gives a VM back; a release of a lease that is no longer current changes nothing. */
  release(lease: Lease): boolean {
    const current = this.holders.get(lease.vm);
    if (current === undefined || current.id !== lease.id) return false;
    this.holders.delete(lease.vm);
    return true;
  }

  /** Releases every lease of a holder that is gone (a worker that died mid-scenario). */
  releaseHolder(holder: string): Lease[] {
    const released = [...this.holders.values()].filter((l) => l.holder === holder);
    for (const lease of released) this.holders.delete(lease.vm);
    // What the holder kept open of its VMs went with it.
    for (const [vm, last] of this.lastHolder) if (last === holder) this.lastHolder.delete(vm);
    return released;
  }

  /** Takes a VM out of the run after a failed health check; its current lease stays until released. */
  quarantineVm(vm: string, reason: string): void {
    if (!this.vms.some((v) => v.name === vm)) return;
    if (!this.quarantine.has(vm)) this.quarantine.set(vm, reason);
  }

  isQuarantined(vm: string): boolean {
    return this.quarantine.has(vm);
  }

  /** Who holds which VM now (a copy). */
  leases(): Lease[] {
    return [...this.holders.values()];
  }

  /** The quarantined VMs and why (a copy). */
  quarantined(): Map<string, string> {
    return new Map(this.quarantine);
  }
}

/** A request waiting for a VM; `answer` is called once, when it is granted or refused. */
export interface WaitingRequest {
  holder: string;
  requirement: Requirement;
  avoid: readonly string[];
  answer: (answer: Exclude<LeaseAnswer, { kind: 'wait' }>) => void;
}

/**
 * The pool with its waiting line: requests that cannot be served now wait, first come first
 * served, and are answered as VMs come back or are quarantined.
 */
export class LeaseQueue {
  private readonly waiting: WaitingRequest[] = [];

  constructor(readonly pool: VmPool) {}

  request(request: WaitingRequest): void {
    const answer = this.pool.tryLease(request.requirement, request.holder, request.avoid);
    if (answer.kind === 'wait') this.waiting.push(request);
    else request.answer(answer);
  }

  release(lease: Lease, by: string): void {
    // Only the holder's own leases: one worker cannot give back another worker's VM.
    if (lease.holder === by && this.pool.release(lease)) this.serve();
  }

  quarantine(vm: string, reason: string): void {
    this.pool.quarantineVm(vm, reason);
    // Waiters that only this VM could serve are refused now rather than left waiting.
    this.serve();
  }

  /** A holder is gone: its waiting requests are dropped and its VMs go back to the pool. */
  forget(holder: string): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i]?.holder === holder) this.waiting.splice(i, 1);
    }
    if (this.pool.releaseHolder(holder).length > 0) this.serve();
  }

  /** How many requests wait for a VM now. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  private serve(): void {
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i] as WaitingRequest;
      const answer = this.pool.tryLease(w.requirement, w.holder, w.avoid);
      if (answer.kind === 'wait') {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      w.answer(answer);
    }
  }
}
