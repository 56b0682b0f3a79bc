/** Kernel addresses among the values a crash shows (bug check parameters, registers). */

/** Whether a 64-bit value is a canonical kernel-mode address (the upper half, ffff8000`00000000 and up). */
export function isKernelAddress(value: string): boolean {
  const n = BigInt(value);
  return n >= 0xffff800000000000n && n <= 0xffffffffffffffffn && n !== 0xffffffffffffffffn;
}
