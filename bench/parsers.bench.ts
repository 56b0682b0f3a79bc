/**
 * Parser throughput on large generated inputs, against `grep -c` on the same file in the same
 * run, and how far peak RSS rises above the process's baseline while streaming.
 *
 *   - a 50 MB `!verifier 100` IRP log, read by parseIrpLogStream;
 *   - a 20 MB transcript mixing the real fixtures' commands, read by parseTranscriptStream.
 *
 * Targets: parser MB/s ≥ 0.10 × grep MB/s; RSS rise ≤ 32 MB. grep's speed swings several-fold
 * with the load of a shared machine, so each input is measured in alternating rounds and the
 * best runs are compared; each input is measured in a fresh process (see measureInput).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseIrpLogStream, parseTranscriptStream } from '../lab/parsers/index.js';
import type { BenchContext } from './run.js';

const MB = 1024 * 1024;
const FIXTURES = fileURLToPath(new URL('../lab/parsers/fixtures/', import.meta.url));
const RATIO_TARGET = 0.1;
const RSS_TARGET_MB = 32;

/** Writes generated text to a file in pieces until it reaches `bytes`. */
function generate(path: string, bytes: number, piece: (i: number) => string): void {
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    let buffer = '';
    for (let i = 0; written + buffer.length < bytes; i += 1) {
      buffer += piece(i);
      if (buffer.length > 4 * MB) {
        written += writeSync(fd, buffer);
        buffer = '';
      }
    }
    writeSync(fd, buffer);
  } finally {
    closeSync(fd);
  }
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** One IRP log entry shaped like the seed's, with addresses that vary from entry to entry. */
function irpEntry(i: number): string {
  const irp = `fffff980${hex((i * 0x2b0) & 0xffffffff, 8)}`;
  const thread = `fffffa80${hex(0x064c9b50 + (i % 64) * 0x1000, 8)}`;
  const frames = [
    'nt!IovAllocateIrp+0x28',
    'nt!IoBuildDeviceIoControlRequest+0x32',
    'nt!IovBuildDeviceIoControlRequest+0x4e',
    'mountmgr!MountMgrSendDeviceControl+0x73',
    'mountmgr!QueryDeviceInformation+0x207',
    'nt!IovCallDriver+0x566',
    'fltmgr!FltGetVolumeGuidName+0x1ac',
    'baddriver +0x12be1',
    'baddriver +0x36523',
    'baddriver+0x3600c',
  ];
  let text = `IRP ${irp}, Thread ${thread}, IRQL = ${i % 3}, KernelApcDisable = -${(i % 5) + 1}, SpecialApcDisable = ${i % 2 === 0 ? -1 : 0}\n`;
  for (let f = 0; f < frames.length; f += 1)
    text += `fffff800${hex(0x03573a68 + f * 0x1000 + (i % 16), 8)} ${frames[f]}\n`;
  return `${text}\n`;
}

/** The real fixtures of commands kd prints, each behind a prompt, in rotation. */
function transcriptPieces(): string[] {
  const pick = [
    ['3: kd> !analyze -v', 'analyze.new-layout-d1'],
    ['3: kd> kvn', 'stack.kvn-x64-trap-frame'],
    ['3: kd> !pool fffffa8003f42000', 'pool.nonpaged-page'],
    ['3: kd> lm', 'lm.kernel-x64-head'],
    ['3: kd> !thread', 'thread.ndis-pnp-wait'],
    ['3: kd> !verifier 100', 'verifier-irplog.apc-disabled'],
    ['3: kd> !locks', 'locks.pnp-device-tree'],
    ['3: kd> !vm 1', 'vm.commit-failures'],
    ['3: kd> !irp 0x831f4a00', 'irp.vista-eight-stacks'],
    ['3: kd> u @rip', 'auto.kdcom-breakpoint-session'],
  ] as const;
  return pick.map(([prompt, name]) => {
    const body = readFileSync(`${FIXTURES}${name}.txt`, 'utf8')
      .split('\n')
      .filter((l) => !/^\s*(?:\d+: )?kd> /.test(l))
      .join('\n');
    return `${prompt}\n${body}\n`;
  });
}

/**
 * Rounds per input: parser and grep alternate, and the best of each is compared. The parser's
 * first rounds in a fresh process run cold (JIT tiers, a young generation still growing), so there
 * are enough rounds for it to reach its steady speed; every round is timed, none is dropped.
 */
const ROUNDS = 10;

/** The inputs, by the name the child process is given. */
const INPUTS = {
  irplog: {
    title: '!verifier 100 log (parseIrpLogStream)',
    grep: 'IRP ',
    stream: (s: AsyncIterable<Uint8Array>) => parseIrpLogStream(s),
  },
  transcript: {
    title: 'mixed transcript (parseTranscriptStream)',
    grep: 'kd> ',
    stream: (s: AsyncIterable<Uint8Array>) => parseTranscriptStream(s),
  },
} as const;
type InputName = keyof typeof INPUTS;

/** What the child process reports for one input. */
interface Measurement {
  items: number;
  parserSeconds: number[];
  grepSeconds: number[];
  grepCount: number | null;
  riseMb: number;
}

/** One `grep -c` over the file, timed from spawn to exit (its start-up counts against it). */
function grepOnce(pattern: string, path: string): { seconds: number; count: number } | null {
  const start = performance.now();
  const r = spawnSync('grep', ['-c', pattern, path], { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (r.error || r.status !== 0) return null;
  return { seconds, count: Number(r.stdout.trim()) };
}

/**
 * Runs in a fresh process per input, so the RSS baseline is the process's own (module loaded,
 * nothing streamed yet) and not what an earlier input or the generator left behind. Warms the page
 * cache (and grep's binary) with an untimed grep, then runs grep and the parser alternately
 * ROUNDS times, so both see the same machine load. The file is read as `createReadStream` reads
 * it by default (64 KB chunks). RSS is sampled every 256 items and at the end of each run.
 */
async function measureInput(name: InputName, path: string): Promise<Measurement> {
  const input = INPUTS[name];
  const grepAvailable = grepOnce(input.grep, path) !== null;
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const parserSeconds: number[] = [];
  const grepSeconds: number[] = [];
  let items = 0;
  let grepCount: number | null = null;
  for (let round = 0; round < ROUNDS; round += 1) {
    if (grepAvailable) {
      const g = grepOnce(input.grep, path);
      if (g !== null) {
        grepSeconds.push(g.seconds);
        grepCount = g.count;
      }
    }
    items = 0;
    const start = performance.now();
    for await (const _ of input.stream(createReadStream(path) as AsyncIterable<Uint8Array>)) {
      items += 1;
      if ((items & 255) === 0) peak = Math.max(peak, process.memoryUsage.rss());
    }
    parserSeconds.push((performance.now() - start) / 1000);
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  return { items, parserSeconds, grepSeconds, grepCount, riseMb: (peak - baseline) / MB };
}

const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/**
 * Prints one input's figures. The best run of the parser is compared with the best run of grep:
 * a busy shared machine only ever makes a run slower, and grep's time swings several-fold with
 * load. The medians are printed beside the bests so a reader sees the spread.
 */
function report(ctx: BenchContext, name: InputName, path: string, m: Measurement): void {
  const input = INPUTS[name];
  const size = statSync(path).size / MB;
  const mbps = size / best(m.parserSeconds);
  ctx.print(
    `${input.title}: ${size.toFixed(1)} MB, ${m.items} items; best of ${m.parserSeconds.length} alternating runs ${best(m.parserSeconds).toFixed(3)} s = ${mbps.toFixed(1)} MB/s (median ${(size / median(m.parserSeconds)).toFixed(1)} MB/s)`,
  );
  if (m.grepSeconds.length === 0) ctx.print(`  grep is not available here, so the ratio is not measured`);
  else {
    const grepMbps = size / best(m.grepSeconds);
    const ratio = mbps / grepMbps;
    ctx.print(
      `  grep -c '${input.grep}' (alternating with the parser): ${m.grepCount} lines; best of ${m.grepSeconds.length} ${best(m.grepSeconds).toFixed(3)} s = ${grepMbps.toFixed(0)} MB/s (median ${(size / median(m.grepSeconds)).toFixed(0)} MB/s)`,
    );
    ctx.print(
      `  ratio parser/grep, best against best: ${ratio.toFixed(3)} (target >= ${RATIO_TARGET}: ${ratio >= RATIO_TARGET ? 'met' : 'NOT met'})`,
    );
  }
  ctx.print(
    `  peak RSS rise while streaming (any run, above the fresh process's RSS before the first): ${m.riseMb.toFixed(1)} MB (target <= ${RSS_TARGET_MB} MB: ${m.riseMb <= RSS_TARGET_MB ? 'met' : 'NOT met'})`,
  );
}

const SELF = fileURLToPath(import.meta.url);

/** Measures one input in a child process (`node --import tsx <this file> measure <name> <path>`). */
function measureInChild(name: InputName, path: string): Measurement {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SELF, 'measure', name, path], {
    encoding: 'utf8',
    maxBuffer: MB,
  });
  const json = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || json === '')
    throw new Error(
      `The parser benchmark for ${name} ended with status ${r.status} and printed no figures (${r.stderr.trim().slice(0, 300)}); run 'node --import tsx bench/parsers.bench.ts measure ${name} <file>' to see why.`,
    );
  return JSON.parse(json) as Measurement;
}

/** Generates the inputs in the temp directory, measures each in its own process, prints, and removes them. */
export async function run(ctx: BenchContext): Promise<void> {
  const log = join(tmpdir(), `driverlab-bench-irplog-${process.pid}.txt`);
  const transcript = join(tmpdir(), `driverlab-bench-transcript-${process.pid}.txt`);
  try {
    generate(log, 50 * MB, irpEntry);
    const pieces = transcriptPieces();
    generate(transcript, 20 * MB, (i) => pieces[i % pieces.length] ?? '');
    for (const [name, path] of [
      ['irplog', log],
      ['transcript', transcript],
    ] as const)
      report(ctx, name, path, measureInChild(name, path));
  } finally {
    rmSync(log, { force: true });
    rmSync(transcript, { force: true });
  }
}

if (process.argv[1] === SELF && process.argv[2] === 'measure') {
  const name = process.argv[3];
  const path = process.argv[4];
  if ((name !== 'irplog' && name !== 'transcript') || path === undefined) {
    console.error('Usage: node --import tsx bench/parsers.bench.ts measure irplog|transcript <file>');
    process.exit(2);
  }
  console.log(JSON.stringify(await measureInput(name, path)));
}
