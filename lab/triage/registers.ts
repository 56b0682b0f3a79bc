/**
 * The general-purpose registers kd prints for `r` and `.cxr` (and inside `!analyze -v` after
 * CONTEXT:): `rax=4f4f4f4f4f4f4f4f rbx=… ` lines. Used to find the memory a crash touched.
 */
import { z } from 'zod';
import { ParseError } from '../parsers/errors.js';

export const Registers = z.record(z.string(), z.string().regex(/^0x[0-9a-f]+$/));
export type Registers = z.infer<typeof Registers>;

/** The general-purpose registers of x64 (rax … r15, rip, rsp, rbp) and x86 (eax … eip). */
const GENERAL = /^(?:r[a-d]x|r[sd]i|r[isb]p|r(?:[89]|1[0-5])|e[a-d]x|e[sd]i|e[isb]p)$/;

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
    if (GENERAL.test(name) && !(name in out)) out[name] = `0x${(m[2] as string).toLowerCase()}`;
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
