/**
 * Where a guest's kernel puts things, by the era of its build: the address every image, pool
 * allocation and kernel stack of the simulated kernel is carved from.
 *
 * - `nt6` (before build 9200: Server 2003 x64, Vista, 7, Server 2008 R2): the fixed layout of the
 *   seed's captures — nt at fffff800`0…, drivers and kernel stacks at fffff880`…, paged pool at
 *   fffff8a0`…, special pool at fffff980`…, nonpaged pool at fffffa80`…, the PTE self-map at
 *   fffff680`00000000, user DLLs at 000007fe`….
 * - `nt62` (9200 to 14392: Windows 8, 8.1, 10 1507/1511): nt and drivers in fffff80x`…, pool and
 *   stacks in the fixed regions of that memory manager (paged pool ffffc000`…, special pool
 *   ffffcf80`…, kernel stacks ffffd000`…, nonpaged pool ffffe000`…), user DLLs at 00007ffx`….
 * - `kaslr` (14393 on: Windows 10 1607 and later, 11, Server 2016+): nt and drivers in fffff80x`…
 *   (nt on a 2 MB boundary from 18362, as in the captures), every other region — nonpaged, paged
 *   and special pool, kernel stacks — in a 512 GB slot of its own between ffff8000`… and
 *   fffff000`… chosen per boot, and a PTE self-map index chosen per boot.
 *
 * The real captures behind these: lab/kd/replay/corpus/ (kernel base fffff803`7f207000 on 17134,
 * fffff804`06000000 on 18362, fffff805`05200000 on 19041; EPROCESS ffff998d`cfb8b080, a paged
 * ObjectTable ffffd701`ecfff380, stacks ffff8306`…/ffff980a`…, pool ffff9901`… and ffff9c0d`…,
 * user DLLs 00007ffc`…/00007ffd`…) and the seed (shared/seeds/ntdebugging-page3.txt) for `nt6`.
 * Every choice derives from VM name, boot count and build, so a state is the same wherever it is
 * built and nothing new is stored in it.
 */
import { pick } from './hex.js';

export type AddressEra = 'nt6' | 'nt62' | 'kaslr';

/** A kernel VA region: [start, end). */
export interface Region {
  start: bigint;
  end: bigint;
}

export interface AddressSpace {
  era: AddressEra;
  /** nt's image base. */
  ntBase: bigint;
  /** Where hal and kdcom load (right after nt before Windows 8; with the drivers later). */
  halBase: bigint | null;
  /** Where boot drivers start. */
  driverBase: bigint;
  nonpaged: Region;
  paged: Region;
  special: Region;
  stacks: Region;
  /** Where each allocator's cursor starts inside its region. */
  nonpagedStart: bigint;
  pagedStart: bigint;
  specialStart: bigint;
  stackStart: bigint;
  /** The PML4 index that maps the page tables themselves (0x1ed before Windows 10 1607). */
  selfMapIndex: bigint;
  /** Where user-mode system DLLs sit (return addresses into user mode). */
  userDlls: bigint;
  /** The highest TEB of a process. */
  tebTop: bigint;
}

const PAGE = 0x1000n;
const SLOT = 0x80_0000_0000n; // 512 GB, one PML4 entry
const FFFF8 = 0xffff_8000_0000_0000n;
const region = (start: bigint, size: bigint): Region => ({ start, end: start + size });

/** The era of a build's kernel address layout. */
export function eraOf(build: number): AddressEra {
  if (build < 9200) return 'nt6';
  if (build < 14393) return 'nt62';
  return 'kaslr';
}

export interface AddressFacts {
  vmName: string;
  bootCount: number;
  os: { build: number };
}

const known = new Map<string, AddressSpace>();

/** The address space of one boot of a guest (computed once per VM, boot and build). */
export function addressSpace(facts: AddressFacts): AddressSpace {
  const key = `${facts.vmName}\u0000${facts.bootCount}\u0000${facts.os.build}`;
  const cached = known.get(key);
  if (cached) return cached;
  if (known.size > 256) known.clear();
  const space = layoutOf(facts);
  known.set(key, space);
  return space;
}

function layoutOf(facts: AddressFacts): AddressSpace {
  const seed = `${facts.vmName}#${facts.bootCount}`;
  const era = eraOf(facts.os.build);
  if (era === 'nt6') {
    const ntBase =
      0xfffff80000000000n +
      BigInt(0x10 + pick(0x3f0, seed, 'nt')) * 0x200000n +
      BigInt(pick(16, seed, 'ntpage')) * PAGE;
    const nonpaged = region(0xfffffa8000000000n, 0x0580_0000_0000n);
    const paged = region(0xfffff8a000000000n, 0x00e0_0000_0000n);
    const special = region(0xfffff98000000000n, 0x0100_0000_0000n);
    const stacks = region(0xfffff88000000000n, 0x0020_0000_0000n);
    return {
      era,
      ntBase,
      halBase: null,
      driverBase: 0xfffff88000c00000n + BigInt(pick(0x40, seed, 'drivers')) * 0x10000n,
      nonpaged,
      paged,
      special,
      stacks,
      nonpagedStart: nonpaged.start + BigInt(0x1000 + pick(0x8000, seed, 'npp')) * PAGE,
      pagedStart: paged.start + BigInt(0x10 + pick(0x800, seed, 'pp')) * PAGE,
      specialStart: special.start + BigInt(0x1000 + pick(0x8000, seed, 'sp')) * PAGE * 2n,
      stackStart: 0xfffff88002000000n + BigInt(pick(0x2000, seed, 'stack')) * PAGE,
      selfMapIndex: 0x1edn,
      userDlls: 0x7fe00000000n,
      tebTop: 0x7fffffde000n,
    };
  }
  // Windows 8 on: nt in one fffff80x`… slot, the drivers in another (or lower in the same one).
  const ntSlot = BigInt(pick(era === 'kaslr' ? 8 : 4, seed, 'nt-slot'));
  const aligned = era === 'kaslr' && facts.os.build >= 18362;
  const ntOffset = aligned
    ? BigInt(0x10 + pick(0x3e0, seed, 'nt')) * 0x200000n
    : BigInt(0x10 + pick(0x3f0, seed, 'nt')) * 0x200000n + BigInt(pick(0x200, seed, 'ntpage')) * PAGE;
  const ntBase = 0xfffff80000000000n + ntSlot * 0x1_0000_0000n + ntOffset;
  const driverSlot = BigInt(pick(8, seed, 'driver-slot'));
  // In nt's own slot the drivers follow nt's image; in another slot they start low in it.
  const driverBase =
    0xfffff80000000000n +
    driverSlot * 0x1_0000_0000n +
    (driverSlot === ntSlot ? ntOffset + 0x1000000n : BigInt(0x40 + pick(0x400, seed, 'drivers')) * 0x100000n);
  let nonpaged: Region;
  let paged: Region;
  let special: Region;
  let stacks: Region;
  let selfMapIndex: bigint;
  if (era === 'nt62') {
    nonpaged = region(0xffffe00000000000n, 0x1000_0000_0000n);
    paged = region(0xffffc00000000000n, 0x0f80_0000_0000n);
    special = region(0xffffcf8000000000n, 0x0080_0000_0000n);
    stacks = region(0xffffd00000000000n, 0x1000_0000_0000n);
    selfMapIndex = 0x1edn;
  } else {
    // Four distinct 512 GB slots among the 0xf0 between ffff8000`… and fffff800`….
    const slots: bigint[] = [];
    for (const label of ['npp', 'pp', 'sp', 'stack']) {
      let slot = BigInt(pick(0xf0, seed, 'slot', label));
      while (slots.includes(slot)) slot = (slot + 1n) % 0xf0n;
      slots.push(slot);
    }
    const [npp, pp, sp, st] = slots.map((s) => region(FFFF8 + s * SLOT, SLOT)) as [
      Region,
      Region,
      Region,
      Region,
    ];
    nonpaged = npp;
    paged = pp;
    special = sp;
    stacks = st;
    selfMapIndex = 0x100n + BigInt(pick(0xf0, seed, 'self-map'));
  }
  const within = (r: Region, label: string, granule: bigint) =>
    r.start + BigInt(0x10 + pick(0x7f000, seed, label)) * granule;
  return {
    era,
    ntBase,
    halBase: driverBase,
    driverBase,
    nonpaged,
    paged,
    special,
    stacks,
    nonpagedStart: within(nonpaged, 'npp', 0x10000n),
    pagedStart: within(paged, 'pp', 0x10000n),
    specialStart: within(special, 'sp', 0x10000n),
    stackStart: within(stacks, 'stack', 0x10000n),
    selfMapIndex,
    userDlls: 0x7ff000000000n + BigInt(0xa + pick(6, seed, 'user-dlls')) * 0x100000000n,
    tebTop: 0x1000000000n + BigInt(pick(0xff0, seed, 'teb')) * 0x100000000n,
  };
}

/** What `!pool` and `!analyze` call the region an address is in, or null outside the pools. */
export function poolRegionOf(
  space: AddressSpace,
  at: bigint,
): 'Nonpaged pool' | 'Paged pool' | 'Special pool' | null {
  const inside = (r: Region) => at >= r.start && at < r.end;
  if (inside(space.special)) return 'Special pool';
  if (inside(space.nonpaged)) return 'Nonpaged pool';
  if (inside(space.paged)) return 'Paged pool';
  return null;
}

/** The bases of the page-table self-map for a PML4 index: PTE, PDE, PPE and PXE. */
export function selfMap(index: bigint): { pte: bigint; pde: bigint; ppe: bigint; pxe: bigint } {
  const pte = 0xffff000000000000n | (index << 39n);
  const pde = pte + (index << 30n);
  const ppe = pde + (index << 21n);
  const pxe = ppe + (index << 12n);
  return { pte, pde, ppe, pxe };
}
