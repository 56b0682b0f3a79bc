/**
 * The simulated debug link: what the simulated debugger (host side) and the simulated target
 * (the embedded host's VM) say to each other. It is modelled on how KDNET pairs a host and a target,
 * not on KDNET's binary format, which is not public.
 *
 * Two layers:
 *
 * 1. **Messages** (this file, `HostRequest` and `TargetMessage`): JSON objects. The host asks
 *    (break, execute, resume, reboot, answer) and the target replies; the target also speaks
 *    unasked (hello on connection, events: bugcheck, break, verifier question, print, going down).
 *    Every target message says whether the target is now stopped and which processor the prompt
 *    shows, so the debugger never has to ask.
 *
 * 2. **Transport**: either
 *    - KDNET over loopback UDP (`datagram.ts`, `reliable.ts`): every datagram is
 *      `<HMAC-SHA256 of the JSON body, keyed with the KDNET key, 64 hex digits>\n<JSON body>`, so
 *      a datagram made with another key is dropped unread, as KDNET drops packets it cannot
 *      decrypt. Pairing: the target sends an `offer` to hostip:port about every 3 s of lab time
 *      (as a target with `hostip` set does); the host answers `accept` with its own nonce; the
 *      session id is `<target nonce>:<host nonce>`, so datagrams of an earlier session (a previous
 *      boot, a previous debugger) are recognised and ignored. Then `data` datagrams carry messages,
 *      cut into chunks of at most 6,000 bytes (base64 in the JSON) so that a multi-megabyte
 *      `!verifier 100` fits any loopback datagram limit (macOS allows 9,216 bytes); each has a
 *      sequence number per direction, is acknowledged with an `ack`, and is retransmitted until it
 *      is (window of 16 datagrams). `ping` keepalives flow both ways while idle; the debugger's side
 *      considers the link lost when it hears nothing for 10 s of the wall time it was running (a
 *      stall of its own process does not count), or when its datagram went unacknowledged 400
 *      times (10 s): far above any stall of a loaded machine's process (3 s was seen on two cores
 *      with three fleet agents), so only a VM process that is gone is a lost link. A VM whose
 *      process died (the host shell killed) says no goodbye, and comes back in a new process,
 *      offering from a new port: the debugger takes it as soon as the paired target has missed five
 *      keepalives (1 s), instead of waiting out the 10 s. A live target is never silent that long
 *      while its own process offers, so a restored VM's new offer, sent while its earlier life's
 *      last words are still on their way, waits for them. The target never gives up on the debugger it paired with (a real KDNET target
 *      retries its debugger): only a `reset` or the target going down ends its session. `bye` ends a session on purpose (the target goes down); `reset` tells a peer
 *      that a session id is unknown here (a new debugger on the same port), so it offers again at
 *      once instead of waiting for its keepalive to time out.
 *    - a COM port over a named pipe (`pipe.ts`): a byte stream, so messages are newline-delimited
 *      JSON with no key, no acknowledgement and no keepalive (a serial line has none of these;
 *      the stream closing is the only loss signal).
 *
 * The link's timers are wall time, its offers included: the datagrams really travel over loopback,
 * and none of them moves the lab's virtual time (see offers.ts).
 */
import * as z from 'zod';
import type { TargetEvent } from '../ports.js';

/** Wall-time constants of the UDP transport (see the header). */
export const LINK_TIMING = {
  /** Wall milliseconds between two offers of a target waiting for its host (KDNET: about 3 s of its time). */
  minOfferWallMs: 20,
  /** Wall milliseconds before an unacknowledged datagram is sent again. */
  retransmitWallMs: 25,
  /** kd reports "... Retry sending the same data packet for N times." every this many retries. */
  retryReportEvery: 64,
  /** After this many retries of one datagram the link is lost. */
  maxRetries: 400,
  /** Wall milliseconds of silence after which a side sends a keepalive. */
  keepaliveWallMs: 200,
  /** Wall milliseconds without any datagram from the peer after which the link is lost. */
  deadAfterWallMs: 10_000,
  /**
   * Wall milliseconds the paired target must have been silent (while the debugger was running to
   * hear it) for another target's offer on the port to replace it at once: five keepalives missed.
   */
  takeOverSilentWallMs: 1000,
  /** Datagrams in flight, unacknowledged, at most. */
  windowDatagrams: 16,
  /** Bytes of a message per datagram (before base64). */
  chunkBytes: 6000,
} as const;
export type LinkTiming = { -readonly [K in keyof typeof LINK_TIMING]: number };

export const VERIFIER_CHOICES = ['b', 'i', 'z', 'r', 'd'] as const;
export type VerifierChoice = (typeof VERIFIER_CHOICES)[number];

const hexAddress = z.string().regex(/^0x[0-9a-fA-F`]+$/, 'an address such as 0xfffff800`01a04000');

export const TargetIdentitySchema = z.strictObject({
  product: z.string().min(1),
  build: z.number().int().positive(),
  processors: z.number().int().positive(),
  arch: z.literal('x64'),
  kernelBase: hexAddress,
  psLoadedModuleList: hexAddress,
  uptimeSeconds: z.number().nonnegative(),
});

export const TargetEventSchema: z.ZodType<TargetEvent> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('bugcheck'), text: z.string() }),
  z.strictObject({ kind: z.literal('break'), text: z.string() }),
  z.strictObject({ kind: z.literal('verifier-question'), text: z.string() }),
  z.strictObject({ kind: z.literal('print'), text: z.string() }),
  z.strictObject({
    kind: z.literal('going-down'),
    reason: z.enum(['reboot', 'power-off', 'bugcheck-reboot']),
  }),
]);

const requestId = z.number().int().nonnegative();

/** What the host (the debugger) asks of the target. */
export const HostRequest = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('break'), id: requestId }),
  z.strictObject({ op: z.literal('execute'), id: requestId, command: z.string().max(4096) }),
  z.strictObject({ op: z.literal('resume'), id: requestId }),
  z.strictObject({ op: z.literal('reboot'), id: requestId }),
  z.strictObject({ op: z.literal('answer'), id: requestId, choice: z.enum(VERIFIER_CHOICES) }),
]);
export type HostRequest = z.infer<typeof HostRequest>;
/** A request before the link numbers it. */
export type HostRequestBody = WithoutId<HostRequest>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** What every target message carries about the target's state after it. */
const targetState = {
  stopped: z.boolean(),
  /** The processor the prompt shows ("0: kd> "), or null for a uniprocessor target ("kd> "). */
  processor: z.number().int().nonnegative().nullable(),
};

/** What the target says: hello on connection, replies, and events nobody asked for. */
export const TargetMessage = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('hello'), identity: TargetIdentitySchema, ...targetState }),
  z.strictObject({ op: z.literal('reply'), id: requestId, text: z.string(), ...targetState }),
  z.strictObject({ op: z.literal('failed'), id: requestId, error: z.string(), ...targetState }),
  z.strictObject({ op: z.literal('event'), event: TargetEventSchema, ...targetState }),
]);
export type TargetMessage = z.infer<typeof TargetMessage>;
export type TargetHello = Extract<TargetMessage, { op: 'hello' }>;
export type TargetReply = Extract<TargetMessage, { op: 'reply' | 'failed' }>;
export type TargetEventMessage = Extract<TargetMessage, { op: 'event' }>;

/** The IPv4 address a dotted-quad string is, or null. */
export function parseIpv4(text: string): [number, number, number, number] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number) as [number, number, number, number];
  return parts.every((p) => p <= 255) ? parts : null;
}

/**
 * The loopback address that carries a KDNET host IP in the embedded lab: a.b.c.d → 127.b.c.d.
 * A lab file's 127.0.0.11 stays itself; a scenario's `bcdedit /dbgsettings NET HOSTIP:192.168.0.2`
 * becomes 127.168.0.2, so two VMs with distinct host IPs never collide even on the same port, and
 * a target configured with the wrong host IP never reaches the debugger, as on a real network.
 * (Windows and Linux route all of 127.0.0.0/8 to loopback; macOS routes only 127.0.0.1 unless
 * aliases are added.)
 */
export function loopbackAddressFor(hostIp: string): string {
  const parts = parseIpv4(hostIp);
  if (!parts) throw new RangeError(`'${hostIp}' is not an IPv4 address`);
  return `127.${parts[1]}.${parts[2]}.${parts[3]}`;
}
