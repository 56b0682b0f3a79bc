import { deepStrictEqual, equal, match } from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoredRun } from '../store/store.js';
import { DEFAULT_POLICY, Policy } from './policy.js';
import type { RunRecord, ScenarioRecord } from './record.js';
import { judge, verdictLine } from './verdict.js';
import type { Waivers } from './waivers.js';

function scenario(
  title: string,
  status: ScenarioRecord['status'],
  extra: Partial<ScenarioRecord> = {},
): ScenarioRecord {
  return {
    historyId: title,
    title: `F › ${title}`,
    feature: 'F',
    scenario: title,
    epic: 'Verifier',
    location: null,
    tags: [],
    drivers: [],
    status,
    flaky: false,
    message: null,
    durationMs: 1,
    vm: 'win11-a',
    attempts: [
      { attempt: 1, uuid: title, status, vm: 'win11-a', start: 1, stop: 2, message: null, bucket: null },
    ],
    crash: null,
    ...extra,
  };
}

function run(scenarios: ScenarioRecord[], extra: Partial<RunRecord> = {}): RunRecord {
  return {
    key: 'now',
    startedAt: null,
    finishedAt: '2026-12-07T00:00:00.000Z',
    profile: 'nightly',
    lab: 'embedded',
    tags: null,
    complete: true,
    interrupted: false,
    featuresCommit: null,
    labCommit: null,
    executor: null,
    scenarios,
    ...extra,
  };
}

const stored = (id: number, failingBuckets: string[], complete = true): StoredRun => ({
  id,
  key: `run-${id}`,
  finishedAt: `2026-12-0${id}T00:00:00.000Z`,
  profile: 'nightly',
  complete,
  failingBuckets,
});

const none: Waivers = { file: 'w.yaml', list: [], covering: () => null };
const crash = (bucket: string) => ({ crash: { bucket, bugcheck: '0xd6' } });

describe('the gate verdict', () => {
  test('bucket statuses: still-failing (baseline), known (earlier), new (never), fixed (baseline only)', () => {
    const report = judge({
      run: run([
        scenario('a', 'failed', crash('A')),
        scenario('b', 'failed', crash('B')),
        scenario('c', 'failed', crash('C')),
        scenario('d', 'passed', crash('D')),
      ]),
      history: [stored(3, ['A', 'F']), stored(2, ['B'])],
      baselineId: null,
      policy: DEFAULT_POLICY,
      waivers: none,
    });
    deepStrictEqual(
      report.buckets.map((b) => [b.id, b.status]),
      [
        ['C', 'new'],
        ['A', 'still-failing'],
        ['B', 'known'],
        ['F', 'fixed'],
      ],
    );
    equal(report.baseline?.id, 3);
    equal(report.verdict, 'fail');
  });

  test('--baseline picks the run to compare with; a partial run is not a default baseline', () => {
    const input = {
      run: run([scenario('a', 'failed', crash('A'))]),
      history: [stored(3, [], false), stored(2, ['A'])],
      policy: DEFAULT_POLICY,
      waivers: none,
    };
    equal(judge({ ...input, baselineId: null }).buckets[0]?.status, 'still-failing');
    equal(judge({ ...input, baselineId: 3 }).buckets[0]?.status, 'known');
  });

  test('a scenario waiver makes its failure a known issue that no rule counts', () => {
    const waivers: Waivers = {
      file: 'w.yaml',
      list: [],
      covering: (title) =>
        title === 'F › a'
          ? { scenario: 'F › a', justification: 'BUG-1', owner: 'team', expires: '2999-01-01' }
          : null,
    };
    const report = judge({
      run: run([scenario('a', 'failed', { tags: ['@gating'] }), scenario('b', 'passed')]),
      history: [],
      baselineId: null,
      policy: DEFAULT_POLICY,
      waivers,
    });
    equal(report.verdict, 'pass');
    deepStrictEqual(report.knownIssues, [
      { scenario: 'F › a', waived: "scenario 'F › a'", owner: 'team', expires: '2999-01-01' },
    ]);
    deepStrictEqual(report.failed, []);
  });

  test('broken share, minimum count and interruption are rules; flaky is reported, passed', () => {
    const flaky = scenario('f', 'passed', {
      flaky: true,
      attempts: [
        { attempt: 1, uuid: 'f1', status: 'broken', vm: 'a', start: 1, stop: 2, message: 'x', bucket: null },
        { attempt: 2, uuid: 'f2', status: 'passed', vm: 'b', start: 3, stop: 4, message: null, bucket: null },
      ],
    });
    const report = judge({
      run: run([scenario('a', 'broken'), flaky], { interrupted: true }),
      history: [],
      baselineId: null,
      policy: Policy.parse({ minScenarios: 3 }),
      waivers: none,
    });
    deepStrictEqual(
      report.rules.map((r) => [r.id, r.outcome, r.detail]),
      [
        ['noNewCrashBucket', 'pass', 'no failed scenario met a crash bucket never seen failing before'],
        ['noFailedTags', 'pass', 'no @gating scenario failed'],
        ['maxBrokenPercent', 'fail', '1 of 2 broken (50 %)'],
        ['minScenarios', 'fail', '2 ran'],
        ['noInterruptedRun', 'fail', 'the run was cut short before every scenario finished'],
      ],
    );
    deepStrictEqual(report.flaky, [
      {
        scenario: 'F › f',
        attempts: [
          { status: 'broken', vm: 'a' },
          { status: 'passed', vm: 'b' },
        ],
      },
    ]);
    match(
      verdictLine(report),
      /^gate: fail \(broken at most 10 %: 1 of 2 broken \(50 %\); at least 3 scenarios ran: 2 ran; /,
    );
  });

  test('pass rate per tag and per driver', () => {
    const report = judge({
      run: run([
        scenario('a', 'passed', { tags: ['@gating'], drivers: ['myfault.sys'] }),
        scenario('b', 'failed', { tags: ['@gating'], drivers: ['myfault.sys', 'baddriver.sys'] }),
      ]),
      history: [],
      baselineId: null,
      policy: DEFAULT_POLICY,
      waivers: none,
    });
    deepStrictEqual(report.passRate, {
      byTag: { '@gating': { passed: 1, total: 2, rate: 50 } },
      byDriver: {
        'baddriver.sys': { passed: 0, total: 1, rate: 0 },
        'myfault.sys': { passed: 1, total: 2, rate: 50 },
      },
    });
  });
});
