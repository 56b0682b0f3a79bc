/**
 * Lab contract: VM power and readiness. Runs against the embedded lab, or the real lab named by
 * DRIVERLAB_LAB (see lab-under-test.ts).
 */
import { strict as expect } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { ConfigurationError, LabCompromisedError } from '../errors.js';
import {
  type LabUnderTest,
  labWithAbsentVm,
  openLabUnderTest,
  running,
  runningAndReady,
} from './lab-under-test.js';

let t: LabUnderTest;
before(async () => {
  t = await openLabUnderTest();
});
after(async () => {
  await t?.close();
});

describe('a VM', () => {
  it('turned off is Off, and started again is Running', async () => {
    await running(t.vm);
    expect.equal((await t.vm.stop({ turnOff: true })).state, 'Off');
    expect.equal((await t.vm.status()).state, 'Off');
    expect.equal(await t.vm.isRunning(), false);
    expect.equal((await t.vm.start()).state, 'Running');
    expect.equal(await t.vm.isRunning(), true);
  });

  it('shut down through its guest is Off, with no heartbeat', async () => {
    await runningAndReady(t.vm);
    const off = await t.vm.stop();
    expect.equal(off.state, 'Off');
    expect.equal(off.heartbeat, null);
    await t.vm.start();
  });

  it('restarted hard is Running again and becomes ready within the readiness timeout', async () => {
    await running(t.vm);
    expect.equal((await t.vm.restart()).state, 'Running');
    const timeoutMs = t.lab.timeouts.readiness;
    const ready = await t.vm.waitUntilReady({ timeoutMs });
    expect.match(ready.heartbeat, /^Ok/);
  });

  it('that is already ready is found ready in a fraction of the readiness timeout', async () => {
    await runningAndReady(t.vm);
    const timeoutMs = t.lab.timeouts.readiness;
    const ready = await t.vm.waitUntilReady({ timeoutMs });
    expect.ok(ready.waitedMs < timeoutMs / 2, `waited ${ready.waitedMs} lab ms of ${timeoutMs}`);
  });

  it('that is off is not waited for: readiness fails at once with a sentence', async () => {
    await t.vm.stop({ turnOff: true });
    try {
      await expect.rejects(t.vm.waitUntilReady(), (error: unknown) => {
        expect.ok(error instanceof LabCompromisedError);
        expect.equal(
          error.message,
          `${t.vm.describe()} is Off, so it will not become ready by waiting; start it (or restore a checkpoint that leaves it running) before waiting for it.`,
        );
        return true;
      });
    } finally {
      await t.vm.start();
    }
  });

  it('that is off refuses an NMI, which is the lab’s fault with a sentence', async () => {
    await t.vm.stop({ turnOff: true });
    try {
      await expect.rejects(t.vm.injectNmi(), (error: unknown) => {
        expect.ok(error instanceof LabCompromisedError);
        expect.match(
          error.message,
          /^Debug-VM on VM '.+' on host '.+' failed because Hyper-V refused the NMI \("Cannot inject a non-maskable interrupt into the virtual machine.*"\); an NMI reaches only a running VM, so start it first\.$/,
        );
        return true;
      });
    } finally {
      await t.vm.start();
    }
  });

  it('reports the IP addresses its guest has', async () => {
    await runningAndReady(t.vm);
    const addresses = await t.vm.addresses();
    expect.ok(addresses.length > 0);
    expect.ok(
      addresses.every((a) => /^[0-9a-f.:]+$/i.test(a)),
      addresses.join(', '),
    );
  });
});

describe('a VM the lab does not know', () => {
  it('is a configuration error naming the VMs the lab has', () => {
    expect.throws(() => t.lab.vm('driverlab-contract-unknown'), ConfigurationError);
  });

  it('named in the lab file but missing on the host is a configuration error with a sentence', async () => {
    const lab = labWithAbsentVm(t.file, 'driverlab-contract-absent');
    try {
      const absent = lab.vm('driverlab-contract-absent');
      await expect.rejects(absent.status(), (error: unknown) => {
        expect.ok(error instanceof ConfigurationError);
        expect.match(
          error.message,
          /^Get-VM on VM 'driverlab-contract-absent' on host '.+' failed because the host has no VM by that name \(".+"\); check the VM name in the lab file, and that driverlab runs as a Hyper-V administrator, since Hyper-V gives the same answer without that right\.$/,
        );
        return true;
      });
    } finally {
      await lab.close();
    }
  });
});
