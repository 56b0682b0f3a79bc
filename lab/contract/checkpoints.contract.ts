/**
 * Lab contract: checkpoints. A checkpoint snapshots the whole guest; restoring it brings back the
 * guest as it was, and a checkpoint that is not there is the lab's fault, said in a sentence.
 */
import { strict as expect } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { LabCompromisedError } from '../errors.js';
import { type LabUnderTest, openLabUnderTest, runningAndReady } from './lab-under-test.js';

const CHECKPOINT = 'driverlab-contract-checkpoint';
const KEY = 'HKLM\\SOFTWARE\\driverlab-contract';

let t: LabUnderTest;
before(async () => {
  t = await openLabUnderTest();
});
after(async () => {
  await t?.close();
});

describe('a checkpoint', () => {
  it('is listed once taken, brings the guest back when restored, and is gone once removed', async () => {
    await runningAndReady(t.vm);
    await t.vm.guest.setRegistryValue(KEY, 'Marker', 'String', 'before');
    const taken = await t.vm.checkpoint(CHECKPOINT);
    expect.equal(taken.name, CHECKPOINT);
    expect.equal(taken.vmName, t.vm.name);
    expect.ok(!Number.isNaN(Date.parse(taken.created)), taken.created);
    expect.ok((await t.vm.checkpoints()).some((c) => c.name === CHECKPOINT));
    try {
      await t.vm.guest.setRegistryValue(KEY, 'Marker', 'String', 'after');
      const restored = await t.vm.restore(CHECKPOINT);
      // A standard checkpoint comes back running; a production one comes back off.
      expect.ok(['Running', 'Off'].includes(restored.state), restored.state);
      await runningAndReady(t.vm);
      expect.deepEqual(await t.vm.guest.registryValue(KEY, 'Marker'), {
        exists: true,
        type: 'String',
        value: 'before',
      });
    } finally {
      await t.vm.removeCheckpoint(CHECKPOINT);
    }
    expect.equal(
      (await t.vm.checkpoints()).some((c) => c.name === CHECKPOINT),
      false,
    );
  });

  it('that does not exist cannot be restored, which is the lab’s fault with a sentence', async () => {
    await expect.rejects(t.vm.restore('driverlab-contract-missing'), (error: unknown) => {
      expect.ok(error instanceof LabCompromisedError);
      expect.match(
        error.message,
        /^Restore-VMCheckpoint on VM '.+' on host '.+' failed because the checkpoint does not exist \(".+"\); create it on the host with Checkpoint-VM or fix the checkpoint name in the lab file\.$/,
      );
      return true;
    });
  });

  it('of the baseline exists for the VM the lab file names it for', async () => {
    expect.ok(
      (await t.vm.checkpoints()).some((c) => c.name === t.vm.config.baseline),
      `no checkpoint '${t.vm.config.baseline}'`,
    );
  });
});
