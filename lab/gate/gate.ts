/**
 * `driverlab gate`'s work, also run at the end of `driverlab run`: read the run at the boundary,
 * the waivers and the policy (refusing bad input before judging anything), the kept history from
 * the run store, judge, and write reports/gate.json and reports/gate.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { paths } from '../paths.js';
import { readRunContext } from '../report/environment.js';
import { RunStore } from '../store/store.js';
import { gateMarkdown } from './markdown.js';
import { DEFAULT_POLICY, loadPolicy } from './policy.js';
import { readAttempts, readRunSummary, runRecord } from './record.js';
import { type GateReport, judge } from './verdict.js';
import { loadWaivers } from './waivers.js';

export const gatePaths = {
  waivers: join(paths.root, 'lab', 'waivers.yaml'),
  store: join(paths.reports, 'run-store'),
  json: join(paths.reports, 'gate.json'),
  markdown: join(paths.reports, 'gate.md'),
  context: join(paths.reports, 'run-context.json'),
} as const;

export interface GateOptions {
  results: string;
  summary: string;
  /** reports/run-context.json (lab, profile, commits, executor), when the run wrote one. */
  context: string;
  policyFile: string | undefined;
  waiversFile: string;
  baselineId: number | null;
  db: string | undefined;
  storeDir: string;
  /** How many runs the store keeps (default DEFAULT_KEEP_RUNS; $DRIVERLAB_STORE_KEEP_RUNS). */
  keepRuns?: number | undefined;
  /** Record the run in the store before judging it (a run does; `driverlab gate` reads only). */
  record: boolean;
  out: { json: string; markdown: string; report: string };
  today?: Date;
}

/** Judges the run and writes the gate files; bad input throws a ConfigurationError before anything is written. */
export async function runGate(options: GateOptions): Promise<GateReport> {
  const waivers = await loadWaivers(options.waiversFile, options.today);
  const policy = options.policyFile ? await loadPolicy(options.policyFile) : DEFAULT_POLICY;
  const results = await readAttempts(options.results);
  if (results.length === 0) {
    throw new ConfigurationError(
      `The results folder '${options.results}' holds no scenario result, so there is nothing to judge; run 'driverlab run' first.`,
    );
  }
  const summary = await readRunSummary(options.summary);
  const context = await readRunContext(options.context);
  const run = runRecord(results, {
    ...(summary ?? {}),
    profile: context?.profile ?? summary?.profile ?? 'default',
    lab: context?.lab ?? summary?.lab ?? 'embedded',
    ...(context
      ? {
          tags: context.tags,
          complete: context.complete,
          featuresCommit: context.featuresCommit,
          labCommit: context.labCommit,
          executor: context.executor,
        }
      : {}),
  });
  const store = await RunStore.open({ url: options.db, dir: options.storeDir, keepRuns: options.keepRuns });
  let report: GateReport;
  try {
    if (options.record) await store.record(run);
    report = judge({ run, history: await store.runs(), baselineId: options.baselineId, policy, waivers });
  } finally {
    await store.close();
  }
  await mkdir(join(options.out.json, '..'), { recursive: true });
  await writeFile(options.out.json, `${JSON.stringify(report, null, 2)}\n`);
  const href = relative(join(options.out.markdown, '..'), options.out.report).split('\\').join('/');
  await writeFile(options.out.markdown, gateMarkdown(report, href));
  return report;
}

/** $DRIVERLAB_STORE_KEEP_RUNS as a whole number of 1 or more, or undefined; anything else is refused. */
export function keepRunsFrom(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.DRIVERLAB_STORE_KEEP_RUNS;
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) {
    throw new ConfigurationError(
      `DRIVERLAB_STORE_KEEP_RUNS is '${text}', not a whole number of 1 or more; set it to how many runs the run store keeps, or unset it to keep 500.`,
    );
  }
  return n;
}
