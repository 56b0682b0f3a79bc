/**
 * Numbers as KD prints them. Addresses live in the kernel state as 16 lowercase hex digits
 * (JSON has no 64-bit integers); arithmetic happens on bigint.
 */
import { createHash } from 'node:crypto';

const MASK64 = (1n << 64n) - 1n;

/** A bigint wrapped to 64 bits, as the debugger's expression evaluator does. */
export function u64(value: bigint): bigint {
  return value & MASK64;
}

/** 16 hex digits, no separator: "fffff9800b5ff000" (the state's address form, !pool's form). */
export function hex16(value: bigint): string {
  return u64(value).toString(16).padStart(16, '0');
}

/** 16 hex digits with KD's backtick: "fffff880`04f834eb". */
export function tick(value: bigint): string {
  const h = hex16(value);
  return `${h.slice(0, 8)}\`${h.slice(8)}`;
}

/** 8 hex digits: "0000bd38". */
export function hex8(value: bigint | number): string {
  return (BigInt(value) & 0xffffffffn).toString(16).padStart(8, '0');
}

/** Hex without padding: "14eb". */
export function bare(value: bigint | number): string {
  return BigInt(value).toString(16);
}

/** An address from the state (16 hex digits) as a bigint. */
export function addr(text: string): bigint {
  return BigInt(`0x${text}`);
}

/** A deterministic 64-bit value from a seed and a label (stable across runs and machines). */
export function hash64(...parts: (string | number)[]): bigint {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readBigUInt64BE(0);
}

/** A deterministic integer in [0, bound). */
export function pick(bound: number, ...parts: (string | number)[]): number {
  return Number(hash64(...parts) % BigInt(bound));
}

/** Four ASCII characters as the little-endian 32-bit value KD shows for a pool tag ('None' → 0x656e6f4e). */
export function tagValue(tag: string): bigint {
  const bytes = Buffer.from(tag.padEnd(4, ' ').slice(0, 4), 'latin1');
  return BigInt(bytes.readUInt32LE(0));
}

/** The printable form of a byte in `db`/`dc`/`s` ASCII columns. */
export function printable(byte: number | null): string {
  if (byte === null) return '?';
  return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
}
