/**
 * `r` and `.cxr <context>` (and the register block `!analyze -v` prints after CONTEXT:): the
 * general-purpose registers, `rax=4f4f4f4f4f4f4f4f rbx=… ` lines, x64 or x86.
 */
import * as z from 'zod';
import { built } from './built.js';
import { ParseError } from './errors.js';
import { Hex } from './hex.js';
import { prepare } from './text.js';

export const RegistersResult = z.object({
  /** Each general-purpose register shown, by its lowercase name: `rax`, `r8`, `rip`, `eax` … */
  registers: z.record(z.string(), Hex),
});
export type RegistersResult = z.infer<typeof RegistersResult>;

/** The general-purpose registers of x64 (rax … r15, rip, rsp, rbp) and x86 (eax … eip). */
const GENERAL = /^(?:r[a-d]x|r[sd]i|r[isb]p|r(?:[89]|1[0-5])|e[a-d]x|e[sd]i|e[isb]p)$/;
const PAIR = /(?:^|\s)([a-z0-9]{2,3})=([0-9a-f]{8}(?:`?[0-9a-f]{8})?)(?=\s|$)/gi;

/**
 * Reads every `name=value` pair of a general-purpose register; the prompt, the flags (`iopl=0 nv
 * up …`), segment registers and the disassembly line are passed over. A register shown twice keeps
 * its first value. Text without any register is refused.
 */
export function parseRegisters(text: string): RegistersResult {
  const registers: Record<string, string> = {};
  for (const line of prepare(text)) {
    for (const m of line.text.matchAll(PAIR)) {
      const name = (m[1] as string).toLowerCase();
      if (GENERAL.test(name) && !Object.hasOwn(registers, name)) {
        registers[name] = `0x${(m[2] as string).replace('`', '').toLowerCase()}`;
      }
    }
  }
  if (Object.keys(registers).length === 0) {
    throw new ParseError('registers', 'r or .cxr', {
      reason: 'it holds no general-purpose register value (rax=…, eax=…)',
      line: null,
      excerpt: text.trim().split(/\r?\n/)[0] ?? '',
    });
  }
  return built(RegistersResult, { registers });
}
