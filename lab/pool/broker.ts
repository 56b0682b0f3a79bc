/**
 * The lease broker of one host: the run's process owns the VM pool and its Cucumber workers lease
 * VMs from it over a loopback connection, one connection per worker.
 *
 * A worker's leases live as long as its connection: a worker that dies (killed, crashed) closes its
 * socket and its VMs go back to the pool at once, with no heartbeat to wait out. Waiters are served
 * first come, first served. Messages are one JSON object per line, parsed with zod on both sides.
 * Many hosts do not use this: they lease through PostgreSQL (lab/fleet/).
 */
import { createServer, type Server, type Socket } from 'node:net';
import * as z from 'zod';
import { onLines } from './lines.js';
import { type Lease, type LeaseAnswer, LeaseQueue, type VmPool } from './pool.js';

export const RequirementSchema = z.strictObject({
  vm: z.string().min(1).optional(),
  capabilities: z.array(z.string().min(1)),
});

export const LeaseSchema = z.strictObject({
  vm: z.string(),
  holder: z.string(),
  id: z.number().int().positive(),
  previousHolder: z.string().optional(),
});

export const BrokerRequest = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('lease'),
    seq: z.number().int(),
    requirement: RequirementSchema,
    avoid: z.array(z.string()).default([]),
  }),
  z.strictObject({ op: z.literal('release'), seq: z.number().int(), lease: LeaseSchema }),
  z.strictObject({ op: z.literal('quarantine'), seq: z.number().int(), vm: z.string(), reason: z.string() }),
  /** The answer to a surrender: the worker has let go of what it kept open of the VM. */
  z.strictObject({ op: z.literal('surrendered'), seq: z.number().int(), token: z.number().int() }),
]);
export type BrokerRequest = z.infer<typeof BrokerRequest>;

export const BrokerReply = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('leased'), seq: z.number().int(), lease: LeaseSchema }),
  z.strictObject({ kind: z.literal('refused'), seq: z.number().int(), reason: z.string() }),
  z.strictObject({ kind: z.literal('done'), seq: z.number().int() }),
  z.strictObject({ kind: z.literal('error'), seq: z.number().int(), message: z.string() }),
  /** Pushed to a worker: another worker leased a VM it used before; close what it keeps open of it. */
  z.strictObject({
    kind: z.literal('surrender'),
    seq: z.literal(0),
    vm: z.string(),
    token: z.number().int(),
  }),
]);
export type BrokerReply = z.infer<typeof BrokerReply>;

/** Serves a pool on 127.0.0.1 (an ephemeral port); `url` is what workers connect to. */
export class LeaseBroker {
  private readonly queue: LeaseQueue;
  private readonly sockets = new Set<Socket>();
  private readonly byHolder = new Map<string, Socket>();
  /** Leases granted but not yet announced: their VM's previous holder is letting go. */
  private readonly surrenders = new Map<
    number,
    { holder: string; announce: () => void; timer: NodeJS.Timeout }
  >();
  private nextHolder = 1;
  private nextToken = 1;

  private constructor(
    readonly pool: VmPool,
    private readonly server: Server,
    readonly url: string,
  ) {
    this.queue = new LeaseQueue(pool);
  }

  /** Wall milliseconds a previous holder gets to let go of a VM before the new holder gets it anyway. */
  surrenderTimeoutMs = 60_000;

  static async start(pool: VmPool): Promise<LeaseBroker> {
    let broker: LeaseBroker | undefined;
    const server = createServer((socket) => broker?.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string')
      throw new Error('The lease broker has no TCP address.');
    broker = new LeaseBroker(pool, server, `tcp://127.0.0.1:${address.port}`);
    return broker;
  }

  /** Stops serving; open connections are closed, which releases their leases. */
  async close(): Promise<void> {
    for (const pending of this.surrenders.values()) clearTimeout(pending.timer);
    this.surrenders.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const holder = `worker-${this.nextHolder++}`;
    this.sockets.add(socket);
    this.byHolder.set(holder, socket);
    onLines(socket, (line) => this.handle(holder, socket, line));
    const gone = (): void => {
      if (!this.sockets.delete(socket)) return;
      this.byHolder.delete(holder);
      // A worker that is gone has let go of everything: announce what waited for it.
      for (const [token, pending] of [...this.surrenders]) {
        if (pending.holder === holder) this.finishSurrender(token);
      }
      this.queue.forget(holder);
    };
    socket.on('close', gone);
    socket.on('error', gone);
  }

  private handle(holder: string, socket: Socket, line: string): void {
    let request: BrokerRequest;
    try {
      request = BrokerRequest.parse(JSON.parse(line));
    } catch (error) {
      send(socket, {
        kind: 'error',
        seq: -1,
        message: `The lease broker could not read a request (${String(error)}).`,
      });
      return;
    }
    switch (request.op) {
      case 'lease':
        this.queue.request({
          holder,
          requirement: request.requirement,
          avoid: request.avoid,
          answer: (answer) => this.answer(socket, request.seq, answer),
        });
        return;
      case 'release':
        this.queue.release(request.lease, holder);
        send(socket, { kind: 'done', seq: request.seq });
        return;
      case 'quarantine':
        this.queue.quarantine(request.vm, request.reason);
        send(socket, { kind: 'done', seq: request.seq });
        return;
      case 'surrendered':
        this.finishSurrender(request.token);
        send(socket, { kind: 'done', seq: request.seq });
        return;
    }
  }

  /** Announces a lease, after the VM's previous holder (when still connected) has let go of it. */
  private answer(socket: Socket, seq: number, answer: Exclude<LeaseAnswer, { kind: 'wait' }>): void {
    const previous = answer.kind === 'leased' ? answer.lease.previousHolder : undefined;
    const previousSocket = previous === undefined ? undefined : this.byHolder.get(previous);
    if (answer.kind !== 'leased' || previous === undefined || previousSocket === undefined) {
      reply(socket, seq, answer);
      return;
    }
    const token = this.nextToken++;
    const timer = setTimeout(() => this.finishSurrender(token), this.surrenderTimeoutMs);
    timer.unref();
    this.surrenders.set(token, { holder: previous, announce: () => reply(socket, seq, answer), timer });
    send(previousSocket, { kind: 'surrender', seq: 0, vm: answer.lease.vm, token });
  }

  private finishSurrender(token: number): void {
    const pending = this.surrenders.get(token);
    if (!pending) return;
    this.surrenders.delete(token);
    clearTimeout(pending.timer);
    pending.announce();
  }
}

function reply(socket: Socket, seq: number, answer: Exclude<LeaseAnswer, { kind: 'wait' }>): void {
  send(
    socket,
    answer.kind === 'leased'
      ? { kind: 'leased', seq, lease: answer.lease }
      : { kind: 'refused', seq, reason: answer.reason },
  );
}

function send(socket: Socket, message: BrokerReply): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
}

export type { Lease };
