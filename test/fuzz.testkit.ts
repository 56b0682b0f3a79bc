/**
 * The budget of the property and fuzz tests. `npm test` runs each with its own small number of
 * inputs; `npm run test:fuzz` sets DRIVERLAB_FUZZ_RUNS (10,000 by default there) for a deep run.
 */

/** How many inputs a property takes: `small` unless DRIVERLAB_FUZZ_RUNS says otherwise. */
export function fuzzRuns(small: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DRIVERLAB_FUZZ_RUNS;
  if (raw === undefined || raw.trim() === '') return small;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(
      `DRIVERLAB_FUZZ_RUNS is '${raw}', which is not a positive whole number of inputs; unset it for the small budget or give one, e.g. DRIVERLAB_FUZZ_RUNS=10000.`,
    );
  }
  return runs;
}
