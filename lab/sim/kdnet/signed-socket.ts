/**
 * A UDP socket of the KDNET link: it signs what it sends with the key and drops, unread, what is
 * not signed with it (see datagram.ts).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { type DatagramBody, decodeDatagram, encodeDatagram } from './datagram.js';

export interface Address {
  address: string;
  port: number;
}

export class SignedSocket {
  private socket: Socket | undefined;

  constructor(
    private readonly key: string,
    private readonly onBody: (body: DatagramBody, from: RemoteInfo) => void,
  ) {}

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  /** Binds to `address:port` (port 0: any); rejects when the address cannot be used. */
  async bind(port: number, address: string, receiveBufferBytes?: number): Promise<void> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (receiveBufferBytes !== undefined) {
      try {
        socket.setRecvBufferSize(receiveBufferBytes);
      } catch {
        // The system keeps its own limit: retransmission covers what it drops.
      }
    }
    // A send to a port nobody listens on may surface as an error on some platforms: not fatal.
    socket.on('error', () => {});
    socket.on('message', (datagram, from) => {
      const body = decodeDatagram(this.key, datagram);
      if (body) this.onBody(body, from);
    });
    this.socket = socket;
  }

  send(body: DatagramBody, to: Address): void {
    this.socket?.send(encodeDatagram(this.key, body), to.port, to.address);
  }

  /** Sends and waits until the datagram has left (a socket closed right after a send may drop it). */
  sent(body: DatagramBody, to: Address): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) =>
      socket.send(encodeDatagram(this.key, body), to.port, to.address, () => resolve()),
    );
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
