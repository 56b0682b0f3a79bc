/**
 * Which scenario a free VM takes next: the longest expected first (LPT), so that the night ends
 * with short scenarios filling the gaps instead of one long crash case starting last.
 *
 * The expected duration of a scenario is the median of its recent durations in the run store; a
 * scenario with no history gets the default of its most expensive tag (a crash and its dump cost
 * more than a guest command), and the lab-wide default without one.
 */

/** Lab milliseconds a scenario is expected to take, by tag, when the run store has no history of it. */
export const TAG_DEFAULTS_MS: Readonly<Record<string, number>> = {
  // Restore, special pool on (a reboot with verifier), the crash and the dump.
  '@special-pool': 330_000,
  '@pool-corruption': 300_000,
  '@irp-logging': 420_000,
  '@commit-failures': 240_000,
  '@kdnet': 150_000,
  '@nbl-tracking': 210_000,
  '@filter-load-order': 180_000,
  '@system-writer': 120_000,
  '@event-153': 90_000,
  '@smoke': 60_000,
};

/** The expected duration of a scenario with neither history nor a tag default. */
export const DEFAULT_EXPECTED_MS = 120_000;

export interface SchedulableScenario {
  /** A stable identity across runs: "<feature name> › <scenario name>" (or its history id). */
  id: string;
  tags: readonly string[];
}

/** The median of recent durations, or null without any. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** What a scenario is expected to take: its history's median, else its costliest tag, else the default. */
export function expectedDuration(
  scenario: SchedulableScenario,
  history: ReadonlyMap<string, readonly number[]>,
  tagDefaults: Readonly<Record<string, number>> = TAG_DEFAULTS_MS,
): number {
  const fromHistory = median(history.get(scenario.id) ?? []);
  if (fromHistory !== null) return fromHistory;
  const byTag = scenario.tags.map((t) => tagDefaults[t]).filter((v): v is number => v !== undefined);
  return byTag.length ? Math.max(...byTag) : DEFAULT_EXPECTED_MS;
}

/** The scenarios, longest expected first; ties keep their given order so a run is repeatable. */
export function longestFirst<T extends SchedulableScenario>(
  scenarios: readonly T[],
  history: ReadonlyMap<string, readonly number[]>,
  tagDefaults?: Readonly<Record<string, number>>,
): Array<T & { expectedMs: number }> {
  return scenarios
    .map((s, index) => ({ ...s, expectedMs: expectedDuration(s, history, tagDefaults), index }))
    .sort((a, b) => b.expectedMs - a.expectedMs || a.index - b.index)
    .map(({ index: _index, ...rest }) => rest as unknown as T & { expectedMs: number });
}

/**
 * List scheduling: each job in order goes to the VM that becomes free first. Returns when the
 * last VM finishes (the makespan), in the jobs' units.
 */
export function makespan(durationsInOrder: readonly number[], vms: number): number {
  if (!(vms >= 1)) throw new RangeError(`A schedule needs at least one VM, not ${vms}.`);
  // A binary heap of VM finishing times.
  const heap: number[] = new Array(Math.min(vms, Math.max(1, durationsInOrder.length))).fill(0);
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && (heap[l] as number) < (heap[m] as number)) m = l;
      if (r < heap.length && (heap[r] as number) < (heap[m] as number)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m] as number, heap[i] as number];
      i = m;
    }
  };
  for (const d of durationsInOrder) {
    heap[0] = (heap[0] as number) + d;
    down(0);
  }
  return Math.max(...heap);
}

/** No schedule can beat this: the longest job, or all the work spread evenly over the VMs. */
export function makespanLowerBound(durations: readonly number[], vms: number): number {
  const total = durations.reduce((a, b) => a + b, 0);
  return Math.max(durations.length ? Math.max(...durations) : 0, total / vms);
}
