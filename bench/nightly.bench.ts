/**
 * A nightly in lab time: 500 scenarios drawn from the seed cases over 20 VMs, scheduled longest
 * expected first from five earlier nights' history, against the lower bound no schedule can beat.
 *
 * Each seed case costs what its own actions cost on a real Hyper-V lab (a checkpoint restore ≈ 15 s,
 * a boot ≈ 40 s, a reboot with Driver Verifier ≈ 90 s, a crash and its dump ≈ 2 min, a guest command
 * a few seconds); every scenario run varies by up to ±20 % around that, so the history the
 * scheduler uses is an estimate, as it is on a real lab.
 */

import { longestFirst, makespan, makespanLowerBound } from '../lab/schedule/schedule.js';
import type { BenchContext } from './run.js';

const S = 1000;
const RESTORE = 15 * S;
const BOOT = 40 * S;
const VERIFIER_REBOOT = 90 * S;
const CRASH_AND_DUMP = 120 * S;
const COMMAND = 4 * S;

/** The seed cases by what they do, in lab milliseconds before jitter. */
const CASES: Array<{ tag: string; ms: number }> = [
  { tag: '@special-pool', ms: RESTORE + VERIFIER_REBOOT + CRASH_AND_DUMP + 3 * COMMAND },
  { tag: '@pool-corruption', ms: RESTORE + CRASH_AND_DUMP + BOOT + CRASH_AND_DUMP + 2 * COMMAND },
  { tag: '@irp-logging', ms: RESTORE + VERIFIER_REBOOT + CRASH_AND_DUMP + VERIFIER_REBOOT + 4 * COMMAND },
  { tag: '@commit-failures', ms: RESTORE + CRASH_AND_DUMP + 5 * COMMAND },
  { tag: '@kdnet', ms: RESTORE + 2 * BOOT + 6 * COMMAND },
  { tag: '@nbl-tracking', ms: RESTORE + BOOT + 8 * COMMAND + 60 * S },
  { tag: '@filter-load-order', ms: RESTORE + 2 * BOOT + 6 * COMMAND },
  { tag: '@system-writer', ms: RESTORE + 25 * COMMAND },
  { tag: '@event-153', ms: RESTORE + 6 * COMMAND },
];

/** A small repeatable generator (mulberry32), so the bench prints the same figures for a seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function run({ print }: BenchContext): Promise<void> {
  const SCENARIOS = 500;
  const VMS = 20;
  const rand = random(20261207);
  const jitter = (ms: number): number => Math.round(ms * (0.8 + 0.4 * rand()));
  const scenarios = Array.from({ length: SCENARIOS }, (_, i) => {
    const seed = CASES[i % CASES.length] as { tag: string; ms: number };
    // Variants of a case (other drivers, ports, counts) cost a little more or less than the case.
    return {
      id: `${seed.tag} variant ${i}`,
      tags: [seed.tag],
      baseMs: Math.round(seed.ms * (0.7 + 0.6 * rand())),
    };
  });
  const history = new Map(scenarios.map((s) => [s.id, Array.from({ length: 5 }, () => jitter(s.baseMs))]));
  const tonight = new Map(scenarios.map((s) => [s.id, jitter(s.baseMs)]));
  const actual = (id: string): number => tonight.get(id) as number;

  const lower = makespanLowerBound([...tonight.values()], VMS);
  const scheduled = makespan(
    longestFirst(scenarios, history).map((s) => actual(s.id)),
    VMS,
  );
  const noHistory = makespan(
    longestFirst(scenarios, new Map()).map((s) => actual(s.id)),
    VMS,
  );
  const asListed = makespan(
    scenarios.map((s) => actual(s.id)),
    VMS,
  );
  const hours = (ms: number): string => `${(ms / 3_600_000).toFixed(2)} h`;
  print(`nightly: ${SCENARIOS} scenarios on ${VMS} VMs, lower bound ${hours(lower)} of lab time`);
  print(
    `  as listed: ${hours(asListed)} (${(asListed / lower).toFixed(2)}×); tag defaults only: ${hours(noHistory)} (${(noHistory / lower).toFixed(2)}×)`,
  );
  print(`nightly makespan / lower bound: ${(scheduled / lower).toFixed(2)}`);
}
