/**
 * The general-purpose registers kd prints for `r` and `.cxr` (and inside `!analyze -v` after
 * CONTEXT:): `rax=4f4f4f4f4f4f4f4f rbx=… ` lines. Used to find the memory a crash touched.
 */
import { z } from 'zod';
import { ParseError } from '../parsers/errors.js';

export const Registers = z.record(z.string(), z.string().regex(/^0x[0-9a-f]+$/));
export type Registers = z.infer<typeof Registers>;

const NAMES = new Set([
  'rax',
  'rbx',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'rip',
  'rsp',
  'rbp',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
  'eax',
  'ebx',
  'ecx',
  'edx',
  'esi',
  'edi',
  'eip',
  'esp',
  'ebp',
]);

/**
 * Reads every `name=value` pair of a general-purpose register (x64 or x86) from kd's output;
 * prompts, flags and the disassembly line are ignored. Output without any register is an error.
 */
export function parseRegisters(text: string): Registers {
  const out: Registers = {};
  // The seed's HTML copy puts no-break spaces between values.
  for (const m of text
    .replace(/\u00a0/g, ' ')
    .matchAll(/(?:^|\s)([a-z0-9]{2,3})=([0-9a-f]{8,16})(?=\s|$)/gim)) {
    const name = (m[1] as string).toLowerCase();
    if (NAMES.has(name) && !(name in out)) out[name] = `0x${(m[2] as string).toLowerCase()}`;
  }
  if (Object.keys(out).length === 0) {
    throw new ParseError('registers', 'r or .cxr', {
      reason: 'it holds no register value (rax=…)',
      line: null,
      excerpt: text.trim().split(/\r?\n/)[0] ?? '',
    });
  }
  return Registers.parse(out);
}

/** Whether a 64-bit value is a canonical kernel-mode address (the upper half, ffff8000`00000000 and up). */
export function isKernelAddress(value: string): boolean {
  const n = BigInt(value);
  return n >= 0xffff800000000000n && n <= 0xffffffffffffffffn && n !== 0xffffffffffffffffn;
}
