/**
 * What the kernel's virtual memory contains, as far as the state determines it: pool headers and
 * the bytes an overrun wrote, special-pool pages and their guard pages, the nt and NDIS globals the
 * seed reads (MiChargeCommitmentFailures, ndisTrackNblOwner), the instructions the debugger
 * disassembles, and zeros for the rest of a mapped range. Anything else cannot be read (KD's ????).
 */
import { addressSpace } from './address-space.js';
import { addr, tagValue } from './hex.js';
import { DRIVER_SITES } from './layout.js';
import type { KernelState } from './state.js';
import { lookupSymbol, moduleAt, moduleNamed, siteAddress } from './symbols.js';

export interface Instruction {
  bytes: number[];
  mnemonic: string;
  /** Operands; `{target}` is replaced by the branch target as KD shows it. */
  operands: string;
  /** rel32 branch: the target is the next instruction plus this displacement. */
  branch?: boolean;
  /** The memory operand KD annotates after the instruction (`ds:002b:<ea>=<value>`). */
  memory?: { base: 'rax' | 'rsp' | 'rdx'; displacement: number; size: 8 | 4 | 1 };
}

const hexBytes = (text: string): number[] => (text.match(/../g) ?? []).map((b) => Number.parseInt(b, 16));

const ins = (
  bytes: string,
  mnemonic: string,
  operands = '',
  extra: Partial<Instruction> = {},
): Instruction => ({
  bytes: hexBytes(bytes),
  mnemonic,
  operands,
  ...extra,
});

function le32(value: number | bigint): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(Number(BigInt(value) & 0xffffffffn));
  return b.toString('hex');
}

/** The instruction sequences of the model, as absolute address → instruction. */
export function codeMap(state: KernelState): Map<bigint, Instruction> {
  const map = new Map<bigint, Instruction>();
  const place = (start: bigint | null, list: Instruction[]) => {
    if (start === null) return;
    let at = start;
    for (const instruction of list) {
      map.set(at, instruction);
      at += BigInt(instruction.bytes.length);
    }
  };
  const ntFn = (name: string) => lookupSymbol(state, `nt!${name}`);
  const allocateWithTag = ntFn('ExAllocatePoolWithTag');
  const allocate = ntFn('ExAllocatePool');
  if (allocate !== null && allocateWithTag !== null) {
    const rel = allocateWithTag - (allocate + 10n);
    place(allocate, [
      // ExAllocatePool is ExAllocatePoolWithTag with the tag 'None' (the seed, Part 1).
      ins(`b8${le32(tagValue('None'))}`, 'mov', 'eax,656E6F4Eh'),
      ins(`e9${le32(rel)}`, 'jmp', '{target}', { branch: true }),
      ...Array.from({ length: 8 }, () => ins('90', 'nop')),
    ]);
  }
  if (allocateWithTag !== null)
    place(allocateWithTag + 0x419n, [
      ins('488d542440', 'lea', 'rdx,[rsp+40h]'),
      ins('49875500', 'xchg', 'rdx,qword ptr [r13]'),
      ins('4885d2', 'test', 'rdx,rdx'),
      ins('0f85c3030000', 'jne', '{target}', { branch: true }),
      ins('48391b', 'cmp', 'qword ptr [rbx],rbx'),
      ins('0f8464060000', 'je', '{target}', { branch: true }),
      ins('4c8b03', 'mov', 'r8,qword ptr [rbx]'),
      ins('498b00', 'mov', 'rax,qword ptr [r8]'),
      ins('4c8b4808', 'mov', 'r9,qword ptr [rax+8]', { memory: { base: 'rax', displacement: 8, size: 8 } }),
      ins('4d85c9', 'test', 'r9,r9'),
      ins('0f8412010000', 'je', '{target}', { branch: true }),
      ins('498b4008', 'mov', 'rax,qword ptr [r8+8]'),
      ins('4c3900', 'cmp', 'qword ptr [rax],r8'),
      ins('0f85f0030000', 'jne', '{target}', { branch: true }),
      ins('4c8908', 'mov', 'qword ptr [rax],r9'),
    ]);
  place(ntFn('DbgBreakPointWithStatus'), [ins('cc', 'int', '3'), ins('c3', 'ret')]);
  place(ntFn('KeBugCheckEx'), [
    ins('48894c2408', 'mov', 'qword ptr [rsp+8],rcx', { memory: { base: 'rsp', displacement: 8, size: 8 } }),
  ]);
  const complete = ntFn('IopCompleteRequest');
  if (complete !== null)
    place(complete + 0xc73n, [
      ins('c70201000000', 'mov', 'dword ptr [rdx],1', { memory: { base: 'rdx', displacement: 0, size: 4 } }),
    ]);

  for (const record of state.drivers) {
    const module = moduleNamed(state, record.binary.replace(/\.sys$/i, ''));
    if (!module) continue;
    for (const fault of record.faults as { kind: string; tag?: string; pattern?: number }[]) {
      if (fault.kind !== 'pool-overrun') continue;
      const base = addr(module.base);
      if (fault.tag && fault.tag !== 'None')
        place(base + BigInt(DRIVER_SITES.tagLoad), [
          ins(
            `ba${le32(tagValue(fault.tag))}`,
            'mov',
            `edx,${tagValue(fault.tag).toString(16).toUpperCase()}h`,
          ),
        ]);
      const pattern = fault.pattern ?? 0x4f;
      const imm = pattern.toString(16).toUpperCase().padStart(2, '0');
      place(base + BigInt(DRIVER_SITES.overrunWrite), [
        ins(
          `c6040a${pattern.toString(16).padStart(2, '0')}`,
          'mov',
          `byte ptr [rdx+rcx],${/^[A-F]/.test(imm) ? `0${imm}` : imm}h`,
        ),
      ]);
    }
  }
  return map;
}

/** The branch target of a rel32 instruction at an address. */
export function branchTarget(at: bigint, instruction: Instruction): bigint {
  const n = instruction.bytes.length;
  const rel = Buffer.from(instruction.bytes.slice(n - 4)).readInt32LE(0);
  return at + BigInt(n) + BigInt(rel);
}

interface MemoryView {
  code: Map<bigint, Instruction>;
  codeBytes: Map<bigint, number>;
}

const views = new WeakMap<KernelState, { key: string; view: MemoryView }>();

function viewOf(state: KernelState): MemoryView {
  const key = `${state.modules.length}:${state.drivers.length}:${state.tick}`;
  const cached = views.get(state);
  if (cached && cached.key === key) return cached.view;
  const code = codeMap(state);
  const codeBytes = new Map<bigint, number>();
  for (const [at, instruction] of code)
    instruction.bytes.forEach((b, i) => {
      codeBytes.set(at + BigInt(i), b);
    });
  const view = { code, codeBytes };
  views.set(state, { key, view });
  return view;
}

/** The instruction the model places at an address, if any. */
export function instructionAt(state: KernelState, at: bigint): Instruction | undefined {
  return viewOf(state).code.get(at);
}

/** All instruction addresses of the model, ascending (for `ub`). */
export function instructionAddresses(state: KernelState): bigint[] {
  return [...viewOf(state).code.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function poolByte(state: KernelState, at: bigint): number | null | undefined {
  for (const page of state.pool.pages) {
    const start = addr(page.address);
    const last = page.blocks[page.blocks.length - 1];
    const end = last ? addr(last.address) + BigInt(last.size) : start + 0x1000n;
    if (at < start || at >= end) continue;
    const c = page.corruption;
    if (c && at >= addr(c.at) && at < addr(c.at) + BigInt(c.bytes)) return c.pattern;
    for (const block of page.blocks) {
      const offset = Number(at - addr(block.address));
      if (offset < 0 || offset >= 16) continue;
      const header = Buffer.alloc(16);
      const poolType = block.state === 'Allocated' ? (page.region === 'Paged pool' ? 0x3 : 0x2) : 0;
      header.writeUInt32LE(
        ((block.previousSize / 16) & 0xff) | (((block.size / 16) & 0xff) << 16) | (poolType << 24),
        0,
      );
      header.writeUInt32LE(
        block.state === 'Free' ? Number(tagValue('Free')) : Number(tagValue(block.tag)),
        4,
      );
      return header[offset] ?? 0;
    }
    return 0;
  }
  return undefined;
}

function specialByte(state: KernelState, at: bigint): number | null | undefined {
  for (const block of state.pool.special) {
    const page = addr(block.page);
    if (at >= page + 0x1000n && at < page + 0x2000n) return null;
    if (at >= page && at < page + 0x1000n) return at < addr(block.data) ? 0x4b : 0;
  }
  return undefined;
}

function globalByte(state: KernelState, at: bigint): number | undefined {
  const failures = lookupSymbol(state, 'nt!MiChargeCommitmentFailures');
  if (failures !== null && at >= failures && at < failures + 16n) {
    const b = Buffer.alloc(16);
    state.memory.failures.forEach((n, i) => {
      b.writeUInt32LE(n >>> 0, i * 4);
    });
    return b[Number(at - failures)];
  }
  const track = lookupSymbol(state, 'NDIS!ndisTrackNblOwner');
  if (track !== null && at >= track && at < track + 8n) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(state.boot.trackNblOwner));
    return b[Number(at - track)];
  }
  const bugcheckData = lookupSymbol(state, 'nt!KiBugCheckData');
  if (bugcheckData !== null && at >= bugcheckData && at < bugcheckData + 40n && state.crash) {
    const b = Buffer.alloc(40);
    b.writeBigUInt64LE(BigInt(state.crash.code), 0);
    state.crash.args.forEach((a, i) => {
      b.writeBigUInt64LE(addr(a), 8 + i * 8);
    });
    return b[Number(at - bugcheckData)];
  }
  return undefined;
}

/** One byte of virtual memory, or null when KD could not read it. */
export function readByte(state: KernelState, at: bigint): number | null {
  const special = specialByte(state, at);
  if (special !== undefined) return special;
  const pool = poolByte(state, at);
  if (pool !== undefined) return pool;
  const global = globalByte(state, at);
  if (global !== undefined) return global;
  const code = viewOf(state).codeBytes.get(at);
  if (code !== undefined) return code;
  if (moduleAt(state, at)) {
    // The gaps between the model's instruction sequences are int 3 padding in code.
    return 0;
  }
  for (const thread of state.threads) {
    if (at >= addr(thread.stackLimit) && at < addr(thread.stackBase)) return 0;
  }
  const inRange = (lo: bigint, cursor: string) => at >= lo && at < addr(cursor);
  const space = addressSpace(state.boot);
  if (inRange(space.nonpaged.start, state.cursors.nonpaged)) return 0;
  if (inRange(space.paged.start, state.cursors.paged)) return 0;
  return null;
}

export function readBytes(state: KernelState, at: bigint, count: number): (number | null)[] {
  return Array.from({ length: count }, (_, i) => readByte(state, at + BigInt(i)));
}

/** A little-endian value of `size` bytes, or null when any byte is unreadable. */
export function readValue(state: KernelState, at: bigint, size: number): bigint | null {
  let value = 0n;
  for (let i = size - 1; i >= 0; i -= 1) {
    const b = readByte(state, at + BigInt(i));
    if (b === null) return null;
    value = (value << 8n) | BigInt(b);
  }
  return value;
}

/** Where the overrunning instruction of a driver is (for tests and `u`). */
export function overrunSite(state: KernelState, driverModule: string): bigint {
  return siteAddress(state, { module: driverModule, fn: null, offset: DRIVER_SITES.overrunWrite });
}
