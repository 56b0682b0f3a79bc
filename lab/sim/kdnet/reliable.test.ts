/**
 * The reliable channel's loss detection against a stalled process: on a loaded machine a process
 * can go unscheduled for seconds, and the debug link must not call that a lost link.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import type { ChannelBody } from './datagram.js';
import { type ChannelOptions, ReliableChannel } from './reliable.js';

/** Fast link timers, so that a stall longer than the silence limit is short. */
const TIMING = { retransmitWallMs: 5, keepaliveWallMs: 20, deadAfterWallMs: 100, maxRetries: 16 };

/** This process does nothing else for `ms` of wall time: no timer, no datagram is handled. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy: as a process the scheduler does not run.
  }
}

function wall(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Two channels of one session, each delivering to the other (asynchronously, as a socket does) until muted. */
function linked(options: { aKeepsPeer?: boolean } = {}) {
  const lost: string[] = [];
  const got: unknown[] = [];
  let muted = false;
  let a: ReliableChannel | undefined;
  let b: ReliableChannel | undefined;
  const to = (peer: () => ReliableChannel | undefined) => (body: ChannelBody) => {
    if (!muted) setImmediate(() => peer()?.receive(body));
  };
  const base = (side: string): Omit<ChannelOptions, 'send'> => ({
    sid: 's',
    onMessage: (value) => got.push(value),
    onLost: (why) => lost.push(`${side} ${why}`),
    timing: TIMING,
  });
  a = new ReliableChannel({ ...base('a'), send: to(() => b), keepsPeer: options.aKeepsPeer });
  b = new ReliableChannel({ ...base('b'), send: to(() => a) });
  return {
    a,
    b,
    lost,
    got,
    mute: () => {
      muted = true;
    },
    close: () => {
      a?.close();
      b?.close();
    },
  };
}

describe('the reliable channel', () => {
  it('does not count a stall of its own process as the peer falling silent', async () => {
    const link = linked();
    try {
      await wall(40);
      // Three times the silence limit without running: what the peer sent meanwhile is still to be read.
      stall(3 * TIMING.deadAfterWallMs);
      await wall(40);
      expect.deepEqual(link.lost, [], 'neither side lost the link over a stall of its own process');
      link.a.send({ after: 'stall' });
      for (let i = 0; i < 100 && link.got.length === 0; i += 1) await wall(5);
      expect.deepEqual(link.got, [{ after: 'stall' }]);
    } finally {
      link.close();
    }
  });

  it('still loses the link when the peer really falls silent while it runs', async () => {
    const link = linked();
    try {
      await wall(20);
      link.mute();
      link.b.close();
      for (let i = 0; i < 200 && link.lost.length === 0; i += 1) await wall(5);
      expect.deepEqual(link.lost, ['a silent']);
      expect.ok(link.a.isClosed);
    } finally {
      link.close();
    }
  });

  it('keeps its peer with keepsPeer: a silent peer and unacknowledged data do not end the session', async () => {
    const link = linked({ aKeepsPeer: true });
    try {
      await wall(20);
      link.mute();
      link.a.send({ unanswered: true });
      // Longer than both the silence limit and maxRetries retransmissions, with this process running.
      for (let i = 0; i < 60; i += 1) await wall(5);
      expect.deepEqual(
        link.lost.filter((l) => l.startsWith('a')),
        [],
      );
      expect.equal(link.a.isClosed, false, 'the side that keeps its peer is still open');
    } finally {
      link.close();
    }
  });
});
