/**
 * A duration as a lab file writes it ("40 s", "2 min", "300 ms"), read once, here, into lab
 * milliseconds: the one unit every wait and timeout of the lab uses (lab/clock.ts). A bare number
 * is refused: it would have to guess its unit.
 */
import * as z from 'zod';
import { readDuration } from '../params/duration.js';

const FORM = 'a duration with its unit, such as "300 ms", "40 s" or "2 min"';

/** A lab file duration, as lab milliseconds. */
export const Duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'string' ? readDuration(value) : null;
  if (ms === null) {
    ctx.addIssue({
      code: 'custom',
      message:
        typeof value === 'number'
          ? `${value} has no unit; write ${FORM} (for example "${value} s")`
          : `'${value}' is not ${FORM}`,
    });
    return z.NEVER;
  }
  return ms;
});
