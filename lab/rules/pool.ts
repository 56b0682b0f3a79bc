/**
 * What to do next about pool corruption, as the seed's author reasons ("Understanding Pool
 * Corruption Part 1"): a crash in pool code is pool corruption when `!pool` on the memory the crash
 * touched shows a corrupt page; the block before the corruption is the first suspect, but its tag
 * rarely names a driver ("None" is ExAllocatePool without a tag), and a dump is a snapshot long
 * after the fact, so the next step is special pool on the suspected drivers, to catch the
 * corruptor in the act (Part 2).
 */
import type { PoolResult } from '../parsers/index.js';

/** What `!pool` printed for one address the crash touched. */
export interface PoolLook {
  address: string;
  pool: PoolResult;
}

export type NextStep =
  /** Driver Verifier special pool (/flags 0x1) on these drivers, then repeat what crashed. */
  | { action: 'enable-special-pool'; drivers: string[]; command: string }
  /** Every suspect already has special pool: the corruption is not an overrun past an allocation's end. */
  | { action: 'look-beyond-overruns'; command: null };

export type PoolTriage =
  | {
      corrupt: true;
      /** The address whose page is corrupt. */
      address: string;
      page: string | null;
      /** The last block the page walk could read before the corruption (the first suspect), or null. */
      blockBefore: { address: string; size: string; tag: string | null } | null;
      /** What the tag of that block tells, as a sentence part. */
      tagNote: string;
      nextStep: NextStep;
      /** Why that is the next step, as a sentence part following "because". */
      because: string;
    }
  | { corrupt: false; looked: string[] };

function tagNote(tag: string | null): string {
  if (tag === null) return 'the block before the corruption shows no tag';
  if (tag === 'None')
    return "the block before the corruption is tagged 'None', which ExAllocatePool gives an allocation without a tag, so the tag names no driver";
  if (tag === 'Wrap')
    return "the block before the corruption is tagged 'Wrap', which Driver Verifier gives an allocation without a tag, so the tag names no driver";
  return `the block before the corruption is tagged '${tag}', which may name its owner, though the block before a corruption need not be the one that wrote past its end`;
}

/**
 * Reads the `!pool` looks at the addresses a crash touched and concludes: a corrupt page and the
 * next step, or no corruption found. `suspects` are the driver binaries the scenario put on the
 * VM; `underSpecialPool` those Driver Verifier already gives special pool ('all' with /all).
 */
export function triagePoolCorruption(input: {
  looks: readonly PoolLook[];
  suspects: readonly string[];
  underSpecialPool: readonly string[] | 'all';
}): PoolTriage {
  const hit = input.looks.find((l) => l.pool.corrupt);
  if (!hit) return { corrupt: false, looked: input.looks.map((l) => l.address) };
  const blocks = hit.pool.blocks;
  const before = blocks[blocks.length - 1] ?? null;
  const covered = (d: string) =>
    input.underSpecialPool === 'all' ||
    input.underSpecialPool.some((s) => s.toLowerCase() === d.toLowerCase());
  const drivers = input.suspects.filter((d) => !covered(d));
  const nextStep: NextStep =
    drivers.length > 0
      ? {
          action: 'enable-special-pool',
          drivers,
          command: `verifier /flags 0x1 /driver ${drivers.join(' ')}`,
        }
      : { action: 'look-beyond-overruns', command: null };
  const note = tagNote(before?.tag ?? null);
  return {
    corrupt: true,
    address: hit.address,
    page: hit.pool.page,
    blockBefore: before ? { address: before.address, size: before.size, tag: before.tag } : null,
    tagNote: note,
    nextStep,
    because:
      nextStep.action === 'enable-special-pool'
        ? `the pool page of ${hit.address} is corrupt and ${note}; special pool puts each allocation of ${drivers.join(', ')} at the end of its own page, so the next overrun stops at once with 0xD6 in the driver that made it`
        : `the pool page of ${hit.address} is corrupt although every suspect already has special pool, so the corruption is not an overrun past the end of their allocations (look for an underrun or a use after free)`,
  };
}
