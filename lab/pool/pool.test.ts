import { deepEqual, equal, throws } from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigurationError } from '../errors.js';
import {
  checkServable,
  type Lease,
  LeaseQueue,
  type PoolVm,
  type Requirement,
  requirementOf,
  VmPool,
} from './pool.js';

const THREE: PoolVm[] = [
  { name: 'win11-a', capabilities: [] },
  { name: 'win11-b', capabilities: ['second-nic'] },
  { name: 'win10-c', capabilities: ['second-nic', 'arm64'] },
];

const runs = Number(process.env.DRIVERLAB_FUZZ_RUNS ?? '') || 5;

describe('the VM pool', () => {
  it('reads a requirement from @needs tags and a named test VM step', () => {
    deepEqual(requirementOf(['@kdnet', '@needs:second-nic', '@needs:arm64'], ['a test VM']), {
      capabilities: ['arm64', 'second-nic'],
    });
    deepEqual(requirementOf([], ['the test VM win11-b', 'the VM restarts']), {
      vm: 'win11-b',
      capabilities: [],
    });
    throws(
      () => requirementOf([], ['the test VM win11-a', 'the test VM win11-b']),
      (e: unknown) =>
        e instanceof ConfigurationError &&
        e.message ===
          "The scenario names two test VMs ('win11-a' and 'win11-b'), but a scenario runs on one VM; split it into one scenario per VM.",
    );
  });

  it('refuses before the run a VM name or capability no VM of the lab has, saying what there is', () => {
    throws(
      () => checkServable(THREE, { vm: 'win11-z', capabilities: [] }, 'nightly'),
      /^ConfigurationError: No VM of the lab 'nightly' is called 'win11-z' \(VMs: 'win11-a', 'win11-b', 'win10-c'\); name one of them/,
    );
    throws(
      () => checkServable(THREE, { capabilities: ['gpu'] }, 'nightly'),
      /No VM of the lab 'nightly' is a VM with 'gpu' \(capabilities the lab offers: 'arm64', 'second-nic'\)/,
    );
    checkServable(THREE, { vm: 'win11-b', capabilities: ['second-nic'] }, 'nightly');
  });

  it('leases a named VM only to a scenario that names it, and a capable VM only to one that needs it', () => {
    const pool = new VmPool(THREE, 'nightly');
    const named = pool.tryLease({ vm: 'win10-c', capabilities: [] }, 'w1');
    equal(named.kind === 'leased' && named.lease.vm, 'win10-c');
    const capable = pool.tryLease({ capabilities: ['second-nic'] }, 'w2');
    equal(capable.kind === 'leased' && capable.lease.vm, 'win11-b');
    equal(pool.tryLease({ capabilities: ['second-nic'] }, 'w3').kind, 'wait');
    const any = pool.tryLease({ capabilities: [] }, 'w4');
    equal(any.kind === 'leased' && any.lease.vm, 'win11-a');
  });

  it('gives a worker its own VM back, and names the previous holder when a VM changes hands', () => {
    const pool = new VmPool(THREE.slice(0, 2), 'nightly');
    const first = pool.tryLease({ capabilities: [] }, 'w1');
    const second = pool.tryLease({ capabilities: [] }, 'w2');
    if (first.kind !== 'leased' || second.kind !== 'leased') throw new Error('both VMs should be free');
    pool.release(second.lease);
    pool.release(first.lease);
    const again = pool.tryLease({ capabilities: [] }, 'w2');
    deepEqual(again.kind === 'leased' && again.lease, { vm: 'win11-b', holder: 'w2', id: 3 });
    const moved = pool.tryLease({ capabilities: [] }, 'w3');
    deepEqual(moved.kind === 'leased' && moved.lease, {
      vm: 'win11-a',
      holder: 'w3',
      id: 4,
      previousHolder: 'w1',
    });
    pool.releaseHolder('w3');
    const afterGone = pool.tryLease({ capabilities: [] }, 'w1');
    deepEqual(afterGone.kind === 'leased' && afterGone.lease, { vm: 'win11-a', holder: 'w1', id: 5 });
  });

  it('moves a lab retry to another VM when there is one, and keeps it when there is not', () => {
    const pool = new VmPool(THREE, 'nightly');
    const moved = pool.tryLease({ capabilities: [] }, 'w1', ['win11-a']);
    equal(moved.kind === 'leased' && moved.lease.vm, 'win11-b');
    const only = new VmPool([{ name: 'solo', capabilities: [] }], 'small');
    const kept = only.tryLease({ capabilities: [] }, 'w1', ['solo']);
    equal(kept.kind === 'leased' && kept.lease.vm, 'solo');
  });

  it('refuses, with the reasons, a requirement whose every VM is quarantined, and answers the waiters at once', () => {
    const queue = new LeaseQueue(new VmPool(THREE, 'nightly'));
    const answers: string[] = [];
    queue.request({
      holder: 'w1',
      requirement: { vm: 'win11-a', capabilities: [] },
      avoid: [],
      answer: (a) => answers.push(a.kind),
    });
    queue.request({
      holder: 'w2',
      requirement: { vm: 'win11-a', capabilities: [] },
      avoid: [],
      answer: (a) => answers.push(a.kind === 'refused' ? a.reason : a.kind),
    });
    deepEqual(answers, ['leased']);
    queue.quarantine('win11-a', 'never reported a healthy heartbeat');
    deepEqual(answers, [
      'leased',
      "every VM that could serve it is quarantined for this run ('win11-a' never reported a healthy heartbeat)",
    ]);
    equal(queue.waitingCount, 0);
  });

  it("gives a gone worker's VMs to the next waiter and ignores a release by anyone else", () => {
    const queue = new LeaseQueue(new VmPool([{ name: 'solo', capabilities: [] }], 'small'));
    const got: Lease[] = [];
    const ask = (holder: string): void =>
      queue.request({
        holder,
        requirement: { capabilities: [] },
        avoid: [],
        answer: (a) => a.kind === 'leased' && got.push(a.lease),
      });
    ask('w1');
    ask('w2');
    equal(got.length, 1);
    queue.release(got[0] as Lease, 'w2');
    equal(got.length, 1, 'w2 cannot release the lease w1 holds');
    queue.forget('w1');
    equal(got.length, 2);
    equal(got[1]?.holder, 'w2');
  });

  it('never grants one VM twice: 8 workers × 1,000 leases over 3 VMs, in any interleaving', () => {
    const requirements = fc.constantFrom<Requirement>(
      { capabilities: [] },
      { capabilities: ['second-nic'] },
      { vm: 'win11-a', capabilities: [] },
      { vm: 'win10-c', capabilities: ['arm64'] },
    );
    fc.assert(
      fc.property(
        fc.array(requirements, { minLength: 8, maxLength: 8 }),
        fc.infiniteStream(fc.nat()),
        (needs, picks) => {
          const queue = new LeaseQueue(new VmPool(THREE, 'nightly'));
          const held = new Map<string, string>();
          // Each worker wants a VM, waits for one, or holds one; the stream decides who acts next.
          const workers = needs.map((requirement, i) => ({
            holder: `w${i}`,
            requirement,
            done: 0,
            lease: null as Lease | null,
            waiting: false,
          }));
          const grant = (w: (typeof workers)[number], lease: Lease): void => {
            const other = held.get(lease.vm);
            if (other !== undefined)
              throw new Error(`${lease.vm} leased to ${w.holder} while ${other} holds it`);
            const vm = THREE.find((v) => v.name === lease.vm) as PoolVm;
            if (w.requirement.vm !== undefined && vm.name !== w.requirement.vm)
              throw new Error('wrong VM by name');
            if (!w.requirement.capabilities.every((c) => vm.capabilities.includes(c)))
              throw new Error('wrong capability');
            held.set(lease.vm, w.holder);
            w.lease = lease;
            w.waiting = false;
          };
          const stream = picks[Symbol.iterator]();
          for (;;) {
            const ready = workers.filter((w) => !w.waiting && w.done < 1000);
            if (ready.length === 0) break;
            const w = ready[(stream.next().value as number) % ready.length] as (typeof workers)[number];
            if (w.lease === null) {
              w.waiting = true;
              queue.request({
                holder: w.holder,
                requirement: w.requirement,
                avoid: [],
                answer: (a) => {
                  if (a.kind !== 'leased') throw new Error(a.reason);
                  grant(w, a.lease);
                },
              });
            } else {
              const lease = w.lease;
              w.lease = null;
              w.done++;
              held.delete(lease.vm);
              queue.release(lease, w.holder);
            }
          }
          equal(workers.filter((w) => w.done === 1000).length, 8, 'every worker got its 1,000 leases');
          equal(queue.pool.leases().length, 0);
        },
      ),
      { numRuns: runs },
    );
  });

  it('says what a duplicated VM name is', () => {
    throws(
      () => new VmPool([THREE[0] as PoolVm, THREE[0] as PoolVm], 'nightly'),
      (e: unknown) => e instanceof ConfigurationError && /lists VM 'win11-a' twice/.test(e.message),
    );
  });
});
