/**
 * Kernel-debugger round trips: 1,000 commands through KdSession to the simulated debugger process
 * and over the real loopback KDNET link, each framed by its `.echo` sentinel, twice:
 * - to the embedded lab's real target: a VM of the embedded host (started by the Hyper-V adapter)
 *   configured with bcdedit, its simulated kernel rendering each answer;
 * - to a bare target that only evaluates `? N`, which isolates the cost of the session and the link;
 * then one multi-megabyte output (`!verifier 100` sized) over the bare link. Prints commands per
 * second with p50 and p99, and the special-pool crash cycle with the debugger attached (overrun →
 * stop 0xD6 seen by kd → `g` → dump written → reboot → the link back → the guest ready).
 */
import { virtualClock } from '../lab/clock.js';
import { composeLab } from '../lab/compose.js';
import { loadLabFile } from '../lab/config/lab-file.js';
import { Redactor } from '../lab/config/secrets.js';
import { openDebugger } from '../lab/kd/open.js';
import { KdSession } from '../lab/kd/session.js';
import { paths } from '../lab/paths.js';
import { KdnetTargetEndpoint } from '../lab/sim/kdnet/target.js';
import { embeddedDebuggerCommand } from '../lab/sim/launch.js';
import type { DebugTarget, TargetIdentity } from '../lab/sim/ports.js';
import { debugOverKdnet, installDriver, runInGuest } from '../test/kits/kd/kd.testkit.js';
import { windows10Identity } from '../test/kits/sim/target.testkit.js';

const KEY = '2steg4fzbj2sz.23418vzkd4ko3.1g34ou07z4pev.1sp3yo9yz874p';
const ROUND_TRIPS = 1000;
const BIG_BYTES = 4 * 1024 * 1024;

/** A target that evaluates `? N` and answers one large command; no kernel behind it. */
class BenchTarget implements DebugTarget {
  private stopped = false;
  identity(): TargetIdentity {
    return windows10Identity(60);
  }
  isStopped(): boolean {
    return this.stopped;
  }
  currentProcessor(): number | null {
    return 0;
  }
  async breakIn(): Promise<string> {
    this.stopped = true;
    return 'Break instruction exception - code 80000003 (first chance)\n';
  }
  async execute(command: string): Promise<string> {
    if (command === '!verifier 100') return `${'x'.repeat(99)}\n`.repeat(BIG_BYTES / 100);
    const n = Number(command.slice(2));
    const hex = n.toString(16).padStart(16, '0');
    return `Evaluate expression: ${n} = ${hex.slice(0, 8)}\`${hex.slice(8)}\n`;
  }
  async resume(): Promise<void> {
    this.stopped = false;
  }
  async reboot(): Promise<void> {}
  async answerVerifier(): Promise<string> {
    return '';
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** 1,000 `? N` round trips on a stopped target: commands per second, p50 and p99. */
async function roundTrips(session: KdSession): Promise<string> {
  for (let i = 0; i < 50; i += 1) await session.execute(`? ${i}`);
  const durations: number[] = [];
  const started = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i += 1) {
    const t = performance.now();
    await session.execute(`? ${i}`);
    durations.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  durations.sort((a, b) => a - b);
  return `${(ROUND_TRIPS / seconds).toFixed(0)} commands/s, p50 ${percentile(durations, 50).toFixed(2)} ms, p99 ${percentile(durations, 99).toFixed(2)} ms`;
}

const CRASH_ROUNDS = 5;
const OVERRUN = ['C:\\Tools\\notmyfault64.exe', '/accepteula', '/crash', 'overrun'];

/** The embedded lab's real target: a VM of the embedded host with KDNET on, its kernel answering. */
async function embeddedTarget(print: (line: string) => void): Promise<void> {
  const net = { hostIp: '127.0.0.251', port: 50_251 };
  const file = await loadLabFile(paths.embeddedLab);
  const vms = file.data.vms.map((v) =>
    v.name === 'win11-a' ? { ...v, debug: { transport: 'net' as const, ...net } } : v,
  );
  const lab = composeLab({ ...file, data: { ...file.data, vms } });
  let kd: KdSession | undefined;
  try {
    const vm = lab.vm('win11-a');
    await vm.waitUntilReady();
    await installDriver(lab, vm, 'myfault');
    await runInGuest(vm, ['verifier', '/flags', '1', '/driver', 'myfault.sys'], 2);
    const key = await debugOverKdnet(vm, net);
    await runInGuest(vm, ['sc', 'start', 'myfault']);
    await vm.checkpoint('armed');
    kd = await openDebugger(lab, vm, { key });
    await kd.breakIn();
    print(
      `kd: ${ROUND_TRIPS} command round trips to the embedded lab's target (KdSession → simulated kd → KDNET → embedded host → simulated kernel): ${await roundTrips(kd)}`,
    );
    await kd.go();
    const wall: number[] = [];
    const labSeconds: number[] = [];
    for (let round = 0; round < CRASH_ROUNDS; round += 1) {
      await vm.restore('armed');
      await kd.waitUntilConnected();
      const t = performance.now();
      const l = lab.clock.now();
      await vm.guest.run(OVERRUN).catch(() => undefined);
      const stop = await kd.waitForStop();
      if (stop?.kind !== 'bugcheck')
        throw new Error(`the overrun did not stop kd with a bugcheck (${stop?.kind})`);
      const from = kd.events().length;
      await kd.go();
      while (
        !kd
          .events()
          .slice(from)
          .some((e) => e.kind === 'shutdown')
      )
        await new Promise((r) => setTimeout(r, 2));
      await kd.waitUntilConnected();
      await vm.waitUntilReady();
      wall.push(performance.now() - t);
      labSeconds.push((lab.clock.now() - l) / 1000);
    }
    wall.sort((a, b) => a - b);
    labSeconds.sort((a, b) => a - b);
    print(
      `kd: special-pool crash cycle with the debugger attached (overrun → 0xD6 in kd → g → dump → reboot → link back → ready), median of ${CRASH_ROUNDS}: ${percentile(wall, 50).toFixed(0)} ms wall, ${percentile(labSeconds, 50).toFixed(0)} s lab`,
    );
  } finally {
    await kd?.close();
    await lab.close();
  }
}

export async function run({ print }: { print: (line: string) => void }): Promise<void> {
  await embeddedTarget(print);
  const clock = virtualClock({ wallBudgetMs: 10_000 });
  const endpoint = new KdnetTargetEndpoint({
    hostIp: '127.0.0.250',
    port: 50_250,
    key: KEY,
    target: new BenchTarget(),
  });
  await endpoint.start();
  const session = await KdSession.open({
    subject: "VM 'bench'",
    executable: embeddedDebuggerCommand(),
    connection: { kind: 'net', hostIp: '127.0.0.250', port: 50_250, key: KEY },
    clock,
    redactor: new Redactor(),
    verifierPolicy: () => 'b',
  });
  try {
    await session.breakIn();
    print(
      `kd: ${ROUND_TRIPS} command round trips to a bare target (KdSession → simulated kd → KDNET over loopback UDP → a target that only evaluates '? N'): ${await roundTrips(session)}`,
    );
    const t = performance.now();
    const big = await session.execute('!verifier 100');
    const ms = performance.now() - t;
    print(
      `kd: one ${(big.output.length / 1024 / 1024).toFixed(1)} MB output over the same link: ${ms.toFixed(0)} ms (${(big.output.length / 1024 / 1024 / (ms / 1000)).toFixed(1)} MB/s)`,
    );
  } finally {
    await session.close();
    await endpoint.stop();
  }
}
