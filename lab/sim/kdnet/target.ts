/**
 * The target end of the KDNET link, run by the embedded host's VM for each boot with
 * `bcdedit /debug on` and NET dbgsettings: it offers itself to hostip:port until a debugger that
 * knows the key answers, then serves the DebugTarget to it (see protocol.ts).
 *
 *   const endpoint = new KdnetTargetEndpoint({ hostIp, port, key, target });
 *   await endpoint.start();               // at boot
 *   endpoint.notify({ kind: 'bugcheck', text });   // the kernel crashed: kd prints it, then a prompt
 *   await endpoint.stop('reboot');        // at shutdown: kd prints the shutdown text and waits
 */
import type { RemoteInfo } from 'node:dgram';
import type { DebugTarget } from '../ports.js';
import type { DatagramBody } from './datagram.js';
import { newNonce } from './datagram.js';
import { EndpointBase, type GoingDownReason } from './endpoint.js';
import { repeatEveryOffer } from './offers.js';
import { type LinkTiming, loopbackAddressFor } from './protocol.js';
import { ReliableChannel, routeChannelBody } from './reliable.js';
import { type Address, SignedSocket } from './signed-socket.js';
import { TargetServer } from './target-server.js';

export type { GoingDownReason, TargetEndpoint } from './endpoint.js';

export interface KdnetTargetOptions {
  /** The host IP of `bcdedit /dbgsettings NET HOSTIP:` (carried on loopback, see loopbackAddressFor). */
  hostIp: string;
  port: number;
  key: string;
  target: DebugTarget;
  timing?: Partial<LinkTiming>;
}

interface Session {
  sid: string;
  peer: Address;
  channel: ReliableChannel;
  server: TargetServer;
}

/** Wall milliseconds a stopping endpoint waits for its last words to be acknowledged. */
const FAREWELL_WALL_MS = 500;

export class KdnetTargetEndpoint extends EndpointBase<Session> {
  private readonly socket: SignedSocket;
  private tid = newNonce();
  private offering: AbortController | undefined;
  private farewell: Promise<void> = Promise.resolve();
  /** The session whose debugger was told the target goes down, while its last words are delivered. */
  private leaving: Session | undefined;
  private readonly host: Address;

  constructor(private readonly options: KdnetTargetOptions) {
    super();
    this.host = { address: loopbackAddressFor(options.hostIp), port: options.port };
    this.socket = new SignedSocket(options.key, (body, from) => this.receive(body, from));
  }

  async start(): Promise<void> {
    this.down = false;
    if (!this.socket.isOpen) await this.socket.bind(0, '127.0.0.1');
    this.startOffering();
  }

  async stop(reason: GoingDownReason = 'power-off'): Promise<void> {
    if (this.session) this.notify({ kind: 'going-down', reason });
    this.down = true;
    this.stopLooking();
    await this.farewell;
    await this.socket.close();
  }

  protected stopLooking(): void {
    this.offering?.abort();
  }

  protected closeSession(session: Session, reason: GoingDownReason): void {
    this.leaving = session;
    this.farewell = (async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        session.channel.drained(),
        new Promise((r) => {
          timer = setTimeout(r, FAREWELL_WALL_MS);
        }),
      ]);
      clearTimeout(timer);
      if (this.leaving === session) this.leaving = undefined;
      // Closed already when the debugger said it no longer knows the session: nothing to say goodbye to.
      if (session.channel.isClosed) return;
      session.channel.close();
      this.socket.send({ v: 1, k: 'bye', sid: session.sid, reason }, session.peer);
    })();
  }

  private startOffering(): void {
    if (this.offering && !this.offering.signal.aborted) return;
    const controller = new AbortController();
    this.offering = controller;
    this.tid = newNonce();
    void repeatEveryOffer(controller.signal, () => {
      if (this.session || this.down || !this.socket.isOpen) return true;
      this.socket.send({ v: 1, k: 'offer', tid: this.tid }, this.host);
      return false;
    }).finally(() => {
      if (this.offering === controller) this.offering = undefined;
    });
  }

  private receive(body: DatagramBody, from: RemoteInfo): void {
    const session = this.session;
    switch (body.k) {
      case 'accept':
        if (!session && !this.down && body.tid === this.tid) this.pair(`${body.tid}:${body.hid}`, from);
        return;
      case 'data':
      case 'ack':
      case 'ping':
        routeChannelBody(body, session?.channel, (sid) => this.socket.send({ v: 1, k: 'reset', sid }, from));
        return;
      case 'reset':
        if (session && body.sid === session.sid) this.unpair();
        // A debugger that no longer knows the session this target is leaving (it quit, or a
        // restored VM's debugger holds the port): the last words have no one to reach, so they
        // stop now instead of being sent again for the rest of the farewell.
        else if (this.leaving?.sid === body.sid) this.leaving.channel.close();
        return;
      case 'offer':
      case 'bye':
        return;
    }
  }

  private pair(sid: string, from: RemoteInfo): void {
    this.offering?.abort();
    const peer = { address: from.address, port: from.port };
    const channel = new ReliableChannel({
      sid,
      send: (body) => this.socket.send(body, peer),
      onMessage: (value) => server.handle(value),
      onLost: () => this.unpair(),
      // A KDNET target keeps its debugger until the debugger says it is gone (a reset from the
      // port, as a new debugger or one that quit sends): a debugger that is only slow to answer
      // (a loaded machine) is retried, and a bug check meanwhile still stops in it, as on a real
      // target. A forgotten debugger made an NMI write a dump and reboot instead of stopping.
      keepsPeer: true,
      timing: this.options.timing,
    });
    const server = new TargetServer(this.options.target, (message) => channel.send(message));
    this.session = { sid, peer, channel, server };
    channel.send(server.hello());
  }

  /** The debugger said its session is gone (a reset: it quit, or a new debugger holds its port): offer again. */
  private unpair(): void {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    session.server.end();
    session.channel.close();
    if (!this.down && this.socket.isOpen) this.startOffering();
  }
}
