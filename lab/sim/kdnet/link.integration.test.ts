/**
 * The debug link on its own: datagrams, pairing, reliable delivery, loss detection, the pipe.
 */
import { strict as expect } from 'node:assert';
import { createSocket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import { claimKdnetPort } from '../../endpoints.js';
import type { DebugTarget, TargetIdentity } from '../ports.js';
import { decodeDatagram, encodeDatagram } from './datagram.js';
import { type HostLinkHandlers, KdnetHostLink, type LinkEnd } from './host.js';
import { KdPipeHostLink, KdPipeTargetEndpoint } from './pipe.js';
import { loopbackAddressFor, type TargetHello } from './protocol.js';
import { ReliableChannel } from './reliable.js';
import { KdnetTargetEndpoint } from './target.js';

const KEY = '1.2.3.4';

/** A target that echoes commands; `execute('size N')` answers N bytes. */
class EchoTarget implements DebugTarget {
  identity(): TargetIdentity {
    return {
      product: 'Windows 10',
      build: 19041,
      processors: 1,
      arch: 'x64',
      kernelBase: '0xfffff800`01a04000',
      psLoadedModuleList: '0xfffff800`01c4a6f0',
      uptimeSeconds: 1,
    };
  }
  isStopped(): boolean {
    return true;
  }
  currentProcessor(): number | null {
    return null;
  }
  async breakIn(): Promise<string> {
    return '';
  }
  async execute(command: string): Promise<string> {
    const size = /^size (\d+)$/.exec(command);
    return size ? 'é'.repeat(Number(size[1]) / 2) : `echo ${command}`;
  }
  async resume(): Promise<void> {}
  async reboot(): Promise<void> {}
  async answerVerifier(): Promise<string> {
    return '';
  }
}

/** Handlers that record what the host end of a link reports. */
function recorder() {
  const seen = {
    hellos: [] as TargetHello[],
    ends: [] as LinkEnd[],
    retries: [] as number[],
  };
  const handlers: HostLinkHandlers = {
    connected: (hello) => seen.hellos.push(hello),
    event: () => {},
    retry: (n) => seen.retries.push(n),
    ended: (how) => seen.ends.push(how),
  };
  return { seen, handlers };
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 5));
  expect.ok(condition(), what);
}

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

describe('KDNET datagrams', () => {
  it('carry a MAC keyed with the KDNET key: another key or a changed byte is dropped', () => {
    const datagram = encodeDatagram(KEY, { v: 1, k: 'offer', tid: '0123456789abcdef' });
    expect.deepEqual(decodeDatagram(KEY, datagram), { v: 1, k: 'offer', tid: '0123456789abcdef' });
    expect.equal(decodeDatagram('5.6.7.8', datagram), null);
    const tampered = Buffer.from(datagram);
    const at = tampered.length - 3;
    tampered.writeUInt8(tampered.readUInt8(at) ^ 1, at);
    expect.equal(decodeDatagram(KEY, tampered), null);
    expect.equal(decodeDatagram(KEY, Buffer.from('not a datagram')), null);
  });

  it('carry a host IP on loopback: a.b.c.d becomes 127.b.c.d', () => {
    expect.equal(loopbackAddressFor('127.0.0.11'), '127.0.0.11');
    expect.equal(loopbackAddressFor('192.168.0.2'), '127.168.0.2');
    expect.throws(() => loopbackAddressFor('fe80::1'), RangeError);
  });
});

/**
 * A port per host IP that this process holds (lab/endpoints.ts): a test run beside this one never
 * listens on it.
 */
const ports = new Map<string, number>();
function portOf(hostIp: string): number {
  const known = ports.get(hostIp);
  if (known !== undefined) return known;
  const { port } = claimKdnetPort(hostIp);
  ports.set(hostIp, port);
  return port;
}

describe('the KDNET link', () => {
  async function pair(hostIp: string, port: number, targetKey = KEY) {
    const { seen, handlers } = recorder();
    const host = new KdnetHostLink({ listenIp: hostIp, port, key: KEY, handlers });
    await host.open();
    closers.push(() => host.close());
    const endpoint = new KdnetTargetEndpoint({
      hostIp,
      port,
      key: targetKey,
      target: new EchoTarget(),
    });
    await endpoint.start();
    closers.push(() => endpoint.stop());
    return { host, endpoint, seen, handlers };
  }

  it('pairs a target that knows the key, and carries requests and multi-megabyte replies intact', async () => {
    const { host, seen } = await pair('127.0.0.61', portOf('127.0.0.61'));
    await eventually(() => host.isConnected(), 'the target paired');
    expect.equal(seen.hellos[0]?.identity.build, 19041);
    const reply = await host.call({ op: 'execute', command: 'k' });
    expect.deepEqual(reply, { op: 'reply', id: 0, text: 'echo k', stopped: true, processor: null });
    const big = await host.call({ op: 'execute', command: 'size 4000000' });
    expect.ok(
      big.op === 'reply' && big.text === 'é'.repeat(2_000_000),
      'four megabytes of UTF-8 arrive intact',
    );
  });

  it('never pairs a target with another key', async () => {
    const { host, seen } = await pair('127.0.0.62', portOf('127.0.0.62'), '9.9.9.9');
    // Offers come every 20 ms of wall time at this clock; give it many.
    await new Promise((r) => setTimeout(r, 400));
    expect.equal(host.isConnected(), false);
    expect.deepEqual(seen.hellos, []);
  });

  it('ends the session when the target goes down, and pairs again at its next boot', async () => {
    const { host, endpoint, seen } = await pair('127.0.0.63', portOf('127.0.0.63'));
    await eventually(() => host.isConnected(), 'the target paired');
    endpoint.notify({ kind: 'going-down', reason: 'reboot' });
    await eventually(() => seen.ends.length === 1, 'the host saw the target go down');
    expect.deepEqual(seen.ends, [{ kind: 'going-down', reason: 'reboot' }]);
    await endpoint.start();
    await eventually(() => seen.hellos.length === 2, 'the target paired again');
  });

  it('stops the last words of a target going down at the first reset: the debugger no longer knows the session', async () => {
    // A debugger of its own on the port: it accepts the target's offer, never acknowledges, and
    // answers the first datagram the leaving target sends with a reset (as a restored VM's
    // debugger does for a session of the VM's earlier life).
    const hostIp = '127.0.0.68';
    const port = portOf(hostIp);
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(port, hostIp, () => r()));
    closers.push(() => new Promise<void>((r) => socket.close(() => r())));
    let sid: string | undefined;
    let leaving = false;
    let resetSent = false;
    let afterReset = 0;
    let byes = 0;
    socket.on('message', (datagram, from) => {
      const body = decodeDatagram(KEY, datagram);
      if (body?.k === 'offer' && sid === undefined) {
        sid = `${body.tid}:feedfacefeedface`;
        socket.send(
          encodeDatagram(KEY, { v: 1, k: 'accept', tid: body.tid, hid: 'feedfacefeedface' }),
          from.port,
          from.address,
        );
      }
      if (body?.k === 'bye') byes += 1;
      if (body?.k !== 'data' || !leaving) return;
      if (resetSent) afterReset += 1;
      else {
        resetSent = true;
        socket.send(encodeDatagram(KEY, { v: 1, k: 'reset', sid: body.sid }), from.port, from.address);
      }
    });
    const endpoint = new KdnetTargetEndpoint({ hostIp, port, key: KEY, target: new EchoTarget() });
    await endpoint.start();
    await eventually(() => endpoint.isAttached(), 'the target paired');
    leaving = true;
    await endpoint.stop('reboot');
    // Whatever was still on its way arrives meanwhile.
    await new Promise((r) => setTimeout(r, 100));
    expect.ok(resetSent, 'the leaving target sent its last words');
    // Unacknowledged, it would send them again every 25 ms until its farewell ran out (~20 times).
    expect.ok(afterReset <= 4, `the target sent ${afterReset} datagrams after the reset`);
    expect.equal(byes, 0, 'no goodbye to a session the debugger does not know');
  });

  it('lets a new debugger on the same port take over from one that vanished', async () => {
    const { host, endpoint } = await pair('127.0.0.64', portOf('127.0.0.64'));
    await eventually(() => host.isConnected(), 'the target paired');
    await host.close();
    const { seen, handlers } = recorder();
    const next = new KdnetHostLink({
      listenIp: '127.0.0.64',
      port: portOf('127.0.0.64'),
      key: KEY,
      handlers,
    });
    await next.open();
    closers.push(() => next.close());
    // The target's keepalives reach the new debugger, which resets the unknown session.
    await eventually(() => next.isConnected(), 'the target paired with the new debugger');
    expect.equal(seen.hellos.length, 1);
    expect.ok(endpoint.isAttached(), 'the target is attached');
  });

  /**
   * A target that pairs, says hello, then never answers again (its VM's process died without a
   * word). Returns once the host has paired with it.
   */
  async function targetThatDies(host: KdnetHostLink, hostIp: string, port: number): Promise<void> {
    const socket = createSocket('udp4');
    closers.push(() => new Promise((r) => socket.close(() => r())));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    let paired = false;
    socket.on('message', (datagram, from) => {
      const body = decodeDatagram(KEY, datagram);
      if (body?.k !== 'accept' || paired) return;
      paired = true;
      const channel = new ReliableChannel({
        sid: `${body.tid}:${body.hid}`,
        send: (b) => socket.send(encodeDatagram(KEY, b), from.port, from.address),
        onMessage: () => {},
        onLost: () => {},
      });
      channel.send({ op: 'hello', identity: new EchoTarget().identity(), stopped: true, processor: null });
      setTimeout(() => channel.close(), 50);
    });
    socket.send(encodeDatagram(KEY, { v: 1, k: 'offer', tid: 'feedfacecafebeef' }), port, hostIp);
    await eventually(() => host.isConnected(), 'the mute target paired');
  }

  it('takes a restarted target at once when the paired one died without a word', async () => {
    const hostIp = '127.0.0.69';
    const port = portOf(hostIp);
    const { seen, handlers } = recorder();
    // A lost link would take ten minutes here: only the takeover can pair the second target.
    const host = new KdnetHostLink({
      listenIp: hostIp,
      port,
      key: KEY,
      handlers,
      timing: { deadAfterWallMs: 600_000 },
    });
    await host.open();
    closers.push(() => host.close());
    await targetThatDies(host, hostIp, port);
    // The same VM in a new process: a new boot nonce, from a new port.
    const next = new KdnetTargetEndpoint({ hostIp, port, key: KEY, target: new EchoTarget() });
    await next.start();
    closers.push(() => next.stop());
    await eventually(() => seen.hellos.length === 2, 'the restarted target paired');
    expect.deepEqual(seen.ends, [{ kind: 'lost' }], 'the dead target ended as a lost link');
    const reply = await host.call({ op: 'execute', command: 'k' });
    expect.equal(reply.op === 'reply' && reply.text, 'echo k', 'the new target answers');
  });

  it('keeps its target while it is alive, whatever another target on its port offers', async () => {
    const hostIp = '127.0.0.70';
    const port = portOf(hostIp);
    const { host, endpoint, seen } = await pair(hostIp, port);
    await eventually(() => host.isConnected(), 'the target paired');
    const other = createSocket('udp4');
    closers.push(() => new Promise((r) => other.close(() => r())));
    await new Promise<void>((r) => other.bind(0, '127.0.0.1', () => r()));
    // Offers every 20 ms for 2 s: twice the silence a takeover needs, while the paired target's
    // keepalives keep coming.
    for (let i = 0; i < 100; i += 1) {
      other.send(encodeDatagram(KEY, { v: 1, k: 'offer', tid: '0123456789abcdef' }), port, hostIp);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect.equal(seen.hellos.length, 1, 'no second target paired');
    expect.deepEqual(seen.ends, []);
    expect.ok(endpoint.isAttached(), 'the first target is still attached');
    const reply = await host.call({ op: 'execute', command: 'k' });
    expect.equal(reply.op === 'reply' && reply.text, 'echo k');
  });

  it('notices a target that falls silent: retries, then the link is lost', async () => {
    const { seen, handlers } = recorder();
    const timing = { retransmitWallMs: 2, maxRetries: 128, retryReportEvery: 64, deadAfterWallMs: 2000 };
    const host = new KdnetHostLink({
      listenIp: '127.0.0.65',
      port: portOf('127.0.0.65'),
      key: KEY,
      handlers,
      timing,
    });
    await host.open();
    closers.push(() => host.close());
    await targetThatDies(host, '127.0.0.65', portOf('127.0.0.65'));
    await new Promise((r) => setTimeout(r, 100));
    await expect.rejects(host.call({ op: 'execute', command: 'k' }), /the debug session ended/);
    expect.deepEqual(seen.retries, [64, 128]);
    expect.deepEqual(seen.ends, [{ kind: 'lost' }]);
  });
  it('keeps a debugger that falls silent: the target does not forget it, a bug check still goes to it', async () => {
    const hostIp = '127.0.0.66';
    const port = portOf(hostIp);
    // A debugger that accepts the target's offer, then never answers again (a debugger process the
    // scheduler does not run, on a loaded machine).
    const socket = createSocket('udp4');
    closers.push(() => new Promise((r) => socket.close(() => r())));
    await new Promise<void>((r) => socket.bind(port, hostIp, () => r()));
    let accepted = false;
    socket.on('message', (datagram, from) => {
      const body = decodeDatagram(KEY, datagram);
      if (body?.k !== 'offer' || accepted) return;
      accepted = true;
      socket.send(
        encodeDatagram(KEY, { v: 1, k: 'accept', tid: body.tid, hid: 'feedfacecafebeef' }),
        from.port,
        from.address,
      );
    });
    const timing = { retransmitWallMs: 2, keepaliveWallMs: 10, deadAfterWallMs: 50, maxRetries: 16 };
    const endpoint = new KdnetTargetEndpoint({ hostIp, port, key: KEY, target: new EchoTarget(), timing });
    await endpoint.start();
    closers.push(() => endpoint.stop());
    await eventually(() => endpoint.isAttached(), 'the target paired with the debugger');
    // Longer than the silence limit and than maxRetries retransmissions of the unanswered hello.
    await new Promise((r) => setTimeout(r, 300));
    expect.ok(endpoint.isAttached(), 'the target still holds its debugger');
    expect.ok(endpoint.notify({ kind: 'print', text: 'still there' }), 'an event goes to the debugger');
  });
});

describe('the COM pipe link', () => {
  it('connects the VM to the pipe the debugger holds, and ends with the target going down', async () => {
    const { seen, handlers } = recorder();
    const name = `driverlab-link-test-${process.pid}`;
    const host = new KdPipeHostLink(name, handlers);
    await host.open();
    closers.push(() => host.close());
    const endpoint = new KdPipeTargetEndpoint({
      pipe: `\\\\.\\pipe\\${name}`,
      target: new EchoTarget(),
    });
    await endpoint.start();
    closers.push(() => endpoint.stop());
    await eventually(() => host.isConnected(), 'the VM connected to the pipe');
    expect.deepEqual(await host.call({ op: 'execute', command: '!vm 1' }), {
      op: 'reply',
      id: 0,
      text: 'echo !vm 1',
      stopped: true,
      processor: null,
    });
    await endpoint.stop('reboot');
    await eventually(() => seen.ends.length === 1, 'the debugger saw the target go down');
    expect.deepEqual(seen.ends, [{ kind: 'going-down', reason: 'reboot' }]);
  });
});
