/**
 * A worker's side of the lease broker (lab/pool/broker.ts): one connection for the worker's life,
 * requests answered in order of their sequence numbers.
 */
import { connect, type Socket } from 'node:net';
import { LabCompromisedError } from '../errors.js';
import { BrokerReply, type BrokerRequest } from './broker.js';
import { onLines } from './lines.js';
import { describeRequirement, type Lease, type Requirement } from './pool.js';

type Pending = { resolve: (reply: BrokerReply) => void; reject: (error: Error) => void };

/** Distributes a request over the union of BrokerRequest without its sequence number. */
type Unsequenced<T> = T extends unknown ? Omit<T, 'seq'> : never;

export class PoolClient {
  private readonly pending = new Map<number, Pending>();
  private seq = 1;
  private closedBecause: Error | null = null;
  private surrenderHandler: (vm: string) => Promise<void> = async () => {};

  private constructor(
    private readonly socket: Socket,
    readonly url: string,
  ) {
    onLines(socket, (line) => this.receive(line));
    const fail = (error?: Error): void => {
      this.closedBecause ??= new LabCompromisedError(
        `The connection to the run's VM lease broker at ${url} closed${error ? ` (${error.message})` : ''}, so this worker cannot lease a VM; the run that started it has probably ended.`,
        { cause: error },
      );
      for (const p of this.pending.values()) p.reject(this.closedBecause);
      this.pending.clear();
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  /** Connects to a broker URL such as tcp://127.0.0.1:41234. */
  static async connect(url: string): Promise<PoolClient> {
    const match = /^tcp:\/\/127\.0\.0\.1:(\d{1,5})$/.exec(url);
    if (!match) {
      throw new LabCompromisedError(
        `The VM lease broker address '${url}' is not a loopback tcp:// address; the run sets it in DRIVERLAB_POOL, so start scenarios through 'driverlab run'.`,
      );
    }
    const socket = connect({ host: '127.0.0.1', port: Number(match[1]) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (error) =>
        reject(
          new LabCompromisedError(
            `This worker could not reach the run's VM lease broker at ${url} (${error.message}); the run that started it has probably ended.`,
            { cause: error },
          ),
        ),
      );
    });
    return new PoolClient(socket, url);
  }

  /** Waits for a VM that meets the requirement; refuses with a sentence when none ever can. */
  async lease(requirement: Requirement, avoid: readonly string[] = []): Promise<Lease> {
    const reply = await this.request({
      op: 'lease',
      requirement: { ...requirement, capabilities: [...requirement.capabilities] },
      avoid: [...avoid],
    });
    if (reply.kind === 'leased') return reply.lease;
    if (reply.kind === 'refused') {
      throw new LabCompromisedError(
        `No VM could be leased for a scenario that needs ${describeRequirement(requirement)}, because ${reply.reason}; see the run's log for why each VM was quarantined.`,
      );
    }
    throw unexpected(reply);
  }

  async release(lease: Lease): Promise<void> {
    const reply = await this.request({ op: 'release', lease });
    if (reply.kind !== 'done') throw unexpected(reply);
  }

  async quarantine(vm: string, reason: string): Promise<void> {
    const reply = await this.request({ op: 'quarantine', vm, reason });
    if (reply.kind !== 'done') throw unexpected(reply);
  }

  /**
   * What to do when another worker leased a VM this worker used before: close what this worker keeps
   * open of it (its live debugger holds the VM's KDNET port).
   */
  onSurrender(handler: (vm: string) => Promise<void>): void {
    this.surrenderHandler = handler;
  }

  close(): void {
    this.socket.destroy();
  }

  private request(body: Unsequenced<BrokerRequest>): Promise<BrokerReply> {
    if (this.closedBecause) return Promise.reject(this.closedBecause);
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.socket.write(`${JSON.stringify({ ...body, seq })}\n`);
    });
  }

  private receive(line: string): void {
    let reply: BrokerReply;
    try {
      reply = BrokerReply.parse(JSON.parse(line));
    } catch (error) {
      this.socket.destroy(
        new Error(`the broker sent a line this worker cannot read (${String(error).slice(0, 200)})`),
      );
      return;
    }
    if (reply.kind === 'surrender') {
      const { vm, token } = reply;
      // Whatever the handler does, the broker hears back, or the other worker would wait its timeout.
      void this.surrenderHandler(vm)
        .catch(() => {})
        .then(() => this.request({ op: 'surrendered', token }))
        .catch(() => {});
      return;
    }
    const pending = this.pending.get(reply.seq);
    if (!pending) return;
    this.pending.delete(reply.seq);
    pending.resolve(reply);
  }
}

function unexpected(reply: BrokerReply): LabCompromisedError {
  return new LabCompromisedError(
    `The VM lease broker answered '${reply.kind}'${reply.kind === 'error' ? ` (${reply.message})` : ''} where a lease answer was due; this is a fault of the run, so report it with the run's log.`,
  );
}
