/**
 * Identifiers the simulated guest makes: GUIDs (stable ones for the baseline image, so two runs
 * of the same lab file show the same BCD and writer ids), KDNET keys, report ids.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A GUID derived from a seed ("win11-a/bcd/current"): same seed, same GUID. */
export function stableGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A fresh random GUID, lower-case, without braces. */
export function randomGuid(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A KDNET key as bcdedit generates it: 256 random bits written as four 64-bit values in base 36,
 * separated by periods (each at most 13 characters of 0-9 and a-z), e.g.
 * 2steg4fzbj2sz.23418vzkd4ko3.1g34ou07z4pev.1sp3yo9yz874p (domain brief §3.1).
 */
export function newKdnetKey(): string {
  const bytes = randomBytes(32);
  const parts: string[] = [];
  for (let i = 0; i < 4; i += 1) parts.push(bytes.readBigUInt64BE(i * 8).toString(36));
  return parts.join('.');
}

/** What bcdedit accepts as KEY: four parts of [0-9a-z], or a single such value. */
export const KDNET_KEY = /^[0-9a-z]{1,13}(\.[0-9a-z]{1,13}){3}$|^[0-9a-z]+$/;
