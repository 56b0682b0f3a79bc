/**
 * Hex values in every parser result: `0x` + lowercase hex digits, backtick separators removed,
 * leading zeros kept as printed (`fffff880\`04822658` → `0xfffff88004822658`).
 */
import { z } from 'zod';

export const Hex = z.string().regex(/^0x[0-9a-f]+$/, 'a hex value written 0x + lowercase digits');
export type Hex = z.infer<typeof Hex>;

const HEX_TEXT = /^(?:0x)?[0-9a-fA-F]+(?:`[0-9a-fA-F]+)?$/;

/** True when the text is a hex value as the debugger prints it (optional 0x, optional backtick). */
export function isHex(text: string): boolean {
  return HEX_TEXT.test(text);
}

/** The normalised form of a printed hex value, or null when the text is not one. */
export function hexOrNull(text: string): Hex | null {
  if (!HEX_TEXT.test(text)) return null;
  const digits = (text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text).replace('`', '');
  return `0x${digits.toLowerCase()}`;
}

/** A whole decimal number, or null. */
export function intOrNull(text: string): number | null {
  if (!/^-?\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}
