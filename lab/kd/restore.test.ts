/** KDNET after a checkpoint restore: both ways a lab file can choose, and the probe that recommends one. */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { virtualClock } from '../clock.js';
import { LabCompromisedError } from '../errors.js';
import type { KdEvent } from './port.js';
import { probeAfterRestore, rearmAfterRestore } from './restore.js';

/** A debugger whose target connects again after a restore, or only after a restart. */
function guest(rearms: 'by-itself' | 'after-restart' | 'never') {
  const events: KdEvent[] = [{ kind: 'established', initialBreak: false, atLabMs: 0 }];
  const connect = () => events.push({ kind: 'established', initialBreak: false, atLabMs: events.length });
  return {
    session: { events: () => events, describe: () => "the kernel debugger of VM 'win11-a'" },
    restore: async () => {
      if (rearms === 'by-itself') setTimeout(connect, 5);
    },
    restart: async () => {
      if (rearms !== 'never') setTimeout(connect, 5);
    },
  };
}

const clock = virtualClock({ wallBudgetMs: 1000 });
const common = { subject: "VM 'win11-a'", checkpoint: 'driverlab-debug-baseline', timeoutMs: 60_000, clock };

describe('KDNET after a checkpoint restore', () => {
  it('reconnect: waits for the restored guest to connect again, and says what to set when it does not', async () => {
    const ok = guest('by-itself');
    const before = ok.session.events().length;
    await ok.restore();
    await rearmAfterRestore(ok.session, {
      ...common,
      mode: 'reconnect',
      eventsBefore: before,
      restart: ok.restart,
    });

    const silent = guest('after-restart');
    await silent.restore();
    await expect.rejects(
      rearmAfterRestore(silent.session, {
        ...common,
        mode: 'reconnect',
        eventsBefore: 1,
        restart: silent.restart,
      }),
      (e: unknown) =>
        e instanceof LabCompromisedError &&
        e.message ===
          "The kernel debugger of VM 'win11-a' did not connect again after VM 'win11-a' was restored to 'driverlab-debug-baseline' (within 60 s); check the kd transcript, and if the guest's KDNET does not re-arm after a restore, set debugger.afterRestore: reboot in the lab file.",
    );
  });

  it('a debugger that ends while it waits is said to have ended, as soon as it does', {
    // Were the end not seen, the wait would run out its ten minutes of wall budget: fail well before.
    timeout: 60_000,
  }, async () => {
    const events: KdEvent[] = [{ kind: 'established', initialBreak: false, atLabMs: 0 }];
    const session = { events: () => events, describe: () => "the kernel debugger of VM 'win11-a'" };
    setTimeout(() => events.push({ kind: 'exited', code: null, signal: 'SIGKILL', atLabMs: 1 }), 5);
    await expect.rejects(
      rearmAfterRestore(session, {
        ...common,
        clock: virtualClock({ wallBudgetMs: 600_000 }),
        mode: 'reconnect',
        eventsBefore: 1,
        restart: async () => {},
      }),
      (e: unknown) =>
        e instanceof LabCompromisedError &&
        e.message ===
          "The kernel debugger of VM 'win11-a' ended (signal SIGKILL) while it waited for VM 'win11-a' to connect again after its restore to 'driverlab-debug-baseline'; driverlab starts a new debugger session for the VM; if this recurs, check what ended kd (its log, the memory of the machine it runs on).",
    );
  });

  it('reboot: restarts the restored guest, then waits for that boot to connect', async () => {
    const silent = guest('after-restart');
    await silent.restore();
    await rearmAfterRestore(silent.session, {
      ...common,
      mode: 'reboot',
      eventsBefore: 1,
      restart: silent.restart,
    });
    expect.equal(silent.session.events().filter((e) => e.kind === 'established').length, 2);
  });

  it('the probe recommends reconnect, reboot, or says neither works', async () => {
    for (const [rearms, recommend] of [
      ['by-itself', 'reconnect'],
      ['after-restart', 'reboot'],
      ['never', null],
    ] as const) {
      const g = guest(rearms);
      const result = await probeAfterRestore(g.session, {
        ...common,
        restore: g.restore,
        restart: g.restart,
      });
      expect.equal(result.recommend, recommend, rearms);
    }
  });
});
