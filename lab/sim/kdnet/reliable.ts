/**
 * Reliable, ordered messages over the datagrams of one session (see protocol.ts): chunking,
 * sequence numbers, acknowledgements, retransmission, keepalives. Used by both ends of the UDP
 * link; signing and addressing belong to the caller.
 */
import type { ChannelBody } from './datagram.js';
import { LINK_TIMING, type LinkTiming } from './protocol.js';

type DataBody = Extract<ChannelBody, { k: 'data' }>;

export interface ChannelOptions {
  sid: string;
  /** Sends one body to the peer. */
  send: (body: ChannelBody) => void;
  /** A whole message arrived (parsed JSON; the caller validates it). */
  onMessage: (value: unknown) => void;
  /** The oldest unacknowledged datagram has been sent again `count` times (every retryReportEvery). */
  onRetry?: (count: number) => void;
  /**
   * The link is lost: a datagram went unacknowledged maxRetries times, or the peer fell silent.
   * Never called with `keepsPeer`.
   */
  onLost: (why: 'unacknowledged' | 'silent') => void;
  /**
   * This side never gives up on its peer: it retransmits and keeps alive until closed, and only the
   * peer's own word (a reset, a bye) ends the session. A KDNET target keeps the debugger it paired
   * with: a debugger process that is merely slow (a loaded machine) must not make the VM forget it.
   */
  keepsPeer?: boolean;
  timing?: Partial<LinkTiming>;
}

interface InFlight {
  body: DataBody;
  sentAt: number;
  retries: number;
}

/** One session's reliable message stream; call receive() with every channel datagram of the session. */
export class ReliableChannel {
  readonly sid: string;
  private readonly timing: LinkTiming;
  private nextSeq = 0;
  private nextMsg = 0;
  private readonly queue: DataBody[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  private expected = 0;
  private readonly early = new Map<number, DataBody>();
  private assembling: Buffer[] = [];
  private lastSent = performance.now();
  /** When the last tick ran: a tick that comes late means this process was not running meanwhile. */
  private lastTick = performance.now();
  /** Wall ms the peer has been silent while this side was running to hear it (see tick). */
  private silentMs = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly options: ChannelOptions) {
    this.sid = options.sid;
    this.timing = { ...LINK_TIMING, ...options.timing };
    this.timer = setInterval(() => this.tick(), this.timing.retransmitWallMs);
    this.timer.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Wall ms the peer has been silent while this side was running to hear it. */
  get silentWallMs(): number {
    return this.silentMs;
  }

  /** Queues a message (any JSON value); it is cut into chunks and delivered in order. */
  send(message: unknown): void {
    if (this.closed) return;
    const bytes = Buffer.from(JSON.stringify(message), 'utf8');
    const size = this.timing.chunkBytes;
    const parts = Math.max(1, Math.ceil(bytes.length / size));
    const msg = this.nextMsg++;
    for (let part = 0; part < parts; part += 1) {
      this.queue.push({
        v: 1,
        k: 'data',
        sid: this.sid,
        seq: this.nextSeq++,
        msg,
        part,
        parts,
        data: bytes.subarray(part * size, (part + 1) * size).toString('base64'),
      });
    }
    this.pump();
  }

  /** Resolves when everything sent so far is acknowledged, or the channel closed. */
  drained(): Promise<void> {
    if (this.closed || (this.queue.length === 0 && this.inFlight.size === 0)) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  receive(body: ChannelBody): void {
    if (this.closed) return;
    this.silentMs = 0;
    switch (body.k) {
      case 'ack':
        if (this.inFlight.delete(body.seq)) this.pump();
        return;
      case 'ping':
        return;
      case 'data':
        this.transmit({ v: 1, k: 'ack', sid: this.sid, seq: body.seq });
        if (body.seq < this.expected || this.early.has(body.seq)) return;
        this.early.set(body.seq, body);
        for (let next = this.early.get(this.expected); next; next = this.early.get(this.expected)) {
          this.early.delete(this.expected);
          this.expected += 1;
          this.deliver(next);
        }
        return;
    }
  }

  /** Stops the timers; nothing more is sent or delivered. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.queue.length = 0;
    this.inFlight.clear();
    this.settleDrain();
  }

  private deliver(body: DataBody): void {
    this.assembling.push(Buffer.from(body.data, 'base64'));
    if (body.part !== body.parts - 1) return;
    const text = Buffer.concat(this.assembling).toString('utf8');
    this.assembling = [];
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // A peer that signs with our key but sends a broken message: drop it, keep the link.
      return;
    }
    this.options.onMessage(value);
  }

  private pump(): void {
    while (this.inFlight.size < this.timing.windowDatagrams) {
      const body = this.queue.shift();
      if (!body) break;
      this.inFlight.set(body.seq, { body, sentAt: performance.now(), retries: 0 });
      this.transmit(body);
    }
    if (this.queue.length === 0 && this.inFlight.size === 0) this.settleDrain();
  }

  private settleDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private transmit(body: ChannelBody): void {
    this.lastSent = performance.now();
    this.options.send(body);
  }

  private tick(): void {
    if (this.closed) return;
    const now = performance.now();
    // Silence is counted only over time this process was running to hear it: a tick that comes
    // late (this process was descheduled or busy, as on a loaded machine) counts as one keepalive
    // interval at most. What the peer sent meanwhile waits in the socket and is read right after
    // this tick; judging it silent for the whole stall lost links that were never broken.
    this.silentMs += Math.min(now - this.lastTick, this.timing.keepaliveWallMs);
    this.lastTick = now;
    let oldest = true;
    for (const entry of this.inFlight.values()) {
      if (now - entry.sentAt < this.timing.retransmitWallMs) {
        oldest = false;
        continue;
      }
      entry.retries += 1;
      entry.sentAt = now;
      this.transmit(entry.body);
      if (oldest && entry.retries % this.timing.retryReportEvery === 0) this.options.onRetry?.(entry.retries);
      if (entry.retries >= this.timing.maxRetries && !this.options.keepsPeer) {
        this.lose('unacknowledged');
        return;
      }
      oldest = false;
    }
    if (this.silentMs > this.timing.deadAfterWallMs && !this.options.keepsPeer) {
      this.lose('silent');
      return;
    }
    if (now - this.lastSent >= this.timing.keepaliveWallMs) {
      this.transmit({ v: 1, k: 'ping', sid: this.sid });
    }
  }

  private lose(why: 'unacknowledged' | 'silent'): void {
    this.close();
    this.options.onLost(why);
  }
}

/**
 * Hands a channel datagram to the session it belongs to; a data or ping datagram of a session this
 * side does not know is answered with a reset, so the peer pairs again at once.
 */
export function routeChannelBody(
  body: ChannelBody,
  channel: ReliableChannel | undefined,
  reset: (sid: string) => void,
): void {
  if (channel && body.sid === channel.sid) channel.receive(body);
  else if (body.k !== 'ack') reset(body.sid);
}
