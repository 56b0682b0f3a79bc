/**
 * A failed scenario leaves its VM as it was for post-mortem: the VM is checkpointed under a name
 * that says which scenario failed and when, so the next scenario can restore the baseline and the
 * failed state is still there to start or export. At most KEEP such checkpoints stay per VM (the
 * oldest go first), so a bad night cannot fill the host's disk.
 */
import type { Keeps, ScenarioInfo, TestVm } from './capabilities.js';

export const FAILED_PREFIX = 'driverlab-failed';
const KEEP = 10;
const MAX_NAME = 100;

/** "driverlab-failed 2024-03-01T10-00-00Z special-pool - An overrun under special pool …" */
export function failedCheckpointName(featureUri: string, scenario: string, at: Date): string {
  const feature = (featureUri.split(/[\\/]/).pop() ?? 'feature').replace(/\.feature$/, '');
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const name = `${FAILED_PREFIX} ${stamp} ${feature} - ${scenario}`.replace(/[^A-Za-z0-9 ._()-]+/g, '_');
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name;
}

/** What keeping a failed VM uses: the VM, which scenario failed, the evidence. */
export type PostMortemNeeds = Pick<TestVm, 'vm'> & Keeps & { readonly scenario: ScenarioInfo };

export async function keepForPostMortem(world: PostMortemNeeds): Promise<void> {
  const vm = world.vm;
  const name = failedCheckpointName(world.scenario.uri, world.scenario.name, new Date());
  try {
    const kept = (await vm.checkpoints())
      .filter((c) => c.name.startsWith(FAILED_PREFIX))
      .sort((a, b) => a.created.localeCompare(b.created));
    for (const old of kept.slice(0, Math.max(0, kept.length - (KEEP - 1))))
      await vm.removeCheckpoint(old.name);
    await vm.checkpoint(name);
    await world.evidence.text(
      'post-mortem.txt',
      `${vm.describe()} was kept as it was when the scenario failed, as the checkpoint '${name}'; the next scenario restored '${vm.config.baseline}'. Apply the checkpoint to look at the failed state.`,
    );
  } catch (error) {
    // The VM may be what failed; the scenario's own error says so, and this hook must not hide it.
    await world.evidence.text(
      'post-mortem.txt',
      `${vm.describe()} could not be checkpointed for post-mortem: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
