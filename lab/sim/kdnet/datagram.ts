/**
 * KDNET datagrams of the simulated link: `<HMAC-SHA256 hex>\n<JSON body>`, the MAC keyed with the
 * KDNET key over the body's bytes exactly as sent (see protocol.ts for the whole protocol).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

const nonce = z.string().regex(/^[0-9a-f]{16}$/, '16 hex digits');
const sessionId = z.string().regex(/^[0-9a-f]{16}:[0-9a-f]{16}$/, 'two nonces joined by a colon');
const seq = z.number().int().nonnegative();

export const DatagramBody = z.discriminatedUnion('k', [
  /** Target → host: "I am a target with this boot nonce, debug me". */
  z.strictObject({ v: z.literal(1), k: z.literal('offer'), tid: nonce }),
  /** Host → target: "accepted; this is my nonce". */
  z.strictObject({ v: z.literal(1), k: z.literal('accept'), tid: nonce, hid: nonce }),
  /** One chunk of a message: part `part` of `parts` of message number `msg`. */
  z.strictObject({
    v: z.literal(1),
    k: z.literal('data'),
    sid: sessionId,
    seq,
    msg: seq,
    part: seq,
    parts: z.number().int().positive(),
    data: z.string(),
  }),
  z.strictObject({ v: z.literal(1), k: z.literal('ack'), sid: sessionId, seq }),
  z.strictObject({ v: z.literal(1), k: z.literal('ping'), sid: sessionId }),
  /** The target goes down (reboot, power off): the session ends on purpose. */
  z.strictObject({
    v: z.literal(1),
    k: z.literal('bye'),
    sid: sessionId,
    reason: z.enum(['reboot', 'power-off', 'bugcheck-reboot']),
  }),
  /** "This session id is unknown here": the peer drops it and pairs again. */
  z.strictObject({ v: z.literal(1), k: z.literal('reset'), sid: sessionId }),
]);
export type DatagramBody = z.infer<typeof DatagramBody>;
export type SessionBody = Extract<DatagramBody, { sid: string }>;
export type ChannelBody = Extract<DatagramBody, { k: 'data' | 'ack' | 'ping' }>;

/** A fresh 64-bit nonce, as 16 hex digits. */
export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

function mac(key: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

/** Signs a body with the KDNET key. */
export function encodeDatagram(key: string, body: DatagramBody): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  return Buffer.concat([Buffer.from(`${mac(key, json).toString('hex')}\n`, 'ascii'), json]);
}

/**
 * The body of a datagram signed with `key`, or null when it is not one: wrong key, damaged, or not
 * of this protocol. A datagram that fails here is dropped unread, as KDNET drops what it cannot
 * decrypt.
 */
export function decodeDatagram(key: string, datagram: Buffer): DatagramBody | null {
  const newline = datagram.indexOf(0x0a);
  if (newline !== 64) return null;
  const given = Buffer.from(datagram.subarray(0, 64).toString('ascii'), 'hex');
  const json = datagram.subarray(65);
  const expected = mac(key, json);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    return null;
  }
  const parsed = DatagramBody.safeParse(value);
  return parsed.success ? parsed.data : null;
}
