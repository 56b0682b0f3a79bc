/**
 * The Cucumber world parameters driverlab takes, read through a schema when the lab opens
 * (BeforeAll); a dry run never opens the lab, so it never loads zod.
 */
import * as z from 'zod';
import { ConfigurationError, formatZodIssues } from '../lab/index.js';

export const WorldParameters = z.strictObject({
  /** The lab file, relative to the project root; DRIVERLAB_LAB overrides it. */
  lab: z.string(),
  /** True in the hyperv profile: a lab file must be named. */
  requireLabFile: z.boolean().default(false),
  /**
   * How crashes are examined: `attach` keeps a live debugger on every VM debugged over KDNET (see
   * support/debuggers.ts), `dumps` examines the dump each crash writes.
   */
  debugger: z.enum(['attach', 'dumps']).default('attach'),
});
export type WorldParameters = z.infer<typeof WorldParameters>;

export function readWorldParameters(raw: unknown): WorldParameters {
  const parsed = WorldParameters.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ConfigurationError(
      `The Cucumber world parameters are not valid: ${formatZodIssues(parsed.error.issues, raw)}; check --world-parameters and cucumber.mjs.`,
    );
  }
  return parsed.data;
}
