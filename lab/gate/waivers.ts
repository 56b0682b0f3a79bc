/**
 * Known issues: lab/waivers.yaml names crash buckets or scenarios whose failure is known, why
 * (a bug number), who owns it and until when. A waived failure is shown as a known issue and does
 * not gate; a waiver that is malformed or past its date stops the run and the gate before anything
 * runs (InSpec's waivers, with the expiry made mandatory so nothing stays hidden for ever).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { formatSchemaIssues } from '../config/zod-errors.js';
import { ConfigurationError } from '../errors.js';
import { formatBytes, INPUT_LIMITS, InputTooLargeError, readTextWithin } from '../util/files.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

const Waiver = z
  .object({
    bucket: z.string().min(1).optional(),
    scenario: z.string().min(1).optional(),
    justification: z.string().trim().min(1),
    owner: z.string().trim().min(1),
    expires: z.string().regex(DATE, 'a date written as YYYY-MM-DD'),
  })
  .strict()
  .refine((w) => (w.bucket === undefined) !== (w.scenario === undefined), {
    message: 'must name exactly one of bucket or scenario',
  });
export type Waiver = z.infer<typeof Waiver>;

const WaiversFile = z.object({ waivers: z.array(Waiver).nullable().default([]) }).strict();

export interface Waivers {
  file: string;
  list: Waiver[];
  /** The waiver that covers a failed scenario (by its crash bucket, or by its title), if any. */
  covering(scenarioTitle: string, bucket: string | null): Waiver | null;
}

/** What a waiver is about, for sentences: "bucket '0xD6_…'" or "scenario 'Feature › Scenario'". */
export function waived(w: Waiver): string {
  return w.bucket !== undefined ? `bucket '${w.bucket}'` : `scenario '${w.scenario}'`;
}

/** Reads the waivers; a missing file is no waiver, anything else wrong is refused with a sentence. */
export async function loadWaivers(file: string, today: Date = new Date()): Promise<Waivers> {
  let text: string;
  try {
    text = await readTextWithin(file, INPUT_LIMITS.config);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return makeWaivers(file, []);
    if (error instanceof InputTooLargeError) {
      throw new ConfigurationError(
        `The waivers file '${file}' holds ${formatBytes(error.size)}, more than the ${formatBytes(error.limit)} a waivers file may hold, so it was not read and no run or gate can trust it; restore lab/waivers.yaml.`,
      );
    }
    throw new ConfigurationError(
      `The waivers file '${file}' cannot be read (${String(error)}); check its permissions.`,
      {
        cause: error,
      },
    );
  }
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigurationError(
      `The waivers file '${file}' is not valid YAML (${doc.errors[0]?.message.split('\n')[0]}), so no run or gate can trust it; fix the file.`,
    );
  }
  const input: unknown = doc.toJS() ?? {};
  const parsed = WaiversFile.safeParse(input);
  if (!parsed.success) {
    // "waivers.0.owner" reads as "waiver 1.owner": the waivers are counted from one, as a reader does.
    const problems = formatSchemaIssues(WaiversFile, parsed.error.issues, input).replace(
      /\bwaivers\.(\d+)/g,
      (_m, i: string) => `waiver ${Number(i) + 1}`,
    );
    throw new ConfigurationError(
      `The waivers file '${file}' is not valid: ${problems}; each waiver needs a bucket or a scenario, a justification, an owner and an expires date (YYYY-MM-DD), and nothing else.`,
    );
  }
  const list = parsed.data.waivers ?? [];
  const day = today.toISOString().slice(0, 10);
  list.forEach((w, i) => {
    if (Number.isNaN(Date.parse(`${w.expires}T00:00:00Z`))) {
      throw new ConfigurationError(
        `Waiver ${i + 1} in '${file}' (${waived(w)}) expires on '${w.expires}', which is not a date; write it as YYYY-MM-DD.`,
      );
    }
    if (w.expires < day) {
      throw new ConfigurationError(
        `Waiver ${i + 1} in '${file}' (${waived(w)}, owner ${w.owner}, "${w.justification}") expired on ${w.expires}, so that failure would no longer be known; renew it with a new date if it still is, or remove it.`,
      );
    }
  });
  return makeWaivers(file, list);
}

function makeWaivers(file: string, list: Waiver[]): Waivers {
  return {
    file,
    list,
    covering(title, bucket) {
      return (
        list.find(
          (w) =>
            (bucket !== null && w.bucket === bucket) || (w.scenario !== undefined && w.scenario === title),
        ) ?? null
      );
    },
  };
}

/**
 * Labels the last attempt of every failed scenario a waiver covers as a known issue, so the report
 * files it under "Product: known issue" with the waiver's reason; returns their titles.
 */
export async function markKnownIssues(resultsDir: string, waivers: Waivers): Promise<string[]> {
  const { readAttempts, scenariosOf } = await import('./record.js');
  const marked: string[] = [];
  for (const s of scenariosOf(await readAttempts(resultsDir))) {
    if (s.status !== 'failed') continue;
    const w = waivers.covering(s.title, s.crash?.bucket ?? null);
    const last = s.attempts[s.attempts.length - 1];
    if (!w || !last) continue;
    const file = join(resultsDir, `${last.uuid}-result.json`);
    const result = JSON.parse(await readFile(file, 'utf8')) as { labels?: { name: string; value: string }[] };
    const labels = (result.labels ?? []).filter((l) => l.name !== 'known-issue');
    labels.push({
      name: 'known-issue',
      value: `${waived(w)}: ${w.justification} (owner ${w.owner}, until ${w.expires})`,
    });
    await writeFile(file, JSON.stringify({ ...result, labels }));
    marked.push(s.title);
  }
  return marked;
}
