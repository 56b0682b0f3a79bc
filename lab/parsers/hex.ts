/**
 * Hex values in every parser result: `0x` + lowercase hex digits, backtick separators removed,
 * leading zeros kept as printed (`fffff880\`04822658` → `0xfffff88004822658`).
 */
import * as z from 'zod';

export const Hex = z.string().regex(/^0x[0-9a-f]+$/, 'a hex value written 0x + lowercase digits');
export type Hex = z.infer<typeof Hex>;

const HEX_TEXT = /^(?:0x)?[0-9a-fA-F]+(?:`[0-9a-fA-F]+)?$/;

/** True when the text is a hex value as the debugger prints it (optional 0x, optional backtick). */
export function isHex(text: string): boolean {
  return HEX_TEXT.test(text);
}

/** The normalised form of a printed hex value, or null when the text is not one. */
export function hexOrNull(text: string): Hex | null {
  // By hand rather than by pattern: this runs for nearly every value every parser reads.
  let from = 0;
  if (
    text.length > 2 &&
    text.charCodeAt(0) === 48 &&
    (text.charCodeAt(1) === 120 || text.charCodeAt(1) === 88)
  )
    from = 2;
  let tick = -1;
  let upper = false;
  for (let i = from; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue;
    if (c >= 65 && c <= 70) {
      upper = true;
      continue;
    }
    if (c === 96 && tick === -1 && i > from && i < text.length - 1) {
      tick = i;
      continue;
    }
    return null;
  }
  if (text.length === from) return null;
  let digits = tick === -1 ? text.slice(from) : text.slice(from, tick) + text.slice(tick + 1);
  if (upper) digits = digits.toLowerCase();
  return `0x${digits}`;
}

/** A whole decimal number, or null. */
export function intOrNull(text: string): number | null {
  if (!/^-?\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** A stop (bug check) code wherever it appears: `0x` + lowercase hex, no leading zeros (`0xd1`, `0x0`). */
export const StopCode = z
  .string()
  .regex(/^0x(?:0|[1-9a-f][0-9a-f]*)$/, 'a stop code written 0x + lowercase digits without leading zeros');
export type StopCode = z.infer<typeof StopCode>;

/** The stop code convention's form of a printed code (`0x00000080`, `D1`, `0`), or null. */
export function stopCodeOrNull(text: string): StopCode | null {
  const hex = hexOrNull(text.trim());
  if (hex === null) return null;
  const digits = hex.slice(2).replace(/^0+/, '');
  return `0x${digits === '' ? '0' : digits}`;
}
