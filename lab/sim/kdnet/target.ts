/**
 * The target end of the KDNET link, run by the embedded host's VM for each boot with
 * `bcdedit /debug on` and NET dbgsettings: it offers itself to hostip:port until a debugger that
 * knows the key answers, then serves the DebugTarget to it (see protocol.ts).
 *
 *   const endpoint = new KdnetTargetEndpoint({ hostIp, port, key, target, clock });
 *   await endpoint.start();               // at boot
 *   endpoint.notify({ kind: 'bugcheck', text });   // the kernel crashed: kd prints it, then a prompt
 *   await endpoint.stop('reboot');        // at shutdown: kd prints the shutdown text and waits
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { LabClock } from '../../clock.js';
import type { DebugTarget, TargetEvent } from '../contract.js';
import { type DatagramBody, decodeDatagram, encodeDatagram, newNonce } from './datagram.js';
import { repeatEveryOffer } from './offers.js';
import { type LinkTiming, loopbackAddressFor } from './protocol.js';
import { ReliableChannel } from './reliable.js';
import { TargetServer } from './target-server.js';

export type GoingDownReason = Extract<TargetEvent, { kind: 'going-down' }>['reason'];

/** What the VM does with the target end of a debug link, whatever the transport. */
export interface TargetEndpoint {
  /** Starts offering the target to its debugger (at boot). */
  start(): Promise<void>;
  /**
   * Tells the attached debugger about an event; false when no debugger is attached (the VM then
   * decides what happens without one). A going-down event ends the session; the endpoint stays
   * silent until it is started again.
   */
  notify(event: TargetEvent): boolean;
  /** A debugger is attached now. */
  isAttached(): boolean;
  /** Stops the endpoint; an attached debugger is told the target goes down for `reason`. */
  stop(reason?: GoingDownReason): Promise<void>;
}

export interface KdnetTargetOptions {
  /** The host IP of `bcdedit /dbgsettings NET HOSTIP:` (carried on loopback, see loopbackAddressFor). */
  hostIp: string;
  port: number;
  key: string;
  target: DebugTarget;
  clock: LabClock;
  timing?: Partial<LinkTiming>;
}

interface Session {
  sid: string;
  peer: { address: string; port: number };
  channel: ReliableChannel;
  server: TargetServer;
}

/** Wall milliseconds a stopping endpoint waits for its last words to be acknowledged. */
const FAREWELL_WALL_MS = 500;

export class KdnetTargetEndpoint implements TargetEndpoint {
  private socket: Socket | undefined;
  private tid = newNonce();
  private session: Session | undefined;
  private offering: AbortController | undefined;
  private down = false;
  private farewell: Promise<void> = Promise.resolve();
  private readonly hostAddress: string;

  constructor(private readonly options: KdnetTargetOptions) {
    this.hostAddress = loopbackAddressFor(options.hostIp);
  }

  async start(): Promise<void> {
    this.down = false;
    if (!this.socket) {
      const socket = createSocket('udp4');
      socket.on('message', (datagram, from) => this.receive(datagram, from));
      // A send to a port nobody listens on may surface as an error on some platforms: not fatal.
      socket.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => {
          socket.off('error', reject);
          resolve();
        });
      });
      this.socket = socket;
    }
    this.startOffering();
  }

  isAttached(): boolean {
    return this.session !== undefined;
  }

  notify(event: TargetEvent): boolean {
    const session = this.session;
    if (event.kind === 'going-down') {
      this.down = true;
      this.offering?.abort();
    }
    if (!session) return false;
    session.server.event(event);
    if (event.kind === 'going-down') {
      this.session = undefined;
      session.server.end();
      this.farewell = this.sayGoodbye(session, event.reason);
    }
    return true;
  }

  async stop(reason: GoingDownReason = 'power-off'): Promise<void> {
    if (this.session) this.notify({ kind: 'going-down', reason });
    this.down = true;
    this.offering?.abort();
    await this.farewell;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private async sayGoodbye(session: Session, reason: GoingDownReason): Promise<void> {
    await Promise.race([session.channel.drained(), new Promise((r) => setTimeout(r, FAREWELL_WALL_MS))]);
    session.channel.close();
    this.transmit({ v: 1, k: 'bye', sid: session.sid, reason }, session.peer);
  }

  private startOffering(): void {
    if (this.offering && !this.offering.signal.aborted) return;
    const controller = new AbortController();
    this.offering = controller;
    this.tid = newNonce();
    void repeatEveryOffer(this.options.clock, controller.signal, () => {
      if (this.session || this.down || !this.socket) return true;
      this.transmit(
        { v: 1, k: 'offer', tid: this.tid },
        { address: this.hostAddress, port: this.options.port },
      );
      return false;
    }).finally(() => {
      if (this.offering === controller) this.offering = undefined;
    });
  }

  private transmit(body: DatagramBody, to: { address: string; port: number }): void {
    this.socket?.send(encodeDatagram(this.options.key, body), to.port, to.address);
  }

  private receive(datagram: Buffer, from: RemoteInfo): void {
    const body = decodeDatagram(this.options.key, datagram);
    if (!body) return;
    const session = this.session;
    switch (body.k) {
      case 'accept':
        if (!session && !this.down && body.tid === this.tid) this.pair(`${body.tid}:${body.hid}`, from);
        return;
      case 'data':
      case 'ack':
      case 'ping':
        if (session && body.sid === session.sid) session.channel.receive(body);
        else if (body.k !== 'ack') this.transmit({ v: 1, k: 'reset', sid: body.sid }, from);
        return;
      case 'reset':
        if (session && body.sid === session.sid) this.unpair();
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
      send: (body) => this.transmit(body, peer),
      onMessage: (value) => server.handle(value),
      onLost: () => this.unpair(),
      timing: this.options.timing,
    });
    const server = new TargetServer(this.options.target, (message) => channel.send(message));
    this.session = { sid, peer, channel, server };
    channel.send(server.hello());
  }

  /** The debugger went away (quit, killed, or another took its port): offer again. */
  private unpair(): void {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    session.server.end();
    session.channel.close();
    if (!this.down && this.socket) this.startOffering();
  }
}
