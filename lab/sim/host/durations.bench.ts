/**
 * What the embedded lab's realistic durations cost in wall time at the lab file's clock factor:
 * a checkpoint restore (~8 s of lab time), a boot (~40 s) and a guest command (~0.3 s), measured
 * in the host model and through the real adapter (host process, node-powershell) where the
 * operation's script exists in this tree.
 *
 * Run: node --import tsx lab/sim/host/durations.bench.ts [lab file]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadLabFile } from '../../config/lab-file.js';
import { HypervLab, type HypervVm } from '../../hyperv/lab.js';
import type { OperationName } from '../../hyperv/ops/catalog.js';
import { paths } from '../../paths.js';
import { SimHost } from '../model/host.js';
import { handle } from './handlers.js';

const labPath = process.argv[2] ?? paths.embeddedLab;
const lab = await loadLabFile(labPath);
if (lab.data.kind !== 'embedded') throw new Error(`${labPath} is not an embedded lab file`);
const factor = lab.data.clock.factor;
const credential = { user: 'Administrator', password: 'Embedded-Lab-Only-1' };
const vmName = lab.data.vms[0]?.name ?? 'win11-a';
const ROUNDS = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function measure(rounds: number, body: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const t = performance.now();
    await body();
    times.push(performance.now() - t);
  }
  return median(times);
}

const rows: { what: string; lab: string; model: number; adapter: number | null }[] = [];

// In the host model, at the lab file's factor (no process, no PowerShell session).
const host = await SimHost.open({ lab, statePath: null });
const vm = host.vm(vmName);
if (!vm) throw new Error(`no VM ${vmName}`);
const restore = await measure(ROUNDS, () => vm.restore(lab.data.vms[0]?.baseline ?? 'baseline'));
const command = await measure(ROUNDS, async () => {
  await handle(host, 'Invoke-GuestCommand', {
    vmName,
    credential,
    file: 'bcdedit',
    arguments: ['/enum'],
    timeoutSeconds: 60,
  });
});
const boot = await measure(ROUNDS, async () => {
  await vm.stop(true);
  await vm.start();
  while ((await vm.status()).heartbeat !== 'OkApplicationsHealthy') await host.time.sleep(1000);
});

// Through the adapter: the bundled host process behind node-powershell.
const has = (...ops: OperationName[]) =>
  ops.every((op) => existsSync(join(paths.operationScripts, `${op}.ps1`)));
const adapter = new HypervLab(lab);
let adapterRestore: number | null = null;
let adapterCommand: number | null = null;
let adapterBoot: number | null = null;
let roundTrip: number | null = null;
try {
  const avm = adapter.vm(vmName);
  await avm.status();
  roundTrip = await measure(ROUNDS, async () => {
    await avm.status();
  });
  if (has('Stop-VM', 'Start-VM', 'Get-VMHeartbeat')) {
    adapterBoot = await measure(ROUNDS, async () => {
      await avm.stop({ turnOff: true });
      await avm.start();
      const clock = adapter.clock;
      const labHost = (avm as HypervVm).host;
      while (
        (await labHost.run('Get-VMHeartbeat', { vmName }, avm.describe())).status !== 'OkApplicationsHealthy'
      ) {
        await clock.sleep(1000);
      }
    });
  }
  if (has('Restore-VMCheckpoint')) {
    adapterRestore = await measure(ROUNDS, async () => {
      await avm.restore(lab.data.vms[0]?.baseline ?? 'baseline');
    });
  }
  if (has('Invoke-GuestCommand')) {
    adapterCommand = await measure(ROUNDS, async () => {
      await avm.guest.run(['bcdedit', '/enum']);
    });
  }
} finally {
  await adapter.close();
}

rows.push({ what: 'checkpoint restore', lab: '8 s', model: restore, adapter: adapterRestore });
rows.push({
  what: 'boot (power on → healthy heartbeat, 1 s polls)',
  lab: '2 s + 40 s',
  model: boot,
  adapter: adapterBoot,
});
rows.push({ what: 'guest command (bcdedit /enum)', lab: '0.3 s', model: command, adapter: adapterCommand });
rows.push({ what: 'Get-VM round trip', lab: '0 s', model: 0, adapter: roundTrip });

console.log(`Embedded lab durations at clock factor ${factor} (${labPath}), median of ${ROUNDS}, wall ms:`);
for (const r of rows) {
  const a = r.adapter === null ? 'n/a (no script in this tree)' : r.adapter.toFixed(1);
  console.log(
    `  ${r.what.padEnd(50)} lab ${r.lab.padEnd(10)} model ${r.model.toFixed(1).padStart(7)}   adapter ${a}`,
  );
}
