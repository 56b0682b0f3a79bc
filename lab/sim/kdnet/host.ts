/**
 * The host end of the debug link, used by the simulated debugger: it waits for a target, pairs
 * with it, sends it requests and hands its replies and events to the debugger console.
 */
import type { RemoteInfo } from 'node:dgram';
import { type DatagramBody, newNonce } from './datagram.js';
import type { GoingDownReason } from './endpoint.js';
import {
  type HostRequestBody,
  LINK_TIMING,
  type LinkTiming,
  loopbackAddressFor,
  type TargetEventMessage,
  type TargetHello,
  TargetMessage,
  type TargetReply,
} from './protocol.js';
import { ReliableChannel, routeChannelBody } from './reliable.js';
import { type Address, SignedSocket } from './signed-socket.js';

/** Where a KDNET target was reached (for "Connected to target … on port … on local IP …"). */
export interface PeerAddress {
  target: string;
  port: number;
  local: string;
}

export type LinkEnd = { kind: 'going-down'; reason: GoingDownReason } | { kind: 'lost' };

/** What the host end of a link tells the debugger console. */
export interface HostLinkHandlers {
  connected(hello: TargetHello, peer: PeerAddress | null): void;
  event(message: TargetEventMessage): void;
  /** The oldest unacknowledged packet was sent `count` times. */
  retry(count: number): void;
  /** The session is over: the target said it goes down, or the transport was lost. */
  ended(how: LinkEnd): void;
}

/** The host end of a link, whatever the transport. */
export interface HostLink {
  /** Starts waiting for a target; rejects when the address or pipe cannot be used. */
  open(): Promise<void>;
  isConnected(): boolean;
  /** Sends a request to the connected target; rejects with LinkLostError when the session ends first. */
  call(request: HostRequestBody): Promise<TargetReply>;
  close(): Promise<void>;
}

/** The session ended (or never began) before the target answered. */
export class LinkLostError extends Error {}

/** Numbers requests and matches replies to them. */
export class PendingRequests {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (r: TargetReply) => void; reject: (e: Error) => void }
  >();

  create(
    body: HostRequestBody,
    send: (request: HostRequestBody & { id: number }) => void,
  ): Promise<TargetReply> {
    const id = this.nextId++;
    return new Promise<TargetReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      send({ ...body, id });
    });
  }

  settle(reply: TargetReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    waiter.resolve(reply);
  }

  failAll(error: Error): void {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiters) w.reject(error);
  }
}

/**
 * Reads one session's target messages: the hello once, replies to their requests, a going-down
 * event as the end of the session, other events to the console.
 */
export class TargetMessageReader {
  helloSeen = false;

  constructor(
    private readonly requests: PendingRequests,
    private readonly handlers: HostLinkHandlers,
    private readonly on: { hello(hello: TargetHello): void; goingDown(reason: GoingDownReason): void },
  ) {}

  /** Handles one message (parsed JSON); anything that is not a target message is ignored. */
  read(value: unknown): void {
    const parsed = TargetMessage.safeParse(value);
    if (!parsed.success) return;
    const message = parsed.data;
    switch (message.op) {
      case 'hello':
        if (!this.helloSeen) {
          this.helloSeen = true;
          this.on.hello(message);
        }
        return;
      case 'reply':
      case 'failed':
        this.requests.settle(message);
        return;
      case 'event':
        if (message.event.kind === 'going-down') this.on.goingDown(message.event.reason);
        else this.handlers.event(message);
        return;
    }
  }
}

export interface KdnetHostOptions {
  /** The address the debugger listens on (DRIVERLAB_KD_LISTEN), carried on loopback. */
  listenIp: string;
  port: number;
  key: string;
  handlers: HostLinkHandlers;
  timing?: Partial<LinkTiming>;
}

interface HostSession {
  tid: string;
  hid: string;
  sid: string;
  peer: Address;
  channel: ReliableChannel;
  reader: TargetMessageReader;
}

/** The host end of the KDNET link: listens on hostip:port for offers signed with the key. */
export class KdnetHostLink implements HostLink {
  private readonly socket: SignedSocket;
  private session: HostSession | undefined;
  private readonly requests = new PendingRequests();
  private readonly takeOverSilentWallMs: number;
  readonly localAddress: string;

  constructor(private readonly options: KdnetHostOptions) {
    this.localAddress = loopbackAddressFor(options.listenIp);
    this.takeOverSilentWallMs = options.timing?.takeOverSilentWallMs ?? LINK_TIMING.takeOverSilentWallMs;
    // A datagram signed with another key never reaches receive(): the debugger keeps waiting.
    this.socket = new SignedSocket(options.key, (body, from) => this.receive(body, from));
  }

  async open(): Promise<void> {
    // Room for a full window of chunks, so a long output is not lost to a small default buffer.
    await this.socket.bind(this.options.port, this.localAddress, 1 << 20);
  }

  isConnected(): boolean {
    return this.session?.reader.helloSeen === true;
  }

  call(request: HostRequestBody): Promise<TargetReply> {
    const session = this.session;
    if (!session?.reader.helloSeen) return Promise.reject(new LinkLostError('no target is connected'));
    return this.requests.create(request, (numbered) => session.channel.send(numbered));
  }

  async close(): Promise<void> {
    // The debugger quits: the target hears at once that its session is gone (as a session id
    // unknown here), instead of finding out from its keepalive seconds later.
    const session = this.session;
    if (session) await this.socket.sent({ v: 1, k: 'reset', sid: session.sid }, session.peer);
    this.drop();
    await this.socket.close();
  }

  private receive(body: DatagramBody, from: RemoteInfo): void {
    const session = this.session;
    switch (body.k) {
      case 'offer':
        if (session && session.tid === body.tid) {
          // Our accept was lost: say it again.
          this.socket.send({ v: 1, k: 'accept', tid: body.tid, hid: session.hid }, from);
        } else if (session && session.peer.address === from.address && session.peer.port === from.port) {
          // The same target offers with a new boot nonce: it restarted without a word.
          this.end({ kind: 'lost' });
          this.accept(body.tid, from);
        } else if (!session) {
          this.accept(body.tid, from);
        } else if (session.channel.silentWallMs >= this.takeOverSilentWallMs) {
          // Another target offers while the paired one has missed its keepalives: that one is gone
          // without a word (its VM's process died), and this is most likely its VM, come back in a
          // new process. A live target never falls this silent while its own process offers.
          this.end({ kind: 'lost' });
          this.accept(body.tid, from);
        }
        return;
      case 'data':
      case 'ack':
      case 'ping':
        routeChannelBody(body, session?.channel, (sid) => this.socket.send({ v: 1, k: 'reset', sid }, from));
        return;
      case 'bye':
        if (session && body.sid === session.sid) this.end({ kind: 'going-down', reason: body.reason });
        return;
      case 'reset':
        if (session && body.sid === session.sid) this.end({ kind: 'lost' });
        return;
      case 'accept':
        return;
    }
  }

  private accept(tid: string, from: RemoteInfo): void {
    const hid = newNonce();
    const sid = `${tid}:${hid}`;
    const peer = { address: from.address, port: from.port };
    const handlers = this.options.handlers;
    const reader = new TargetMessageReader(this.requests, handlers, {
      hello: (hello) =>
        handlers.connected(hello, {
          target: peer.address,
          port: this.options.port,
          local: this.localAddress,
        }),
      goingDown: (reason) => this.end({ kind: 'going-down', reason }),
    });
    const channel = new ReliableChannel({
      sid,
      send: (body) => this.socket.send(body, peer),
      onMessage: (value) => reader.read(value),
      onRetry: (count) => handlers.retry(count),
      onLost: () => this.end({ kind: 'lost' }),
      timing: this.options.timing,
    });
    this.session = { tid, hid, sid, peer, channel, reader };
    this.socket.send({ v: 1, k: 'accept', tid, hid }, from);
  }

  /** Ends the current session and tells the console how (only if a target had said hello). */
  private end(how: LinkEnd): void {
    const session = this.session;
    if (!session) return;
    const wasConnected = session.reader.helloSeen;
    this.drop();
    if (wasConnected) this.options.handlers.ended(how);
  }

  private drop(): void {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    session.channel.close();
    this.requests.failAll(new LinkLostError('the debug session ended'));
  }
}
