/**
 * Kernel-debugger round trips: 1,000 commands through KdSession to the simulated debugger process
 * and over the real loopback KDNET link to a target, each framed by its `.echo` sentinel; then one
 * multi-megabyte output (`!verifier 100` sized). Prints commands per second with p50 and p99.
 */
import { scaledClock } from '../lab/clock.js';
import { Redactor } from '../lab/config/secrets.js';
import { KdSession } from '../lab/kd/session.js';
import type { DebugTarget, TargetIdentity } from '../lab/sim/contract.js';
import { KdnetTargetEndpoint } from '../lab/sim/kdnet/target.js';
import { embeddedDebuggerCommand } from '../lab/sim/launch.js';

const KEY = '2steg4fzbj2sz.23418vzkd4ko3.1g34ou07z4pev.1sp3yo9yz874p';
const ROUND_TRIPS = 1000;
const BIG_BYTES = 4 * 1024 * 1024;

/** A target that evaluates `? N` and answers one large command; no kernel behind it. */
class BenchTarget implements DebugTarget {
  private stopped = false;
  identity(): TargetIdentity {
    return {
      product: 'Windows 10',
      build: 19041,
      processors: 4,
      arch: 'x64',
      kernelBase: '0xfffff806`7c21f000',
      psLoadedModuleList: '0xfffff806`7ce49770',
      uptimeSeconds: 60,
    };
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

export async function run({ print }: { print: (line: string) => void }): Promise<void> {
  const clock = scaledClock({ factor: 1000, graceMs: 10_000 });
  const endpoint = new KdnetTargetEndpoint({
    hostIp: '127.0.0.250',
    port: 50_250,
    key: KEY,
    target: new BenchTarget(),
    clock,
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
    print(
      `kd: ${ROUND_TRIPS} command round trips (KdSession → simulated kd → KDNET over loopback UDP → target): ${(ROUND_TRIPS / seconds).toFixed(0)} commands/s, p50 ${percentile(durations, 50).toFixed(2)} ms, p99 ${percentile(durations, 99).toFixed(2)} ms`,
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
