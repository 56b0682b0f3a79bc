/**
 * The virtual lab clock: waits end in lab-time order with no real waiting, whatever else the process
 * does meanwhile; a hold keeps the guest waits back; time learnt from elsewhere wakes what is due.
 */
import { deepStrictEqual, equal, rejects } from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatLabDuration, memoryTime, virtualClock } from './clock.js';

describe('a virtual lab clock', () => {
  test('ends concurrent sleeps in lab-time order, and the time is the deadline of each', async () => {
    const clock = virtualClock();
    const woke: [string, number][] = [];
    const sleep = async (name: string, ms: number) => {
      await clock.sleep(ms);
      woke.push([name, clock.now()]);
    };
    await Promise.all([
      sleep('boot', 40_000),
      sleep('command', 300),
      sleep('restore', 8_000),
      sleep('tie', 300),
    ]);
    deepStrictEqual(woke, [
      ['command', 300],
      ['tie', 300],
      ['restore', 8_000],
      ['boot', 40_000],
    ]);
  });

  test('a command racing its time limit: the earlier of the two wins, in lab time', async () => {
    const clock = virtualClock();
    const race = (commandMs: number, limitMs: number) =>
      Promise.race([
        clock.sleep(commandMs).then(() => 'finished'),
        clock.sleep(limitMs).then(() => 'timed out'),
      ]);
    equal(await race(119_999, 120_000), 'finished');
    equal(await race(120_001, 120_000), 'timed out');
  });

  test('does not jump while work that is not a sleep is still running', async () => {
    const clock = virtualClock();
    let at: number | null = null;
    const sleeping = clock.sleep(1_000).then(() => {
      at = clock.now();
    });
    // A chain of promise and immediate steps: the clock waits for the process to be idle.
    for (let i = 0; i < 50; i += 1) await new Promise((r) => setImmediate(r));
    equal(at, 1_000, 'it jumped once the chain left the process idle');
    await sleeping;
  });

  test('a hold keeps a guest wait back, even past its deadline, while other waits go on', async () => {
    const clock = virtualClock();
    const release = clock.hold();
    const ended: [string, number][] = [];
    const limit = clock.sleepHeld(5_000).then(() => ended.push(['command limit', clock.now()]));
    await clock.sleep(8_000); // the host's own operation (a restore) goes on
    ended.push(['restore', clock.now()]);
    for (let i = 0; i < 20; i += 1) await new Promise((r) => setImmediate(r));
    deepStrictEqual(ended, [['restore', 8_000]], 'held: the limit did not end, though its time passed');
    release();
    await limit;
    deepStrictEqual(ended, [
      ['restore', 8_000],
      ['command limit', 8_000],
    ]);
  });

  test('wakes what is due when the time is learnt from another process (a shared store)', async () => {
    const store = memoryTime(100);
    const clock = virtualClock({ store });
    equal(clock.now(), 100);
    const sleeping = clock.sleep(1_000);
    store.advanceTo(5_000); // another process moved the shared time
    clock.advanceTo(5_000);
    await sleeping;
    equal(clock.now(), 5_000, 'time never goes back');
  });

  test('an aborted sleep rejects with the reason and never ends later', async () => {
    const clock = virtualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort(new Error('the command ended first'));
    await rejects(sleeping, /the command ended first/);
    equal(clock.nextDeadline(), null);
  });

  test('bounds waits on other processes by a wall budget, and watches for a short window', () => {
    const clock = virtualClock({ wallBudgetMs: 30_000, watchMs: 500 });
    equal(clock.wallTimeout(10_000), 30_000);
    equal(clock.wallTimeout(3_600_000 * 24), 86_400, 'a day of lab time: a wall ms per lab s');
    equal(clock.wallWatch(60_000), 500);
    equal(clock.wallWatch(100), 100);
  });
});

describe('a lab duration in a message', () => {
  test('reads as people write it', () => {
    deepStrictEqual([250, 8_000, 40_000, 300_000].map(formatLabDuration), ['250 ms', '8 s', '40 s', '5 min']);
  });
});
