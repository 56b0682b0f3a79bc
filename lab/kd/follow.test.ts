/** A restart the live debugger follows: kd sees the target go down, then connects to it again. */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { virtualClock } from '../clock.js';
import { LabCompromisedError } from '../errors.js';
import { followRestart } from './follow.js';
import type { KdEvent } from './port.js';

const clock = virtualClock({ wallBudgetMs: 300 });
const who = "the kernel debugger of VM 'win11-a'";
const options = (eventsBefore: number) => ({
  subject: "VM 'win11-a'",
  eventsBefore,
  timeoutMs: 120_000,
  clock,
});

/** A debugger connected to its target, whose later events are pushed as the test says. */
function debuggerOf(): { session: { events(): KdEvent[]; describe(): string }; add(e: KdEvent): void } {
  const events: KdEvent[] = [{ kind: 'established', initialBreak: false, atLabMs: 0 }];
  return { session: { events: () => events, describe: () => who }, add: (e) => events.push(e) };
}

const down: KdEvent = { kind: 'shutdown', atLabMs: 1 };
const back: KdEvent = { kind: 'established', initialBreak: false, atLabMs: 2 };

describe('following a restart of the guest', () => {
  it('returns once kd has printed the shutdown and connected again, even when it reads them late', async () => {
    const kd = debuggerOf();
    const before = kd.session.events().length;
    setTimeout(() => kd.add(down), 10);
    setTimeout(() => kd.add(back), 20);
    await followRestart(kd.session, options(before));
    expect.equal(kd.session.events().length, before + 2);
  });

  it('does not take a connection from before the shutdown for the one after it', async () => {
    const kd = debuggerOf();
    const before = kd.session.events().length;
    kd.add({ kind: 'established', initialBreak: false, atLabMs: 1 });
    kd.add(down);
    await expect.rejects(
      followRestart(kd.session, options(before)),
      (error: Error) =>
        error instanceof LabCompromisedError &&
        error.message ===
          "The kernel debugger of VM 'win11-a' saw VM 'win11-a' go down for its restart but did not connect to it again (within 2 min); check the kd transcript, and that the guest still boots with debugging on (bcdedit /dbgsettings).",
    );
  });

  it('says so when kd never printed that the target went down', async () => {
    const kd = debuggerOf();
    await expect.rejects(
      followRestart(kd.session, options(kd.session.events().length)),
      (error: Error) =>
        error instanceof LabCompromisedError &&
        error.message ===
          "The kernel debugger of VM 'win11-a' never printed that VM 'win11-a' went down when it was restarted (within 2 min); check the kd transcript: the debugger may have lost the target before the restart.",
    );
  });

  // A budget of ten minutes: a wait that did not stop at the exit would outlast the test's limit.
  it('stops waiting when the debugger process ended, and says so', { timeout: 60_000 }, async () => {
    const kd = debuggerOf();
    const before = kd.session.events().length;
    kd.add(down);
    kd.add({ kind: 'exited', code: 1, signal: null, atLabMs: 3 });
    const patient = virtualClock({ wallBudgetMs: 600_000 });
    await expect.rejects(
      followRestart(kd.session, { ...options(before), clock: patient }),
      /^LabCompromisedError: The kernel debugger of VM 'win11-a' ended while VM 'win11-a' restarted/,
    );
  });
});
