/**
 * The COM-port-over-named-pipe link (`kd -k com:pipe,port=\\.\pipe\NAME,resets=0,reconnect`).
 *
 * With Hyper-V the debugger holds the pipe and the VM's COM port connects to it when the VM starts
 * (Set-VMComPort does not create the pipe; domain brief §1.7), so here the simulated debugger is the
 * pipe server and the target endpoint the client, which tries again every offer interval until the
 * debugger is there. On Windows the pipe is the real named pipe; elsewhere a Unix socket in the
 * temporary directory stands for it (Node's `net` serves both). A serial line has no key and no
 * acknowledgements: messages are newline-delimited JSON, and the stream closing is the only loss.
 */
import { existsSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugTarget } from '../ports.js';
import { EndpointBase, type GoingDownReason } from './endpoint.js';
import {
  type HostLink,
  type HostLinkHandlers,
  type LinkEnd,
  LinkLostError,
  PendingRequests,
  TargetMessageReader,
} from './host.js';
import { repeatEveryOffer } from './offers.js';
import type { HostRequestBody, TargetReply } from './protocol.js';
import { TargetServer } from './target-server.js';

/** The pipe name in `\\.\pipe\NAME` or `\\server\pipe\NAME`, or the text itself when it is a bare name. */
export function pipeName(port: string): string {
  const m = /^\\\\[^\\]+\\pipe\\(.+)$/i.exec(port);
  return m?.[1] ?? port;
}

/** Where the pipe of that name lives on this machine. */
export function pipePath(name: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return `\\\\.\\pipe\\${name}`;
  return join(tmpdir(), `driverlab-pipe-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
}

/** Splits a byte stream into lines and parses each as JSON (lines that are not JSON are skipped). */
function onJsonLines(socket: Socket, handle: (value: unknown) => void): void {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      handle(value);
    }
  });
}

function writeJsonLine(socket: Socket, value: unknown): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(value)}\n`);
}

/** The debugger's end of the pipe: it creates the pipe and waits for the VM's COM port. */
export class KdPipeHostLink implements HostLink {
  private server: Server | undefined;
  private connection: { socket: Socket; reader: TargetMessageReader; end: LinkEnd } | undefined;
  private readonly requests = new PendingRequests();
  readonly path: string;

  constructor(
    name: string,
    private readonly handlers: HostLinkHandlers,
  ) {
    this.path = pipePath(name);
  }

  async open(): Promise<void> {
    // A socket file left by a debugger that was killed would refuse the address.
    if (process.platform !== 'win32' && existsSync(this.path)) rmSync(this.path, { force: true });
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {});
    this.server = server;
  }

  isConnected(): boolean {
    return this.connection?.reader.helloSeen === true;
  }

  call(request: HostRequestBody): Promise<TargetReply> {
    const connection = this.connection;
    if (!connection?.reader.helloSeen) return Promise.reject(new LinkLostError('no target is connected'));
    return this.requests.create(request, (numbered) => writeJsonLine(connection.socket, numbered));
  }

  async close(): Promise<void> {
    this.connection?.socket.destroy();
    this.connection = undefined;
    this.requests.failAll(new LinkLostError('the debugger closed the pipe'));
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (process.platform !== 'win32') rmSync(this.path, { force: true });
  }

  private accept(socket: Socket): void {
    if (this.connection) {
      // A COM port has one other end.
      socket.destroy();
      return;
    }
    const connection: { socket: Socket; reader: TargetMessageReader; end: LinkEnd } = {
      socket,
      reader: new TargetMessageReader(this.requests, this.handlers, {
        hello: (hello) => this.handlers.connected(hello, null),
        goingDown: (reason) => {
          connection.end = { kind: 'going-down', reason };
        },
      }),
      end: { kind: 'lost' },
    };
    this.connection = connection;
    onJsonLines(socket, (value) => connection.reader.read(value));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.requests.failAll(new LinkLostError('the pipe closed'));
      if (connection.reader.helloSeen) this.handlers.ended(connection.end);
    });
  }
}

export interface KdPipeTargetOptions {
  /** The pipe name, or `\\.\pipe\NAME` as Set-VMComPort takes it. */
  pipe: string;
  target: DebugTarget;
}

/** The VM's COM port end of the pipe: connects to the debugger's pipe, retrying until it is there. */
export class KdPipeTargetEndpoint extends EndpointBase<{ socket: Socket; server: TargetServer }> {
  private readonly path: string;
  private connecting: AbortController | undefined;
  private running = false;

  constructor(private readonly options: KdPipeTargetOptions) {
    super();
    this.path = pipePath(pipeName(options.pipe));
  }

  async start(): Promise<void> {
    this.down = false;
    this.running = true;
    this.startConnecting();
  }

  async stop(reason: GoingDownReason = 'power-off'): Promise<void> {
    if (this.session) this.notify({ kind: 'going-down', reason });
    this.down = true;
    this.running = false;
    this.stopLooking();
  }

  protected stopLooking(): void {
    this.connecting?.abort();
  }

  protected closeSession(session: { socket: Socket }): void {
    session.socket.end();
  }

  private startConnecting(): void {
    if (this.connecting && !this.connecting.signal.aborted) return;
    const controller = new AbortController();
    this.connecting = controller;
    void repeatEveryOffer(controller.signal, async () => {
      if (this.session || this.down || !this.running) return true;
      const socket = await this.tryConnect();
      if (!socket) return false;
      if (controller.signal.aborted || this.down) {
        socket.destroy();
        return true;
      }
      this.attach(socket);
      return true;
    });
  }

  private tryConnect(): Promise<Socket | null> {
    return new Promise((resolve) => {
      const socket = connect(this.path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(null);
      });
    });
  }

  private attach(socket: Socket): void {
    const server = new TargetServer(this.options.target, (message) => writeJsonLine(socket, message));
    this.session = { socket, server };
    onJsonLines(socket, (value) => server.handle(value));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.session?.socket !== socket) return;
      this.session = undefined;
      server.end();
      if (!this.down && this.running) {
        this.connecting = undefined;
        this.startConnecting();
      }
    });
    writeJsonLine(socket, server.hello());
  }
}
