/**
 * The worker's live debuggers on the embedded lab: a VM's debugger that dies at any moment of a
 * scenario's restore is replaced, and the VM, which did nothing wrong, keeps serving the run.
 */
import { strict as expect } from 'node:assert';
import { after, describe, it } from 'node:test';
import { composeLab } from '../../lab/compose.js';
import { loadLabFile } from '../../lab/config/lab-file.js';
import { claimKdnetPort } from '../../lab/endpoints.js';
import type { HypervLab } from '../../lab/hyperv/lab.js';
import type { KdSession } from '../../lab/kd/session.js';
import { paths } from '../../lab/paths.js';
import type { Vm } from '../../lab/ports.js';
import {
  DebuggerRegistry,
  hasExited,
  type RestoringScenario,
  type Transport,
} from '../../support/debuggers.js';

/** win11-a's KDNET endpoint in this test: a port this process holds, so no run beside it listens there. */
const NET = { hostIp: '127.0.0.44', port: claimKdnetPort('127.0.0.44').port };

const closers: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});

async function openLab(): Promise<HypervLab> {
  const file = await loadLabFile(paths.embeddedLab);
  if (file.data.kind !== 'embedded') throw new Error(`${paths.embeddedLab} is not an embedded lab`);
  const vms = file.data.vms.map((vm) =>
    vm.name === 'win11-a' ? { ...vm, debug: { transport: 'net' as const, ...NET } } : vm,
  );
  const lab = composeLab({ ...file, data: { ...file.data, vms } });
  closers.push(() => lab.close());
  return lab;
}

/** A scenario's part in a restore, as the World plays it; `afterRestore` runs the moment the VM is back. */
function scenario(vm: Vm, afterRestore: () => void = () => {}): RestoringScenario {
  return {
    async useBaselineVm(target: Vm, checkpoint: string = target.config.baseline) {
      const status = await target.restore(checkpoint);
      if (status.state !== 'Running') await target.start();
      afterRestore();
    },
    debugging: {
      async pointAt(t: Transport) {
        const set = await vm.guest.run([
          'bcdedit',
          '/dbgsettings',
          'net',
          `hostip:${t.hostIp}`,
          `port:${t.port}`,
          `key:${t.key}`,
        ]);
        expect.equal(set.exitCode, 0, set.stdout);
        expect.equal((await vm.guest.run(['bcdedit', '/debug', 'on'])).exitCode, 0);
      },
    },
  };
}

function established(session: KdSession): number {
  return session.events().filter((e) => e.kind === 'established').length;
}

describe("a VM's live debugger", () => {
  it('that dies just as the restored VM is awaited is replaced, and the VM stays in the run', async () => {
    const lab = await openLab();
    const vm = lab.vm('win11-a');
    const registry = new DebuggerRegistry(lab, 'attach');
    closers.push(() => registry.detachAll());
    await registry.restoreForScenario(scenario(vm), vm);
    const first = registry.attachedDebugger(vm)?.session;
    expect.ok(first?.pid !== undefined, 'the VM has a live debugger');
    // Killed the moment the VM is back: the registry finds the session alive, then waits on it for
    // the restored VM while its process is already gone.
    const pid = first.pid;
    await registry.restoreForScenario(
      scenario(vm, () => process.kill(pid, 'SIGKILL')),
      vm,
    );
    expect.ok(hasExited(first), 'the first debugger is gone');
    const second = registry.attachedDebugger(vm)?.session;
    expect.ok(second && second !== first, 'a new debugger took its place');
    expect.ok(established(second) >= 1, 'the new debugger is connected to the restored VM');
    // The next scenario's restore reconnects the new debugger as usual.
    const before = established(second);
    await registry.restoreForScenario(scenario(vm), vm);
    expect.equal(registry.attachedDebugger(vm)?.session, second);
    expect.ok(established(second) > before, 'the new debugger reconnected after the next restore');
  });
});
