import { deepEqual, equal, rejects } from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseBroker } from './broker.js';
import { PoolClient } from './client.js';
import { VmPool } from './pool.js';

describe('the lease broker over loopback', () => {
  it('serves waiters in order, and gives the VMs of a worker whose connection dropped to the next one', async () => {
    const broker = await LeaseBroker.start(
      new VmPool(
        [
          { name: 'win11-a', capabilities: [] },
          { name: 'win11-b', capabilities: [] },
        ],
        'embedded',
      ),
    );
    const [w1, w2, w3] = await Promise.all([1, 2, 3].map(() => PoolClient.connect(broker.url)));
    try {
      const a = await (w1 as PoolClient).lease({ capabilities: [] });
      const b = await (w2 as PoolClient).lease({ capabilities: [] });
      deepEqual([a.vm, b.vm], ['win11-a', 'win11-b']);
      const third = (w3 as PoolClient).lease({ capabilities: [] });
      (w1 as PoolClient).close();
      const c = await third;
      equal(c.vm, 'win11-a', "the closed worker's VM goes to the waiting one");
      await (w2 as PoolClient).release(b);
      deepEqual(
        broker.pool.leases().map((l) => l.vm),
        ['win11-a'],
      );
    } finally {
      w2?.close();
      w3?.close();
      await broker.close();
    }
  });

  it('lets the previous holder of a VM close what it keeps open before the next holder gets it', async () => {
    const broker = await LeaseBroker.start(new VmPool([{ name: 'solo', capabilities: [] }], 'embedded'));
    const w1 = await PoolClient.connect(broker.url);
    const w2 = await PoolClient.connect(broker.url);
    const events: string[] = [];
    w1.onSurrender(async (vm) => {
      events.push(`w1 closes its debugger of ${vm}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      events.push('w1 closed it');
    });
    try {
      const lease = await w1.lease({ capabilities: [] });
      await w1.release(lease);
      const next = await w2.lease({ capabilities: [] });
      events.push(`w2 leased ${next.vm}`);
      deepEqual(events, ['w1 closes its debugger of solo', 'w1 closed it', 'w2 leased solo']);
    } finally {
      w1.close();
      w2.close();
      await broker.close();
    }
  });

  it('refuses with a sentence a scenario whose only VM is quarantined', async () => {
    const broker = await LeaseBroker.start(new VmPool([{ name: 'solo', capabilities: [] }], 'embedded'));
    const client = await PoolClient.connect(broker.url);
    try {
      await client.quarantine('solo', 'never reported a healthy heartbeat within 5 min');
      await rejects(client.lease({ capabilities: [] }), {
        name: 'LabCompromisedError',
        message:
          "No VM could be leased for a scenario that needs any VM, because every VM that could serve it is quarantined for this run ('solo' never reported a healthy heartbeat within 5 min); see the run's log for why each VM was quarantined.",
      });
    } finally {
      client.close();
      await broker.close();
    }
  });

  it('says the run has ended when the broker goes away under a waiting worker', async () => {
    const broker = await LeaseBroker.start(new VmPool([{ name: 'solo', capabilities: [] }], 'embedded'));
    const holder = await PoolClient.connect(broker.url);
    const waiter = await PoolClient.connect(broker.url);
    await holder.lease({ capabilities: [] });
    const waiting = waiter.lease({ capabilities: [] });
    await broker.close();
    await rejects(
      waiting,
      /The connection to the run's VM lease broker at tcp:\/\/127\.0\.0\.1:\d+ closed.*the run that started it has probably ended\.$/,
    );
    holder.close();
    waiter.close();
  });
});
