/**
 * Memory commands: d* (db, dd, dc, dq, dp), s -a, !for_each_module, u, ub and the instruction line
 * `r`/`.cxr` print, all over the memory model (memory.ts).
 */
import { bare, hex8, printable, tick } from '../hex.js';
import {
  branchTarget,
  type Instruction,
  instructionAddresses,
  instructionAt,
  readByte,
  readBytes,
  readValue,
} from '../memory.js';
import type { KernelState, Registers } from '../state.js';
import { layoutOf, resolve, symbolAt, symbolName } from '../symbols.js';
import { CommandError, type RenderContext } from './context.js';
import { evaluate, splitRange } from './expr.js';

/** db / dd / dc / dq / dp. */
export function renderDisplay(
  kind: string,
  args: string,
  state: KernelState,
  context: RenderContext,
): string {
  const { expression, count } = splitRange(args);
  if (expression === '') throw new CommandError(`Syntax error in '${kind}'`);
  const start = evaluate(expression, state, context);
  const unit = kind === 'db' ? 1 : kind === 'dd' || kind === 'dc' ? 4 : 8;
  const units = count ?? (unit === 1 ? 128 : unit === 4 ? 32 : 16);
  const perLine = 16 / unit;
  const lines: string[] = [];
  for (let i = 0; i < units; i += perLine) {
    const at = start + BigInt(i * unit);
    const n = Math.min(perLine, units - i);
    if (kind === 'db') {
      const bytes = readBytes(state, at, n);
      const cells = bytes.map(
        (b, j) => (b === null ? '??' : b.toString(16).padStart(2, '0')) + (j === 7 && n > 8 ? '-' : ' '),
      );
      lines.push(`${tick(at)}  ${cells.join('').trimEnd().padEnd(48)}  ${bytes.map(printable).join('')}`);
      continue;
    }
    const cells: string[] = [];
    for (let j = 0; j < n; j += 1) {
      const value = readValue(state, at + BigInt(j * unit), unit);
      if (unit === 4) cells.push(value === null ? '????????' : hex8(value));
      else cells.push(value === null ? '????????`????????' : tick(value));
    }
    let line = `${tick(at)}  ${cells.join(' ')}`;
    if (kind === 'dc')
      line = `${line.padEnd(19 + 35)}  ${readBytes(state, at, n * 4)
        .map(printable)
        .join('')}`;
    lines.push(line);
  }
  return lines.join('\n');
}

function searchHits(state: KernelState, start: bigint, end: bigint, needle: number[]): bigint[] {
  const first = needle[0];
  if (first === undefined) return [];
  const hits: bigint[] = [];
  // Only bytes the model gives a value to can start a match: code, pool and globals. Scanning those
  // (not every byte of a 5 MB image) keeps `!for_each_module s` instant.
  const candidates = new Set<bigint>();
  for (const at of instructionAddresses(state)) {
    const ins = instructionAt(state, at);
    ins?.bytes.forEach((_, i) => {
      candidates.add(at + BigInt(i));
    });
  }
  for (const page of state.pool.pages) {
    const base = BigInt(`0x${page.address}`);
    for (let i = 0n; i < 0x1000n; i += 1n) candidates.add(base + i);
  }
  for (const at of [...candidates].sort((a, b) => (a < b ? -1 : 1))) {
    if (at < start || at >= end) continue;
    if (readByte(state, at) !== first) continue;
    if (needle.every((b, i) => readByte(state, at + BigInt(i)) === b)) hits.push(at);
  }
  return hits;
}

function searchLine(state: KernelState, at: bigint): string {
  const bytes = readBytes(state, at, 16);
  const cells = bytes.map(
    (b, j) => (b === null ? '??' : b.toString(16).padStart(2, '0')) + (j === 7 ? '-' : ' '),
  );
  return `${tick(at)}  ${cells.join('').trimEnd()}  ${bytes.map(printable).join('')}`;
}

/** `s -a start end "text"` (also `s -a start L?len "text"`). */
export function renderSearch(args: string, state: KernelState, context: RenderContext): string {
  const m = /^-a\s+(.+?)\s+(L\??\s*\S+|\S+)\s+"([^"]*)"\s*$/i.exec(args.trim());
  if (!m) throw new CommandError(`Syntax error in 's ${args.trim()}'`);
  const start = evaluate(m[1] as string, state, context);
  const second = m[2] as string;
  const end = /^l/i.test(second)
    ? start + evaluate(second.replace(/^l\??\s*/i, ''), state, context)
    : evaluate(second, state, context);
  const needle = [...Buffer.from(m[3] as string, 'latin1')];
  return searchHits(state, start, end, needle)
    .map((hit) => searchLine(state, hit))
    .join('\n');
}

/** `!for_each_module <command with @#Base @#End @#ModuleName>`. */
export function renderForEachModule(
  args: string,
  state: KernelState,
  context: RenderContext,
  run: (command: string) => string,
): string {
  const out: string[] = [];
  const modules = [...state.modules].sort((a, b) => (a.base < b.base ? -1 : 1));
  for (const module of modules) {
    const base = BigInt(`0x${module.base}`);
    const command = args
      .replace(/@#Base/gi, tick(base))
      .replace(/@#End/gi, tick(base + BigInt(module.size)))
      .replace(/@#ModuleName/gi, module.name);
    const text = run(command);
    if (text !== '') out.push(text);
  }
  void context;
  return out.join('\n');
}

function operandsText(state: KernelState, at: bigint, ins: Instruction): string {
  if (!ins.branch) return ins.operands;
  const target = branchTarget(at, ins);
  const symbol = symbolAt(state, target);
  return ins.operands.replace('{target}', symbol ? `${symbol} (${tick(target)})` : tick(target));
}

function instructionLine(state: KernelState, at: bigint, ins: Instruction): string {
  const bytes = ins.bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  const operands = operandsText(state, at, ins);
  return `${tick(at)} ${bytes.padEnd(15)} ${operands === '' ? ins.mnemonic : `${ins.mnemonic.padEnd(7)} ${operands}`}`;
}

/** The label KD prints before disassembly at an address ("nt!ExAllocatePool:", inline frames). */
function label(state: KernelState, at: bigint): string | null {
  const resolved = resolve(state, at);
  if (!resolved) return null;
  const layout = layoutOf(resolved.module.name);
  if (resolved.fn && layout) {
    const inline = layout.inlines.find(
      (r) => r.function === resolved.fn?.name && resolved.offset >= r.begin && resolved.offset < r.end,
    );
    if (inline)
      return `${resolved.module.name}!${inline.inlinee} [inlined in ${resolved.module.name}!${inline.function}+0x${bare(inline.site)}]:`;
  }
  return `${symbolName(resolved)}:`;
}

interface Decoded {
  at: bigint;
  line: string;
  length: number;
}

function decodeAt(state: KernelState, at: bigint): Decoded {
  const ins = instructionAt(state, at);
  if (ins) return { at, line: instructionLine(state, at, ins), length: ins.bytes.length };
  const b0 = readByte(state, at);
  if (b0 === null) return { at, line: `${tick(at)} ??              ???`, length: 1 };
  const b1 = readByte(state, at + 1n);
  if (b0 === 0 && b1 === 0)
    return { at, line: `${tick(at)} 0000            add     byte ptr [rax],al`, length: 2 };
  return {
    at,
    line: `${tick(at)} ${b0.toString(16).padStart(2, '0').padEnd(15)} db      ${b0.toString(16).padStart(2, '0')}h`,
    length: 1,
  };
}

function withLabels(state: KernelState, decoded: Decoded[]): string {
  const out: string[] = [];
  decoded.forEach((d, i) => {
    const resolved = resolve(state, d.at);
    const startsSymbol = resolved?.fn && resolved.offset === 0;
    if (i === 0 || startsSymbol) {
      const l = label(state, d.at);
      if (l) out.push(l);
    }
    out.push(d.line);
  });
  return out.join('\n');
}

/** `u [addr] [L n]`. */
export function renderUnassemble(
  args: string,
  state: KernelState,
  context: RenderContext,
  ip: bigint,
): string {
  const { expression, count } = splitRange(args);
  let at = expression === '' ? ip : evaluate(expression, state, context);
  const decoded: Decoded[] = [];
  for (let i = 0; i < (count ?? 8); i += 1) {
    const d = decodeAt(state, at);
    decoded.push(d);
    at += BigInt(d.length);
  }
  return withLabels(state, decoded);
}

/** `ub [addr] [L n]`: the n instructions before the address. */
export function renderUnassembleBackwards(
  args: string,
  state: KernelState,
  context: RenderContext,
  ip: bigint,
): string {
  const { expression, count } = splitRange(args);
  const end = expression === '' ? ip : evaluate(expression, state, context);
  const n = count ?? 8;
  const chain: Decoded[] = [];
  let at = end;
  const known = instructionAddresses(state);
  while (chain.length < n) {
    const previous = known
      .filter((a) => a < at && a + BigInt(instructionAt(state, a)?.bytes.length ?? 0) === at)
      .pop();
    if (previous !== undefined) {
      chain.unshift(decodeAt(state, previous));
      at = previous;
      continue;
    }
    const d = decodeAt(state, at - 2n);
    chain.unshift(d.length === 2 ? d : decodeAt(state, at - 1n));
    at -= BigInt(chain[0]?.length ?? 1);
  }
  return withLabels(state, chain);
}

const FLAG_BITS: [number, string, string][] = [
  [0x800, 'ov', 'nv'],
  [0x400, 'dn', 'up'],
  [0x200, 'ei', 'di'],
  [0x80, 'ng', 'pl'],
  [0x40, 'zr', 'nz'],
  [0x10, 'ac', 'na'],
  [0x4, 'pe', 'po'],
  [0x1, 'cy', 'nc'],
];

/** The register block of `r` and `.cxr`, ending with the instruction at rip. */
export function renderRegisters(state: KernelState, regs: Registers): string {
  const r = (name: keyof Registers) => `${name.length === 2 ? ' ' : ''}${name}=${regs[name] as string}`;
  const flags = FLAG_BITS.map(([bit, on, off]) => (regs.efl & bit ? on : off)).join(' ');
  const rip = BigInt(`0x${regs.rip}`);
  const lines = [
    `${r('rax')} ${r('rbx')} ${r('rcx')}`,
    `${r('rdx')} ${r('rsi')} ${r('rdi')}`,
    `${r('rip')} ${r('rsp')} ${r('rbp')}`,
    `${r('r8')} ${r('r9')} ${r('r10')}`,
    `${r('r11')} ${r('r12')} ${r('r13')}`,
    `${r('r14')} ${r('r15')}`,
    `iopl=${(regs.efl >> 12) & 3}         ${flags}`,
    `cs=0010  ss=0018  ds=002b  es=002b  fs=0053  gs=002b             efl=${hex8(regs.efl)}`,
  ];
  const l = label(state, rip);
  if (l) lines.push(l);
  const ins = instructionAt(state, rip);
  if (!ins) {
    lines.push(decodeAt(state, rip).line);
    return lines.join('\n');
  }
  let line = instructionLine(state, rip, ins);
  if (ins.memory) {
    const base = BigInt(`0x${regs[ins.memory.base]}`);
    const ea = (base + BigInt(ins.memory.displacement)) & ((1n << 64n) - 1n);
    const value = readValue(state, ea, ins.memory.size);
    const width = ins.memory.size * 2;
    const shown =
      value === null
        ? '?'.repeat(width)
        : width === 16
          ? tick(value)
          : value.toString(16).padStart(width, '0');
    const segment = ins.memory.base === 'rsp' ? 'ss:0018' : 'ds:002b';
    line = `${line} ${segment}:${tick(ea)}=${shown}`;
  }
  lines.push(line);
  return lines.join('\n');
}
