/**
 * Durations as features write them ("40 s", "2 min", "500 ms", "1.5 h"), in lab milliseconds: the
 * unit every wait and timeout of the lab uses (lab/clock.ts).
 */
import { ConfigurationError } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

/** The pattern a duration parameter matches in a step (the number and its unit). */
export const DURATION_PATTERN = '\\d+(?:\\.\\d+)? ?(?:ms|milliseconds?|s|sec|seconds?|min|minutes?|h|hours?)';

/** "2 min" → 120000 (lab ms), or null when the text is not a positive number and a unit. */
export function readDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?) ?([a-z]+)$/i.exec(text.trim());
  const factor = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  const amount = Number(m?.[1]);
  if (!m || factor === undefined || !Number.isFinite(amount) || amount <= 0) return null;
  return Math.round(amount * factor);
}

/** "2 min" → 120000 (lab ms); anything else is a configuration error that says how to write one. */
export function parseDuration(text: string): number {
  const ms = readDuration(text);
  if (ms === null) {
    throw new ConfigurationError(
      `'${text}' is not a duration a step can wait for; write a positive number and a unit, such as "500 ms", "40 s", "2 min" or "1 h".`,
    );
  }
  return ms;
}
