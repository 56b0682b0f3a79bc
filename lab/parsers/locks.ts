/**
 * `!locks`: ERESOURCE locks with their owners. When a thread address printed with an offset is
 * followed by `*** Actual Thread <address>`, the actual address is the owner.
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull } from './hex.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const LockOwner = z.object({
  thread: Hex,
  /** The address as printed before the debugger's "Actual Thread" correction, else null. */
  printedThread: Hex.nullable(),
  count: z.number().int(),
  /** Marked `<*>`: the thread owns the lock (rather than waiting). */
  owner: z.boolean(),
});

export const LockResource = z.object({
  address: Hex,
  symbol: z.string().nullable(),
  /** Null for a resource the debugger shows as Available. */
  mode: z.enum(['exclusive', 'shared']).nullable(),
  sharedOwners: z.number().int().nullable(),
  contentionCount: z.number().int().nullable(),
  /** `NumberOfExclusiveWaiters = N` / `NumberOfSharedWaiters = N`; null when the line is absent. */
  exclusiveWaiters: z.number().int().nullable(),
  sharedWaiters: z.number().int().nullable(),
  owners: z.array(LockOwner),
  waiters: z.array(z.object({ kind: z.enum(['exclusive', 'shared']), thread: Hex })),
});
export type LockResource = z.infer<typeof LockResource>;

export const LocksResult = z.object({
  resources: z.array(LockResource),
  totalLocks: z.number().int().nullable(),
  heldLocks: z.number().int().nullable(),
  truncated: z.boolean(),
});
export type LocksResult = z.infer<typeof LocksResult>;

const RESOURCE =
  /^Resource @ (?:(\S+) \((0x[0-9a-fA-F`]+)\)|(0x[0-9a-fA-F`]+|[0-9a-fA-F`]{8,17}))\s+(Shared (\d+) owning threads?|Exclusively owned|Available)$/;
const THREAD =
  /([0-9a-fA-F`]{8,17})-([0-9a-fA-F]{2})(<\*>)?(?:\s+\*\*\* Actual Thread ([0-9a-fA-F`]{8,17}))?/g;

/** Parses `!locks` output. */
export function parseLocks(text: string): LocksResult {
  const reader = new Reader('locks', '!locks', text);
  const lines = filled(prepare(text)).filter(
    (l) =>
      l.text.indexOf('DUMP OF ALL') === -1 ||
      !/^\*{4} DUMP OF ALL RESOURCE OBJECTS \*{4}$/.test(l.text.trim()),
  );
  const resources: LockResource[] = [];
  let total: number | null = null;
  let held: number | null = null;
  let truncated = false;
  let waiting: 'exclusive' | 'shared' | null = null;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    const r = t.startsWith('Resource @ ') ? RESOURCE.exec(t) : null;
    if (r) {
      const state = r[4] ?? '';
      resources.push({
        address: hexOrNull(r[2] ?? r[3] ?? '') as string,
        symbol: r[1] ?? null,
        mode: state.startsWith('Shared') ? 'shared' : state === 'Exclusively owned' ? 'exclusive' : null,
        sharedOwners: r[5] === undefined ? null : Number(r[5]),
        contentionCount: null,
        exclusiveWaiters: null,
        sharedWaiters: null,
        owners: [],
        waiters: [],
      });
      waiting = null;
      continue;
    }
    const current = resources[resources.length - 1];
    const cc = t.startsWith('Contention') ? /^Contention Count = (\d+)$/.exec(t) : null;
    if (cc && current) {
      current.contentionCount = Number(cc[1]);
      continue;
    }
    const nw = t.startsWith('NumberOf') ? /^NumberOf(Exclusive|Shared)Waiters = (\d+)$/.exec(t) : null;
    if (nw && current) {
      if (nw[1] === 'Exclusive') current.exclusiveWaiters = Number(nw[2]);
      else current.sharedWaiters = Number(nw[2]);
      continue;
    }
    const w = t.startsWith('Threads Waiting')
      ? /^Threads Waiting On (Exclusive|Shared) Access:$/.exec(t)
      : null;
    if (w && current) {
      waiting = w[1] === 'Exclusive' ? 'exclusive' : 'shared';
      continue;
    }
    if (t.startsWith('Threads:') && current) {
      for (const m of t.matchAll(THREAD)) {
        const printed = hexOrNull(m[1] ?? '') as string;
        const actual = m[4] === undefined ? null : hexOrNull(m[4]);
        current.owners.push({
          thread: actual ?? printed,
          printedThread: actual === null ? null : printed,
          count: Number.parseInt(m[2] ?? '0', 16),
          owner: m[3] !== undefined,
        });
      }
      continue;
    }
    if (waiting !== null && current && /^(?:[0-9a-fA-F`]{8,17}\s*)+$/.test(t)) {
      for (const a of t.split(/\s+/)) current.waiters.push({ kind: waiting, thread: hexOrNull(a) as string });
      continue;
    }
    const sum = /^(\d+) total locks?(?:, (\d+) locks? currently held)?$/.exec(t);
    if (sum) {
      total = Number(sum[1]);
      held = sum[2] === undefined ? null : Number(sum[2]);
      continue;
    }
    if (i === lines.length - 1 && resources.length > 0) {
      truncated = true;
      continue;
    }
    throw reader.fail('a line is neither a resource, its owners, nor the lock summary', line);
  }
  if (resources.length === 0 && total === null)
    throw reader.fail('it shows no resource and no lock summary', lines[0]);
  return built(LocksResult, { resources, totalLocks: total, heldLocks: held, truncated });
}
