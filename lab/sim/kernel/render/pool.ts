/**
 * `!pool` and `!pte` over the pool model: ordinary pages (with the block list and the pooltag.txt
 * line), a page whose headers an overrun destroyed (the seed's "__inVALID" walk), special-pool data
 * pages and their guard pages, and addresses outside any pool.
 */
import { addressSpace, poolRegionOf, selfMap } from '../address-space.js';
import { addr, bare, hex16, pick } from '../hex.js';
import { readByte } from '../memory.js';
import type { KernelState, PoolBlock } from '../state.js';
import type { RenderContext } from './context.js';
import { evaluate } from './expr.js';

/** pooltag.txt lines for the tags the model uses: "<description>[, Binary : <binary>]". */
const POOLTAGS: Record<string, string> = {
  'Irp ': 'Io, IRP packets',
  None: 'call to ExAllocatePool',
  MmCa: 'Mm control areas for mapped files, Binary : nt!mm',
  MmSt: 'Mm section object prototype ptes, Binary : nt!mm',
  MmLd: 'Mm load module database, Binary : nt!mm',
  Free: '',
};

function pooltagLine(tag: string): string {
  const description = POOLTAGS[tag] ?? POOLTAGS[tag.padEnd(4)];
  return description
    ? `\t\tPooltag ${tag.padEnd(4)} : ${description}`
    : '\t\tOwning component : Unknown (update pooltag.txt)';
}

function blockLine(block: PoolBlock, marked: boolean): string {
  const status = `(${block.state})`.padEnd(12);
  const tag = block.state === 'Free' ? 'Free' : block.tag;
  return `${marked ? '*' : ' '}${block.address} size: ${bare(block.size).padStart(4)} previous size: ${bare(block.previousSize).padStart(4)}  ${status}${marked ? '*' : ' '}${tag}`;
}

/** `!pool <address>`. */
export function renderPool(args: string, state: KernelState, context: RenderContext): string {
  const expression = args.trim().split(/\s+(?=[0-9]+$)/)[0] ?? '';
  const at = evaluate(expression, state, context);
  const page = at & ~0xfffn;

  for (const block of state.pool.special) {
    const dataPage = addr(block.page);
    if (page === dataPage + 0x1000n)
      return [
        `Pool page ${hex16(at)} region is Special pool`,
        `${hex16(at)}: Unable to get contents of special pool block`,
      ].join('\n');
    if (page === dataPage) {
      // A special-pool page holds one allocation: whatever address in it, that block is the one.
      const mark = '*';
      return [
        `Pool page ${hex16(at)} region is Special pool`,
        `${mark}${hex16(dataPage)} size: ${bare(block.size).padStart(4)} data: ${block.data} (${block.poolType}) ${mark}${block.tag}`,
        pooltagLine(block.tag),
      ].join('\n');
    }
  }

  const poolPage = state.pool.pages.find((p) => {
    const start = addr(p.address);
    const last = p.blocks[p.blocks.length - 1];
    const end = last ? addr(last.address) + BigInt(last.size) : start + 0x1000n;
    return at >= start && at < end;
  });
  if (poolPage) {
    const corruption = poolPage.corruption;
    if (!corruption) {
      const lines = [`Pool page ${hex16(at)} region is ${poolPage.region}`];
      for (const block of poolPage.blocks) {
        const start = addr(block.address);
        const marked = at >= start && at < start + BigInt(block.size);
        lines.push(blockLine(block, marked));
        if (marked) lines.push(pooltagLine(block.state === 'Free' ? 'Free' : block.tag));
      }
      return lines.join('\n');
    }
    // The walk stops at the first destroyed header.
    const bad = corruption.at;
    const good = poolPage.blocks.filter((b) => addr(b.address) < addr(bad));
    const last = good[good.length - 1];
    return [
      `Pool page ${hex16(at)} region is ${poolPage.region}`,
      ...good.map((b) => blockLine(b, false)),
      '',
      `${bad} doesn't look like a valid small pool allocation, checking to see`,
      'if the entire page is actually part of a large page allocation...',
      '',
      `${bad} is not a valid large pool allocation, checking large session pool...`,
      `${bad} is freed (or corrupt) pool`,
      `Bad previous allocation size @${bad}, last size was ${bare((last?.size ?? 0) / 16)}`,
      '',
      '',
      '*** An error (or corruption) in the pool was detected;',
      '*** Attempting to diagnose the problem.',
      '',
      `*** Use !poolval ${poolPage.address} for more details.`,
      '',
      '',
      `Pool page [ ${poolPage.address} ] is __inVALID.`,
      '',
      'Analyzing linked list...',
      `[ ${poolPage.address} --> ${hex16(addr(poolPage.address) + 0x10n)} (size = 0x10 bytes)]: Corrupt region`,
      '',
      '',
      'Scanning for single bit errors...',
      '',
      'None found',
    ].join('\n');
  }

  const region = poolRegionOf(addressSpace(state.boot), at) ?? 'Unknown';
  const p = hex16(page);
  return [
    `Pool page ${hex16(at)} region is ${region}`,
    `${p} is not a valid large pool allocation, checking large session pool...`,
    `${p} is not valid pool. Checking for freed (or corrupt) pool`,
    `Address ${p} could not be read. It may be a freed, invalid or paged out page`,
  ].join('\n');
}

const up = (value: bigint) => hex16(value).toUpperCase();

/** `!pte <address>`: the four paging levels through the x64 self-map (FFFFF680`00000000 before Windows 10 1607). */
export function renderPte(args: string, state: KernelState, context: RenderContext): string {
  const va = evaluate(args, state, context);
  const mask = (bits: bigint) => (1n << bits) - 1n;
  const bases = selfMap(addressSpace(state.boot).selfMapIndex);
  const pte = bases.pte + ((va >> 9n) & (mask(39n) & ~7n));
  const pde = bases.pde + ((va >> 18n) & (mask(30n) & ~7n));
  const ppe = bases.ppe + ((va >> 27n) & (mask(21n) & ~7n));
  const pxe = bases.pxe + ((va >> 36n) & (mask(12n) & ~7n));
  const mapped = readByte(state, va & ~0xfffn) !== null;
  const seed = `${state.boot.vmName}#${state.boot.bootCount}`;
  const pfn = (level: string, table: bigint) => BigInt(0x1000 + pick(0x1f000, seed, level, hex16(table)));
  const entry = (level: string, table: bigint, valid: boolean) => {
    if (!valid) return { contains: 0n, text: 'not valid' };
    const frame = pfn(level, table);
    return { contains: (frame << 12n) | 0x863n, text: `pfn ${bare(frame).padEnd(10)}---DA--KWEV` };
  };
  const levels = [
    entry('pxe', va >> 39n, true),
    entry('ppe', va >> 30n, true),
    entry('pde', va >> 21n, true),
    entry('pte', va >> 12n, mapped),
  ];
  const cell = (text: string) => text.padEnd(27);
  return [
    `${' '.repeat(43)}VA ${hex16(va)}`,
    [`PXE at ${up(pxe)}`, `PPE at ${up(ppe)}`, `PDE at ${up(pde)}`, `PTE at ${up(pte)}`]
      .map(cell)
      .join('')
      .trimEnd(),
    levels
      .map((l) => cell(`contains ${up(l.contains)}`))
      .join('')
      .trimEnd(),
    levels
      .map((l) => cell(l.text))
      .join('')
      .trimEnd(),
  ].join('\n');
}

/** The address of a pool block, for tests: `!pool` on the block a driver owns. */
export function poolBlockOf(state: KernelState, driver: string): string | null {
  for (const page of state.pool.pages) for (const b of page.blocks) if (b.owner === driver) return b.address;
  for (const b of state.pool.special) if (b.owner === driver) return b.data;
  return null;
}
