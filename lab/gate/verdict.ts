/**
 * The release gate's verdict: a run judged by a policy, against the runs before it. Pure: the run,
 * the kept history (run store) and the waivers in, the gate report out.
 *
 * A crash bucket counts when a failed scenario met it (a crash a scenario expected is evidence,
 * not a failure). Its status: waived (a waiver covers it), still-failing (it failed in the
 * baseline run too), known (it failed in some earlier run), new (never before); a bucket that
 * failed in the baseline and not now is fixed. A failed scenario a waiver covers is a known issue
 * and no rule counts it; a broken-then-passed scenario is flaky, reported, and passed.
 */

import { createHash } from 'node:crypto';
import type { StoredRun } from '../store/store.js';
import type { Policy } from './policy.js';
import type { RunRecord, ScenarioRecord } from './record.js';
import { type Waiver, type Waivers, waived } from './waivers.js';

export type BucketStatus = 'new' | 'known' | 'waived' | 'fixed' | 'still-failing';

export interface GateBucket {
  id: string;
  status: BucketStatus;
  bugcheck: string | null;
  scenarios: string[];
  waiver?: { owner: string; justification: string; expires: string };
}

export interface RuleOutcome {
  id: keyof Policy;
  rule: string;
  outcome: 'pass' | 'fail';
  /** What the run showed, as a sentence part. */
  detail: string;
}

export interface PassRate {
  passed: number;
  total: number;
  rate: number;
}

export interface GateReport {
  verdict: 'pass' | 'fail';
  run: { key: string; profile: string; lab: string; finishedAt: string; scenarios: number };
  baseline: { id: number; finishedAt: string } | null;
  policy: Policy;
  rules: RuleOutcome[];
  buckets: GateBucket[];
  knownIssues: { scenario: string; waived: string; owner: string; expires: string }[];
  failed: string[];
  broken: { scenario: string; message: string | null; attempts: number }[];
  flaky: { scenario: string; attempts: { status: string; vm: string | null }[] }[];
  passRate: { byTag: Record<string, PassRate>; byDriver: Record<string, PassRate> };
  /** Each scenario's id in the Allure report (the md5 of its last attempt's uuid): `index.html#<id>`. */
  reportIds: Record<string, string>;
}

export interface GateInput {
  run: RunRecord;
  /** The kept runs other than this one, newest first. */
  history: readonly StoredRun[];
  /** The run to compare with (`--baseline`); by default the newest complete earlier run. */
  baselineId: number | null;
  policy: Policy;
  waivers: Waivers;
}

const pct = (n: number, total: number) => (total === 0 ? 0 : Math.round((n / total) * 1000) / 10);

function rate(
  scenarios: readonly ScenarioRecord[],
  keyOf: (s: ScenarioRecord) => string[],
): Record<string, PassRate> {
  const out: Record<string, PassRate> = {};
  for (const s of scenarios) {
    for (const k of keyOf(s)) {
      const r = out[k] ?? { passed: 0, total: 0, rate: 0 };
      r.total += 1;
      if (s.status === 'passed') r.passed += 1;
      r.rate = pct(r.passed, r.total);
      out[k] = r;
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Judges a run. */
export function judge(input: GateInput): GateReport {
  const { run, policy, waivers } = input;
  const earlier = input.history.filter((h) => h.key !== run.key);
  const baseline =
    input.baselineId !== null
      ? (earlier.find((h) => h.id === input.baselineId) ?? null)
      : (earlier.find((h) => h.complete) ?? null);
  const baselineFailing = new Set(baseline?.failingBuckets ?? []);
  const everFailing = new Set(earlier.flatMap((h) => h.failingBuckets));

  const waiverOf = new Map<string, Waiver>();
  for (const s of run.scenarios) {
    if (s.status !== 'failed') continue;
    const w = waivers.covering(s.title, s.crash?.bucket ?? null);
    if (w) waiverOf.set(s.historyId, w);
  }
  const failed = run.scenarios.filter((s) => s.status === 'failed');
  const gatingFailed = failed.filter((s) => !waiverOf.has(s.historyId));
  const broken = run.scenarios.filter((s) => s.status === 'broken');

  const buckets = new Map<string, GateBucket>();
  for (const s of failed) {
    if (!s.crash) continue;
    const b = buckets.get(s.crash.bucket) ?? {
      id: s.crash.bucket,
      status: 'new' as BucketStatus,
      bugcheck: s.crash.bugcheck,
      scenarios: [],
    };
    b.scenarios.push(s.title);
    const w = waiverOf.get(s.historyId);
    if (w) b.waiver = { owner: w.owner, justification: w.justification, expires: w.expires };
    buckets.set(b.id, b);
  }
  for (const b of buckets.values()) {
    const unwaived = failed.some((s) => s.crash?.bucket === b.id && !waiverOf.has(s.historyId));
    b.status = !unwaived
      ? 'waived'
      : baselineFailing.has(b.id)
        ? 'still-failing'
        : everFailing.has(b.id)
          ? 'known'
          : 'new';
    if (unwaived) delete b.waiver;
  }
  for (const id of baselineFailing) {
    if (!buckets.has(id)) buckets.set(id, { id, status: 'fixed', bugcheck: null, scenarios: [] });
  }
  const newBuckets = [...buckets.values()].filter((b) => b.status === 'new');

  const total = run.scenarios.length;
  const rules: RuleOutcome[] = [];
  const rule = (id: keyof Policy, text: string, ok: boolean, detail: string) =>
    rules.push({ id, rule: text, outcome: ok ? 'pass' : 'fail', detail });
  if (policy.noNewCrashBucket) {
    rule(
      'noNewCrashBucket',
      'no new crash bucket',
      newBuckets.length === 0,
      newBuckets.length === 0
        ? 'no failed scenario met a crash bucket never seen failing before'
        : `new crash bucket${newBuckets.length > 1 ? 's' : ''} ${newBuckets.map((b) => `${b.id} (${b.scenarios.join('; ')})`).join(', ')}`,
    );
  }
  if (policy.noFailedTags.length > 0) {
    const hit = gatingFailed.filter((s) => s.tags.some((t) => policy.noFailedTags.includes(t)));
    rule(
      'noFailedTags',
      `no failed ${policy.noFailedTags.join(' or ')} scenario`,
      hit.length === 0,
      hit.length === 0
        ? `no ${policy.noFailedTags.join(' or ')} scenario failed`
        : `${hit.map((s) => s.title).join('; ')} failed`,
    );
  }
  rule(
    'maxBrokenPercent',
    `broken at most ${policy.maxBrokenPercent} %`,
    pct(broken.length, total) <= policy.maxBrokenPercent,
    `${broken.length} of ${total} broken (${pct(broken.length, total)} %)`,
  );
  if (policy.maxFailedPercent !== null) {
    rule(
      'maxFailedPercent',
      `failed at most ${policy.maxFailedPercent} %`,
      pct(gatingFailed.length, total) <= policy.maxFailedPercent,
      `${gatingFailed.length} of ${total} failed, known issues aside (${pct(gatingFailed.length, total)} %)`,
    );
  }
  rule(
    'minScenarios',
    `at least ${policy.minScenarios} scenario${policy.minScenarios === 1 ? '' : 's'} ran`,
    total >= policy.minScenarios,
    `${total} ran`,
  );
  if (policy.noInterruptedRun) {
    rule(
      'noInterruptedRun',
      'the run was not interrupted',
      !run.interrupted,
      run.interrupted ? 'the run was cut short before every scenario finished' : 'every scenario finished',
    );
  }

  const order: Record<BucketStatus, number> = { new: 0, 'still-failing': 1, known: 2, waived: 3, fixed: 4 };
  return {
    verdict: rules.every((r) => r.outcome === 'pass') ? 'pass' : 'fail',
    run: { key: run.key, profile: run.profile, lab: run.lab, finishedAt: run.finishedAt, scenarios: total },
    baseline: baseline ? { id: baseline.id, finishedAt: baseline.finishedAt } : null,
    policy,
    rules,
    buckets: [...buckets.values()].sort(
      (a, b) => order[a.status] - order[b.status] || a.id.localeCompare(b.id),
    ),
    knownIssues: failed
      .filter((s) => waiverOf.has(s.historyId))
      .map((s) => {
        const w = waiverOf.get(s.historyId) as Waiver;
        return { scenario: s.title, waived: waived(w), owner: w.owner, expires: w.expires };
      }),
    failed: gatingFailed.map((s) => s.title),
    broken: broken.map((s) => ({ scenario: s.title, message: s.message, attempts: s.attempts.length })),
    flaky: run.scenarios
      .filter((s) => s.flaky)
      .map((s) => ({ scenario: s.title, attempts: s.attempts.map((a) => ({ status: a.status, vm: a.vm })) })),
    passRate: { byTag: rate(run.scenarios, (s) => s.tags), byDriver: rate(run.scenarios, (s) => s.drivers) },
    reportIds: Object.fromEntries(
      run.scenarios.map((s) => [
        s.title,
        createHash('md5')
          .update(s.attempts[s.attempts.length - 1]?.uuid ?? s.historyId)
          .digest('hex'),
      ]),
    ),
  };
}

/** "gate: pass (6 rules kept; 0 new crash buckets, 1 known issue, 0 flaky)" or what failed. */
export function verdictLine(report: GateReport): string {
  const failedRules = report.rules.filter((r) => r.outcome === 'fail');
  const counts = `${report.buckets.filter((b) => b.status === 'new').length} new crash buckets, ${report.knownIssues.length} known issues, ${report.flaky.length} flaky`;
  if (failedRules.length === 0) return `gate: pass (${report.rules.length} rules kept; ${counts})`;
  return `gate: fail (${failedRules.map((r) => `${r.rule}: ${r.detail}`).join('; ')})`;
}
