/**
 * The release gate's policy: which rules a run must keep to pass. A policy file (YAML) is read
 * strictly; with none, DEFAULT_POLICY applies (documented in lab/gate/README.md).
 */
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { formatSchemaIssues } from '../config/zod-errors.js';
import { ConfigurationError } from '../errors.js';
import { formatBytes, INPUT_LIMITS, InputTooLargeError, readTextWithin } from '../util/files.js';

export const Policy = z
  .object({
    /** A failed scenario's crash bucket never seen failing before fails the gate. */
    noNewCrashBucket: z.boolean().default(true),
    /** A failed scenario carrying one of these tags fails the gate. */
    noFailedTags: z.array(z.string().regex(/^@\S+$/, 'a tag such as @gating')).default(['@gating']),
    /** Broken scenarios (the lab failed) at most this share of the run, in percent. */
    maxBrokenPercent: z.number().min(0).max(100).default(10),
    /** Failed scenarios at most this share of the run, in percent (null: not a rule). */
    maxFailedPercent: z.number().min(0).max(100).nullable().default(null),
    /** At least this many scenarios ran. */
    minScenarios: z.number().int().min(0).default(1),
    /** A run that was cut short (interrupted, results missing) fails the gate. */
    noInterruptedRun: z.boolean().default(true),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;

export const DEFAULT_POLICY: Policy = Policy.parse({});

/** Reads a policy file; every wrong field is refused with a sentence naming it. */
export async function loadPolicy(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readTextWithin(file, INPUT_LIMITS.config);
  } catch (error) {
    if (error instanceof InputTooLargeError) {
      throw new ConfigurationError(
        `The gate policy '${file}' holds ${formatBytes(error.size)}, more than the ${formatBytes(error.limit)} a policy may hold, so it was not read; name the policy's YAML file with --policy.`,
      );
    }
    throw new ConfigurationError(
      `The gate policy '${file}' cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); name an existing file with --policy, or leave it out for the default policy.`,
      { cause: error },
    );
  }
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigurationError(
      `The gate policy '${file}' is not valid YAML (${doc.errors[0]?.message.split('\n')[0]}); fix the file.`,
    );
  }
  const input: unknown = doc.toJS() ?? {};
  const parsed = Policy.safeParse(input);
  if (!parsed.success) {
    throw new ConfigurationError(
      `The gate policy '${file}' is not valid: ${formatSchemaIssues(Policy, parsed.error.issues, input)}; see lab/gate/README.md for the rules a policy may set.`,
    );
  }
  return parsed.data;
}
