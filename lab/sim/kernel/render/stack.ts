/**
 * Stacks: `k`, `kn`, `kb` and the STACK_TEXT of `!analyze -v`, computed from a thread's frames.
 * Child-SP grows by each function's frame size (derived from its name, so the same function always
 * has the same frame); RetAddr is the next frame's call site, so `k`, `ln` and `u` agree.
 */
import { addr, hash64, hex16, pick, tick } from '../hex.js';
import type { KernelState, Site, Thread } from '../state.js';
import { siteAddress, symbolAt } from '../symbols.js';
import { framesOf, type RenderContext } from './context.js';

export interface Row {
  sp: bigint;
  ret: bigint;
  site: string;
  args: [bigint, bigint, bigint, bigint];
  isBugcheck: boolean;
}

function frameSize(site: Site): bigint {
  const name = 'raw' in site ? 'raw' : `${site.module}!${site.fn ?? ''}`;
  return BigInt(0x30 + pick(0x18, 'frame', name) * 0x10);
}

/** KD's form of an address outside every module: "0x772df93a", "0x000007fc`4fe22c5a". */
export function rawSite(value: bigint): string {
  return value < 0x100000000n ? `0x${value.toString(16).padStart(8, '0')}` : `0x${tick(value)}`;
}

export function rows(state: KernelState, thread: Thread, context: RenderContext, frames?: Site[]): Row[] {
  const list = frames ?? framesOf(state, thread, context);
  const extra = list.length - thread.frames.length;
  let sp = addr(thread.stackCurrent) - (extra > 0 ? 0x200n : 0n);
  const out: Row[] = [];
  list.forEach((site, i) => {
    const next = list[i + 1];
    const isUser = 'raw' in site && thread.userSp !== null;
    const rowSp = isUser ? addr(thread.userSp as string) : sp;
    const here = siteAddress(state, site);
    const ret = next ? siteAddress(state, next) : 0n;
    const label = 'raw' in site ? rawSite(here) : (symbolAt(state, here) ?? rawSite(here));
    const isBugcheck =
      !('raw' in site) && site.fn === 'KeBugCheckEx' && state.crash?.thread === thread.address;
    const args: [bigint, bigint, bigint, bigint] =
      isBugcheck && state.crash
        ? [
            BigInt(state.crash.code),
            addr(state.crash.args[0]),
            addr(state.crash.args[1]),
            addr(state.crash.args[2]),
          ]
        : ([0, 1, 2, 3].map((k) => {
            const kind = pick(4, 'arg', thread.address, i, k);
            if (kind === 0) return 0n;
            if (kind === 1) return BigInt(pick(0x40, 'small', thread.address, i, k));
            if (kind === 2) return addr(thread.address);
            return sp + BigInt(pick(0x40, 'spoff', thread.address, i, k) * 8);
          }) as [bigint, bigint, bigint, bigint]);
    out.push({ sp: rowSp, ret, site: label, args, isBugcheck });
    sp += i === 0 ? 8n : frameSize(site);
  });
  return out;
}

const HEADER = 'Child-SP          RetAddr           Call Site';
const HEADER_B =
  'Child-SP          RetAddr           : Args to Child                                                           : Call Site';

/** The stack `!thread` prints (the old `k` layout, which `!thread` keeps). */
export function renderK(list: Row[]): string {
  return [HEADER, ...list.map((r) => `${tick(r.sp)} ${tick(r.ret)} ${r.site}`)].join('\n');
}

/**
 * `k` and `kn` as a current kd prints them: frame numbers and a wider return-address column
 * (lab/kd/replay/corpus/live-bugcheck-0x50-win11-26100.txt, kd 10.0.27829).
 */
export function renderKn(list: Row[]): string {
  return [
    ' # Child-SP          RetAddr               Call Site',
    ...list.map((r, i) => `${i.toString(16).padStart(2, '0')} ${tick(r.sp)} ${tick(r.ret)}     ${r.site}`),
  ].join('\n');
}

function kbRow(r: Row): string {
  return `${tick(r.sp)} ${tick(r.ret)} : ${r.args.map(tick).join(' ')} : ${r.site}`;
}

export function renderKb(list: Row[]): string {
  return [HEADER_B, ...list.map(kbRow)].join('\n');
}

/**
 * STACK_TEXT of !analyze -v: kb rows from KeBugCheckEx down, with the wider gap before the arguments
 * a current kd prints (the corpus' live-bugcheck-0x50 and dump-whea-124 captures).
 */
export function stackText(list: Row[]): string[] {
  const from = list.findIndex((r) => r.isBugcheck);
  return list
    .slice(Math.max(0, from))
    .map((r) => `${tick(r.sp)} ${tick(r.ret)}     : ${r.args.map(tick).join(' ')} : ${r.site}`);
}

/** A stable pseudo-GUID, formatted as !analyze prints FAILURE_ID_HASH. */
export function guidOf(text: string): string {
  const h = hex16(hash64('guid-high', text));
  const g = hex16(hash64('guid-low', text));
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${g.slice(0, 4)}-${g.slice(4, 16)}}`;
}
