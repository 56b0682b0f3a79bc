/**
 * KD's MASM expressions, as far as the seed uses them: hex numbers (default radix 16, with or
 * without the backtick), 0n decimal, module!symbol, module, module+offset, `.` (the current
 * instruction), @register, and + - * between terms.
 */
import { u64 } from '../hex.js';
import type { KernelState } from '../state.js';
import { lookupSymbol } from '../symbols.js';
import { CommandError, type RenderContext, registersOf } from './context.js';

const REGISTERS = new Set([
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
]);

function term(text: string, state: KernelState, context: RenderContext, rest: string): bigint {
  const t = text.trim();
  if (t === '.' || t === '@$ip') return BigInt(`0x${registersOf(state, context).rip}`);
  if (t.startsWith('@')) {
    const name = t.slice(1).toLowerCase();
    if (REGISTERS.has(name)) return BigInt(`0x${registersOf(state, context)[name as 'rax']}`);
    throw new CommandError(`Bad register error in '${rest}'`);
  }
  if (/^0n[0-9]+$/i.test(t)) return BigInt(t.slice(2));
  const hex = t.replace(/`/g, '').replace(/^0x/i, '');
  if (/^[0-9a-f]+$/i.test(hex) && hex.length <= 16 && !/[g-z]/i.test(t.replace(/^0x/i, '')))
    return BigInt(`0x${hex}`);
  const symbol = lookupSymbol(state, t);
  if (symbol !== null) return symbol;
  throw new CommandError(`Couldn't resolve error at '${rest}'`);
}

/** Evaluates an expression; throws CommandError with KD's text when it cannot. */
export function evaluate(expression: string, state: KernelState, context: RenderContext): bigint {
  const text = expression.trim();
  if (text === '') throw new CommandError(`Syntax error at '${expression}'`);
  // Split into terms at + - * that are not the first character; symbols never contain them.
  const parts: { op: string; text: string; rest: string }[] = [];
  let op = '+';
  let start = 0;
  for (let i = 0; i <= text.length; i += 1) {
    const c = text[i];
    if (i === text.length || ((c === '+' || c === '-' || c === '*') && i > start)) {
      const chunk = text.slice(start, i);
      if (chunk.trim() === '') throw new CommandError(`Syntax error at '${text.slice(start)}'`);
      parts.push({ op, text: chunk, rest: text.slice(start).trimStart() });
      op = c ?? '+';
      start = i + 1;
    }
  }
  let value = 0n;
  for (const part of parts) {
    const v = term(part.text, state, context, part.rest);
    if (part.op === '+') value = value + v;
    else if (part.op === '-') value = value - v;
    else value = value * v;
  }
  return u64(value);
}

/** Splits "addr L4" / "addr l?10" into the expression and the count (null when absent). */
export function splitRange(args: string): { expression: string; count: number | null } {
  const m = /^(.*?)\s+[lL]\??\s*(0x[0-9a-f]+|0n[0-9]+|[0-9a-f]+)\s*$/i.exec(args);
  if (!m) return { expression: args.trim(), count: null };
  const raw = m[2] as string;
  const count = /^0n/i.test(raw)
    ? Number.parseInt(raw.slice(2), 10)
    : Number.parseInt(raw.replace(/^0x/i, ''), 16);
  return { expression: (m[1] as string).trim(), count: Math.min(count, 0x10000) };
}
