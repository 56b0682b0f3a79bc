/**
 * What the embedded lab's realistic durations cost in wall time on virtual lab time (only the work
 * itself; docs/adr/0004-virtual-lab-time.md): a checkpoint restore (~8 s of lab time), a boot
 * (~40 s), a guest command (~0.3 s) and a full special-pool crash cycle (the overrun trigger, stop 0xD6, MEMORY.DMP written, the reboot, the
 * guest ready again: ~0.3 + 12 + 40 s), measured in the host model and through the real adapter
 * (host process, node-powershell) where the operations' scripts exist in this tree; and what
 * saving the host's state file costs after an operation, which the host process does after every
 * one so that a restarted shell finds the same VMs.
 *
 * Run: npm run bench embedded-lab (the embedded lab file, or the embedded lab DRIVERLAB_LAB names).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeLab } from '../lab/compose.js';
import { type LabFile, loadLabFile, resolveLabPath } from '../lab/config/lab-file.js';
import type { HypervVm } from '../lab/hyperv/lab.js';
import type { OperationName } from '../lab/hyperv/ops/operations.js';
import { paths } from '../lab/paths.js';
import { handle } from '../lab/sim/host/handlers.js';
import { SimHost } from '../lab/sim/model/host.js';
import { missingScripts } from '../test/kits/sim/host/host.testkit.js';
import type { BenchContext } from './run.js';

const credential = { user: 'Administrator', password: 'Embedded-Lab-Only-1' };
const ROUNDS = 10;
const TRIGGER = ['C:\\Tools\\notmyfault64.exe', '/accepteula', '/crash', 'overrun'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The median wall ms of `body`, `setup` run untimed before each round. */
async function measure(
  rounds: number,
  body: () => Promise<void>,
  setup?: () => Promise<void>,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    await setup?.();
    const t = performance.now();
    await body();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** The myfault package's files, as host paths and the guest paths they are copied to. */
function myfaultFiles(lab: LabFile): { host: string; guest: string }[] {
  const entry = lab.data.drivers.find((d) => d.name === 'myfault');
  if (!entry) throw new Error(`${lab.path} has no myfault driver`);
  const folder = resolveLabPath(lab, entry.package);
  return readdirSync(folder).map((f) => ({ host: join(folder, f), guest: `C:\\Drivers\\myfault\\${f}` }));
}

export async function run({ print }: BenchContext): Promise<void> {
  const named = process.env.DRIVERLAB_LAB;
  const lab = await loadLabFile(named ?? paths.embeddedLab);
  if (lab.data.kind !== 'embedded') {
    print(`skipped: ${lab.path} is not an embedded lab (DRIVERLAB_LAB)`);
    return;
  }
  const labPath = lab.path;
  const vmName = lab.data.vms[0]?.name ?? 'win11-a';
  const baseline = lab.data.vms[0]?.baseline ?? 'baseline';
  const rows: { what: string; lab: string; model: number; adapter: number | null }[] = [];

  // ---------------------------------------------------------------- in the host model

  const host = await SimHost.open({ lab, statePath: null });
  const vm = host.vm(vmName);
  if (!vm) throw new Error(`no VM ${vmName}`);
  const op = (name: OperationName, params: object) => handle(host, name, { vmName, ...params });
  const guestRun = (command: string[]) => {
    const [file, ...args] = command;
    return op('Invoke-GuestCommand', { credential, file, arguments: args, timeoutSeconds: 120 });
  };
  const untilReady = async () => {
    for (;;) {
      const hb = (await op('Get-VMHeartbeat', {})) as { status: string | null };
      if (
        hb.status === 'OkApplicationsHealthy' &&
        (await op('Test-VMPowerShellDirect', { credential }).catch(() => null))
      )
        return;
      await host.time.sleep(1000);
    }
  };

  const restore = await measure(ROUNDS, () => vm.restore(baseline));
  const command = await measure(ROUNDS, async () => {
    await guestRun(['bcdedit', '/enum']);
  });
  const boot = await measure(ROUNDS, async () => {
    await vm.stop(true);
    await vm.start();
    while ((await vm.status()).heartbeat !== 'OkApplicationsHealthy') await host.time.sleep(1000);
  });
  // Armed once: myfault installed and started under special pool; every round starts from there.
  for (const f of myfaultFiles(lab))
    await op('Copy-VMFile', { sourcePath: f.host, destinationPath: f.guest });
  await guestRun(['pnputil', '/add-driver', 'C:\\Drivers\\myfault\\myfault.inf', '/install']);
  await guestRun(['verifier', '/flags', '1', '/driver', 'myfault.sys']);
  await guestRun(['shutdown', '/r', '/t', '0']);
  await host.time.sleep(60_000);
  await untilReady();
  await guestRun(['sc', 'start', 'myfault']);
  await vm.checkpoint('armed');
  const crash = await measure(
    ROUNDS,
    async () => {
      await guestRun(TRIGGER).then(
        () => {
          throw new Error('the overrun did not bugcheck');
        },
        () => undefined,
      );
      await untilReady();
    },
    () => vm.restore('armed'),
  );
  if (vm.state.guest.pendingReport !== null || !vm.guest.fs.exists('C:\\Windows\\MEMORY.DMP'))
    throw new Error('the crash cycle did not end in a written dump and a reported bugcheck');

  // ---------------------------------------------------------------- the state file

  const stateDir = mkdtempSync(join(tmpdir(), 'driverlab-bench-'));
  const saves: { what: string; ms: number }[] = [];
  try {
    const saved = await SimHost.open({ lab, statePath: join(stateDir, `lab-${process.pid}-0bench0.json`) });
    const svm = saved.vm(vmName);
    if (!svm) throw new Error(`no VM ${vmName}`);
    saves.push({
      what: 'fresh host (2 VMs, a baseline checkpoint each)',
      ms: await measure(ROUNDS, () => saved.save()),
    });
    await svm.injectNmi();
    await saved.time.sleep(60_000);
    for (let i = 0; i < 20; i += 1) await svm.checkpoint(`c${i}`);
    saves.push({
      what: 'after a crash and 20 checkpoints, nothing changed',
      ms: await measure(ROUNDS, () => saved.save()),
    });
    let round = 0;
    saves.push({
      what: 'after a crash and 20 checkpoints, a VM changed',
      ms: await measure(
        ROUNDS,
        () => saved.save(),
        async () => {
          round += 1;
          await svm.invoke(credential, 'bcdedit', ['/set', '{current}', 'description', `round ${round}`]);
        },
      ),
    });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- through the adapter

  const has = (...ops: OperationName[]) => missingScripts(...ops) === false;
  const adapter = composeLab(lab);
  let adapterRestore: number | null = null;
  let adapterCommand: number | null = null;
  let adapterBoot: number | null = null;
  let adapterCrash: number | null = null;
  let roundTrip: number | null = null;
  try {
    const avm = adapter.vm(vmName) as HypervVm;
    await avm.status();
    roundTrip = await measure(ROUNDS, async () => {
      await avm.status();
    });
    if (has('Stop-VM', 'Start-VM', 'Get-VMHeartbeat')) {
      adapterBoot = await measure(ROUNDS, async () => {
        await avm.stop({ turnOff: true });
        await avm.start();
        while (
          (await avm.host.run('Get-VMHeartbeat', { vmName }, avm.describe())).status !==
          'OkApplicationsHealthy'
        ) {
          await adapter.clock.sleep(1000);
        }
      });
    }
    if (has('Restore-VMCheckpoint')) {
      adapterRestore = await measure(ROUNDS, () => avm.restore(baseline).then(() => undefined));
    }
    if (has('Invoke-GuestCommand')) {
      adapterCommand = await measure(ROUNDS, async () => {
        await avm.guest.run(['bcdedit', '/enum']);
      });
    }
    if (
      has(
        'Copy-VMFile',
        'Invoke-GuestCommand',
        'Checkpoint-VM',
        'Restore-VMCheckpoint',
        'Test-VMPowerShellDirect',
      )
    ) {
      for (const f of myfaultFiles(lab)) await avm.guest.copyIn(f.host, f.guest);
      await avm.guest.run(['pnputil', '/add-driver', 'C:\\Drivers\\myfault\\myfault.inf', '/install']);
      await avm.guest.run(['verifier', '/flags', '1', '/driver', 'myfault.sys']);
      await avm.guest.reboot();
      await avm.guest.run(['sc', 'start', 'myfault']);
      await avm.checkpoint('armed');
      adapterCrash = await measure(
        ROUNDS,
        async () => {
          await avm.guest.run(TRIGGER).catch(() => undefined);
          await avm.waitUntilReady();
        },
        () => avm.restore('armed').then(() => undefined),
      );
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
  rows.push({
    what: 'special-pool crash cycle (trigger → 0xD6 → dump → reboot → ready)',
    lab: '~52 s',
    model: crash,
    adapter: adapterCrash,
  });
  rows.push({ what: 'Get-VM round trip', lab: '0 s', model: 0, adapter: roundTrip });

  print(`Embedded lab durations on virtual lab time (${labPath}), median of ${ROUNDS}, wall ms:`);
  for (const r of rows) {
    const a = r.adapter === null ? 'n/a (no script in this tree)' : r.adapter.toFixed(1);
    print(
      `  ${r.what.padEnd(68)} lab ${r.lab.padEnd(10)} model ${r.model.toFixed(1).padStart(7)}   adapter ${a}`,
    );
  }
  print('Saving the host state file (done after every operation), median wall ms:');
  for (const s of saves) print(`  ${s.what.padEnd(68)} ${s.ms.toFixed(2).padStart(7)}`);
}
