/**
 * 200 scenarios on the embedded lab, generated as outlines over the nine seed cases into a
 * temporary folder and run the way a nightly runs them (cucumber-js, two parallel workers each
 * leasing one of the lab's two VMs, Allure results written). Prints the wall time, scenarios per
 * second, the CPU all its processes spent (a run is bound by CPU, not by waiting: ADR 0004's
 * addendum) and how each scenario ended; then, for the same shape, a bare cucumber-js run (200
 * scenarios of three steps that do nothing, two workers) and how many times longer the lab run
 * took; per seed case, the lab time a scenario took against the floor its own actions need (the
 * restore, and the reboots, crashes and waits it asks for); and the cold start of
 * `cucumber-js --dry-run` over the project's features.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import * as z from 'zod';
import { formatLabDuration } from '../lab/clock.js';
import { loadLabFile } from '../lab/config/lab-file.js';
import { cucumberBin, paths } from '../lab/paths.js';
import { readAllureResults, summarise } from '../lab/report/allure-results.js';
import type { BenchContext } from './run.js';

const SCENARIOS = 200;
const WORKERS = 2;

interface Asks {
  reboots: number;
  crashes: number;
  waitsMs?: number;
}

interface CaseTemplate {
  tag: string;
  title: string;
  steps: string[];
  /** The case's own variants (an outline's examples), repeated with a run number to fill its share. */
  header: string[];
  variants: string[][];
  /**
   * What the scenario itself asks of the lab beyond the restore every scenario starts with, per
   * variant (one entry serves them all): reboots (a verifier or boot setting taking effect, "the VM
   * restarts"), crashes (a bugcheck or a dump taken) and the lab
   * time its own commands run ("diskspd -d10": 10 s).
   */
  asks: Asks[];
}

/** The nine seed cases, as the features under features/ write them. */
export const CASES: CaseTemplate[] = [
  {
    tag: '@system-writer',
    title: 'The System Writer comes back once the bloat of <items> is deleted',
    steps: [
      'Given a test VM',
      'When <count> <items> are created in the Temporary ASP.NET Files',
      'Then the backup writers do not include "System Writer"',
      'And the application log has a VSS error for "System Writer" saying "XML document is too long"',
      'When the Temporary ASP.NET Files are deleted',
      'Then the backup writers include "System Writer" in a stable state',
    ],
    header: ['count', 'items'],
    variants: [
      ['10001', 'files'],
      ['1001', 'folders'],
    ],
    asks: [{ reboots: 0, crashes: 0 }],
  },
  {
    tag: '@special-pool',
    title: 'An overrun under special pool stops at once',
    steps: [
      'Given a test VM',
      'And Driver Verifier checks myfault.sys with <options>',
      'And myfault.sys is loaded',
      'When myfault.sys overruns its pool allocation',
      'Then the VM bugchecks with DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION',
      'And the memory the crash referenced is special pool',
      'And the page of the memory the crash referenced is not valid',
      'And the crash is blamed on myfault.sys',
    ],
    header: ['options'],
    variants: [['special pool'], ['0x1'], ['1']],
    asks: [{ reboots: 1, crashes: 1 }],
  },
  {
    tag: '@pool-corruption',
    title: 'An overrun goes unnoticed until the corrupt pool is used',
    steps: [
      'Given a test VM',
      'And myfault.sys is loaded',
      'When myfault.sys overruns its pool allocation',
      'Then the VM keeps running',
      'When a program starts',
      'Then the VM bugchecks with one of SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, BAD_POOL_HEADER or BAD_POOL_CALLER',
      'And the crash met corrupt pool',
      'And the analysis recommends special pool for myfault.sys as the next step',
    ],
    header: [],
    variants: [[]],
    asks: [{ reboots: 0, crashes: 1 }],
  },
  {
    tag: '@irp-logging',
    title: 'IRP logging under the <build> build',
    steps: [
      'Given a test VM',
      'And Driver Verifier checks all drivers with I/O verification and IRP logging',
      'And <load> is loaded',
      'When a program starts',
      'Then <outcome>',
    ],
    header: ['build', 'load', 'outcome'],
    variants: [
      [
        'faulty',
        'baddriver.sys',
        'the IRP log has an entry with SpecialApcDisable -1 issued from baddriver.sys',
      ],
      ['fixed', 'the fixed build of baddriver.sys', 'the VM keeps running'],
    ],
    asks: [
      { reboots: 1, crashes: 1 },
      { reboots: 1, crashes: 0 },
    ],
  },
  {
    tag: '@kdnet',
    title: 'The debugger connects over the network with the key the VM generated',
    steps: [
      'Given a test VM',
      "When network debugging to the lab's debugger is turned on, on port <port>",
      'And the debugger listens with the key the VM generated',
      'And the VM restarts',
      'Then the debugger connects to the VM within 2 min',
      'When the debugger breaks in',
      'Then the debugger prompt answers',
      'When the debugger lets the VM run',
    ],
    header: ['port'],
    variants: [['50000'], ['50001']],
    asks: [{ reboots: 1, crashes: 0 }],
  },
  {
    tag: '@event-153',
    title: 'A request that times out is logged as event <event>',
    steps: [
      'Given a test VM',
      'And mystor.sys drives the storage controller',
      'When the disk is put under load',
      'Then the system log records a storage timeout as event <event>',
    ],
    header: ['event'],
    variants: [['153'], ['129']],
    asks: [{ reboots: 0, crashes: 0 }],
  },
  {
    tag: '@commit-failures',
    title: '<times> refused commit requests are counted by the rule',
    steps: [
      'Given a test VM',
      'When a program tries <times> times to commit 12000 MB',
      'And a memory dump of the VM is taken',
      'Then the memory report counts <times> failed commit requests',
      'And that count is the sum of the commit failure counters the OS version counts',
    ],
    header: ['times'],
    variants: [['1'], ['2'], ['3']],
    asks: [{ reboots: 0, crashes: 1 }],
  },
  {
    tag: '@nbl-tracking',
    title: 'A removal that never finishes, with NBL owner tracking <tracking>',
    steps: [
      'Given a test VM',
      'And NBL owner tracking is turned <tracking>',
      'And myminiport.sys drives the network adapter',
      'When the network adapter is removed',
      'Then the removal is still waiting after 1 min',
      'When a memory dump of the VM is taken',
      'Then the thread removing the adapter holds the PnP engine lock',
      'And the pending NBLs <are seen>',
    ],
    header: ['tracking', 'are seen'],
    variants: [
      [
        'on',
        'are held by the miniport "My Ethernet 1Gb 4-port Adapter", which is QUERY_REMOVED and DORMANT_PAUSED',
      ],
      ['off', 'cannot be listed until NBL tracking is turned on'],
    ],
    asks: [{ reboots: 1, crashes: 1, waitsMs: 60_000 }],
  },
  {
    tag: '@filter-load-order',
    title: 'The antivirus minifilter lands in frame <frame>',
    steps: [
      'Given a test VM',
      'And the filter drivers <filters> are installed',
      'When the VM restarts',
      'Then the filter AVMiniFilter is at altitude 328000 in frame <frame>',
      'And <order>',
    ],
    header: ['filters', 'frame', 'order'],
    variants: [
      [
        'encryptionlegacy.sys, avlegacy.sys and avminifilter.sys',
        '0',
        'AVMiniFilter is loaded below EncryptionLegacy although its altitude is higher',
      ],
      [
        'encryptionlegacy.sys, avlegacy.sys, avminifilter.sys and nullfilter.sys',
        '1',
        'every filter is loaded in altitude order',
      ],
    ],
    asks: [{ reboots: 1, crashes: 0 }],
  },
];

/** The features: one outline per case, its share of the scenarios in its examples. */
export function generateFeatures(dir: string, total: number, cases: readonly CaseTemplate[]): number {
  let written = 0;
  cases.forEach((c, i) => {
    const share = Math.floor(total / cases.length) + (i < total % cases.length ? 1 : 0);
    const header = ['run', ...c.header];
    const rows = Array.from({ length: share }, (_, r) => [
      String(r + 1),
      ...(c.variants[r % c.variants.length] ?? []),
    ]);
    const line = (cells: string[]) => `      | ${cells.join(' | ')} |`;
    const text = [
      `${c.tag}`,
      `Feature: ${c.tag.slice(1)} (generated for the benchmark)`,
      '',
      `  Scenario Outline: ${c.title} (run <run>)`,
      ...c.steps.map((s) => `    ${s}`),
      '',
      '    Examples:',
      line(header),
      ...rows.map(line),
      '',
    ].join('\n');
    writeFileSync(join(dir, `${c.tag.slice(1)}.feature`), text);
    written += share;
  });
  return written;
}

/**
 * A cucumber-js configuration like the project's (cucumber.mjs): its imports (the support code as
 * one bundle, support/bundle.mjs) and formatters, the Allure results in `resultsDir` and the other
 * formatters' files beside it, as a run writes them (Allure's reader would count a junit.xml in
 * the results folder as more results).
 */
function config(featuresDir: string, resultsDir: string): string {
  const at = (name: string) => JSON.stringify(join(dirname(resultsDir), name));
  const bundle = pathToFileURL(join(paths.root, 'support', 'bundle.mjs')).href;
  return `import { supportImports } from ${JSON.stringify(bundle)};
export default {
  paths: [${JSON.stringify(join(featuresDir, '*.feature'))}],
  import: supportImports(['support/**/*.ts', 'steps/**/*.ts']),
  format: [
    'progress',
    ['./support/allure-writer.mjs', ${at('formatter.log')}],
    ['message', ${at('messages.ndjson')}],
    ['junit', ${at('junit.xml')}],
  ],
  formatOptions: { resultsDir: ${JSON.stringify(resultsDir)}, junit: { suiteName: 'driverlab' } },
  worldParameters: { lab: 'lab/labs/embedded.yaml' },
};
`;
}

/** What support/hooks.ts attaches to each scenario: the lab time it took, restore included. */
const LAB_TIME_MEDIA_TYPE = 'application/vnd.driverlab.lab-time+json';

const Envelope = z.looseObject({
  pickle: z
    .looseObject({ id: z.string(), name: z.string(), tags: z.array(z.looseObject({ name: z.string() })) })
    .optional(),
  testCase: z.looseObject({ id: z.string(), pickleId: z.string() }).optional(),
  testCaseStarted: z.looseObject({ id: z.string(), testCaseId: z.string() }).optional(),
  attachment: z
    .looseObject({ testCaseStartedId: z.string().optional(), mediaType: z.string(), body: z.string() })
    .optional(),
});

/** Each scenario's case tag, its run number and the lab time it took, from the run's Cucumber messages. */
function labTimes(ndjson: string): { tag: string; run: number; labMs: number }[] {
  const pickles = new Map<string, { tag: string; run: number }>();
  const cases = new Map<string, string>();
  const started = new Map<string, string>();
  const times: { started: string; labMs: number }[] = [];
  for (const line of ndjson.split('\n')) {
    if (line.trim() === '') continue;
    const e = Envelope.safeParse(JSON.parse(line));
    if (!e.success) continue;
    const { pickle, testCase, testCaseStarted, attachment } = e.data;
    if (pickle) {
      const tag = pickle.tags.map((t) => t.name).find((t) => CASES.some((c) => c.tag === t)) ?? '?';
      pickles.set(pickle.id, { tag, run: Number(/\(run (\d+)\)/.exec(pickle.name)?.[1] ?? 1) });
    }
    if (testCase) cases.set(testCase.id, testCase.pickleId);
    if (testCaseStarted) started.set(testCaseStarted.id, testCaseStarted.testCaseId);
    if (attachment?.mediaType === LAB_TIME_MEDIA_TYPE && attachment.testCaseStartedId) {
      const labMs = z.object({ labTimeMs: z.number() }).safeParse(JSON.parse(attachment.body));
      if (labMs.success) times.push({ started: attachment.testCaseStartedId, labMs: labMs.data.labTimeMs });
    }
  }
  return times.flatMap((t) => {
    const pickle = pickles.get(cases.get(started.get(t.started) ?? '') ?? '');
    return pickle ? [{ ...pickle, labMs: t.labMs }] : [];
  });
}

interface Floors {
  restoreMs: number;
  rebootMs: number;
  crashMs: number;
}

/**
 * What the embedded lab's own durations make a restore and a reboot; a crash costs nothing more: a
 * VM debugged over KDNET keeps a live debugger, where a bugcheck stops at once and is examined
 * (no dump is written, the next scenario restores the baseline).
 */
async function floors(): Promise<Floors> {
  const lab = await loadLabFile(paths.embeddedLab);
  if (lab.data.kind !== 'embedded') throw new Error(`${lab.path} is not an embedded lab`);
  const timings = Object.values(lab.data.embedded.guests)[0]?.timings;
  if (!timings) throw new Error(`${lab.path} declares no guest`);
  return { restoreMs: timings.restore, rebootMs: timings.shutdown + timings.boot, crashMs: 0 };
}

/** The floor of one scenario: the restore, plus what it asks for itself. */
export function floorOf(asks: Asks, f: Floors): number {
  return f.restoreMs + asks.reboots * f.rebootMs + asks.crashes * f.crashMs + (asks.waitsMs ?? 0);
}

/** Per case: the median lab time a scenario took against the floor its own actions need. */
function printLabTimes(
  times: readonly { tag: string; run: number; labMs: number }[],
  f: Floors,
  print: (line: string) => void,
): void {
  const byCase = new Map<string, { lab: number[]; floor: number[] }>();
  for (const t of times) {
    const c = CASES.find((x) => x.tag === t.tag);
    if (!c) continue;
    const asks = c.asks[(t.run - 1) % c.asks.length] ?? c.asks[0] ?? { reboots: 0, crashes: 0 };
    const entry = byCase.get(t.tag) ?? { lab: [], floor: [] };
    entry.lab.push(t.labMs);
    entry.floor.push(floorOf(asks, f));
    byCase.set(t.tag, entry);
  }
  // The median: a worker's first scenario also sets up the VM's live debugger once for the run
  // (a reboot and a checkpoint), which is the run's cost, not the case's.
  print(
    `  lab time per scenario against its floor (restore ${formatLabDuration(f.restoreMs)}, reboot ${formatLabDuration(f.rebootMs)}, crash ${formatLabDuration(f.crashMs)} in the live debugger, plus its own waits), median by case (target <= 1.2x):`,
  );
  for (const [tag, e] of [...byCase].sort((a, b) => a[0].localeCompare(b[0]))) {
    const lab = median(e.lab);
    const floor = median(e.floor);
    print(
      `    ${tag.padEnd(20)} lab ${formatLabDuration(lab).padStart(8)}  floor ${formatLabDuration(floor).padStart(8)}  ${(lab / floor).toFixed(2)}x`,
    );
  }
  if (byCase.size === 0) print('    no scenario says how much lab time it took');
}

/** Runs `count` scenarios of three no-op steps with cucumber-js alone, the way the lab run is started; its wall seconds. */
async function bareCucumber(root: string, count: number): Promise<{ seconds: number; cpu: string }> {
  const dir = join(root, 'bare');
  mkdirSync(join(dir, 'features'), { recursive: true });
  const rows = Array.from({ length: count }, (_, i) => `      | ${i + 1} |`).join('\n');
  writeFileSync(
    join(dir, 'features', 'bare.feature'),
    `Feature: bare\n\n  Scenario Outline: nothing <n>\n    Given a step that does nothing\n    When a step that does nothing\n    Then a step that does nothing\n\n    Examples:\n      | n |\n${rows}\n`,
  );
  // The same @cucumber/cucumber the runner loads, by its resolved URL (the folder has no node_modules).
  const cucumber = import.meta.resolve('@cucumber/cucumber');
  writeFileSync(
    join(dir, 'steps.mjs'),
    `import { defineStep } from ${JSON.stringify(cucumber)};\ndefineStep('a step that does nothing', () => {});\n`,
  );
  const file = join(dir, 'cucumber.mjs');
  writeFileSync(
    file,
    `export default { paths: [${JSON.stringify(join(dir, 'features', '*.feature'))}], import: [${JSON.stringify(join(dir, 'steps.mjs'))}], format: ['progress'] };\n`,
  );
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const child = await execa(
    process.execPath,
    [cucumberBin(), '--config', relative(paths.root, file), '--parallel', String(WORKERS)],
    { cwd: paths.root, reject: false },
  );
  const seconds = (performance.now() - started) / 1000;
  if (child.exitCode !== 0)
    throw new Error(`the bare cucumber-js run failed: ${child.stderr.split('\n')[0]}`);
  return { seconds, cpu: cpuBetween(cpuBefore, childrenCpuSeconds()) };
}

/**
 * The CPU seconds (user + system) of this process's finished children so far, from /proc (Linux):
 * a run's coordinator, its workers and every process they started, once they have all ended. Null
 * where there is no /proc.
 */
function childrenCpuSeconds(): number | null {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[13]) + Number(fields[14]);
    return Number.isFinite(ticks) ? ticks / 100 : null;
  } catch {
    return null;
  }
}

/** "CPU 12.3 s" of what ran between two readings, or nothing where /proc is missing. */
function cpuBetween(before: number | null, after: number | null): string {
  return before === null || after === null
    ? ''
    : `, CPU ${(after - before).toFixed(1)} s (user + system, all its processes)`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function run({ print }: BenchContext): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'driverlab-bench-scenarios-'));
  try {
    const features = join(root, 'features');
    const results = join(root, 'allure-results');
    mkdirSync(features);
    mkdirSync(results);
    const count = generateFeatures(features, SCENARIOS, CASES);
    // cucumber-js reads --config relative to the working directory, even when given an absolute path.
    const file = join(root, 'cucumber.mjs');
    writeFileSync(file, config(features, results));
    const env = { DRIVERLAB_LAB: '' };

    const cpuBefore = childrenCpuSeconds();
    const started = performance.now();
    const child = await execa(
      process.execPath,
      [cucumberBin(), '--config', relative(paths.root, file), '--parallel', String(WORKERS)],
      {
        cwd: paths.root,
        env,
        reject: false,
      },
    );
    const wallS = (performance.now() - started) / 1000;
    const labCpu = cpuBetween(cpuBefore, childrenCpuSeconds());
    const { results: read } = await readAllureResults(results);
    const s = summarise(read);
    print(
      `scenarios: ${count} generated over ${CASES.length} cases, ${WORKERS} workers: ${wallS.toFixed(1)} s wall${labCpu}, ${(count / wallS).toFixed(1)} scenarios/s (target <= 6 s); ${s.passed} passed, ${s.failed} failed, ${s.broken} broken, ${s.skipped} skipped (cucumber exit ${child.exitCode})`,
    );
    const byCase = new Map<string, number[]>();
    for (const r of read) {
      const tag = r.labels.find((l) => l.name === 'tag')?.value ?? '?';
      byCase.set(tag, [...(byCase.get(tag) ?? []), (r.stop ?? 0) - (r.start ?? 0)]);
    }
    const means = [...byCase]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([tag, ms]) => `${tag} ${Math.round(ms.reduce((x, y) => x + y, 0) / ms.length)}`);
    print(`  wall ms per scenario, mean by case: ${means.join(', ')}`);
    if (read.length === 0)
      print(
        `  cucumber-js wrote no result: ${(child.stderr || child.stdout).split('\n').slice(0, 5).join(' ')}`,
      );
    if (s.passed !== count) {
      const bad = read.filter((r) => r.status !== 'passed').slice(0, 3);
      for (const r of bad)
        print(`  ${r.name}: ${r.status} — ${(r.statusDetails?.message ?? '').split('\n')[0]}`);
    }

    // The same shape with nothing behind it: what cucumber-js itself costs for this many scenarios.
    const bare = await bareCucumber(root, count);
    print(
      `bare cucumber-js: ${count} scenarios x 3 no-op steps, --parallel ${WORKERS}: ${bare.seconds.toFixed(1)} s wall${bare.cpu}; the embedded lab run is ${(wallS / bare.seconds).toFixed(1)}x that`,
    );
    printLabTimes(labTimes(readFileSync(join(root, 'messages.ndjson'), 'utf8')), await floors(), print);

    // The dry run over the project's own features, as `cucumber-js --dry-run` starts it (the same
    // imports and formatters; results in the temporary folder, so the last run's reports stay).
    const dryResults = join(root, 'dry-run', 'allure-results');
    mkdirSync(dryResults, { recursive: true });
    const dry = join(root, 'dry-run.mjs');
    writeFileSync(dry, config(join(paths.root, 'features', '**'), dryResults));
    const times: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const t = performance.now();
      const r = await execa(
        process.execPath,
        [cucumberBin(), '--config', relative(paths.root, dry), '--dry-run'],
        {
          cwd: paths.root,
          env,
          reject: false,
        },
      );
      times.push((performance.now() - t) / 1000);
      if (r.exitCode !== 0) print(`dry run exited ${r.exitCode}: ${r.stderr.split('\n')[0]}`);
    }
    print(
      `dry run: cucumber-js --dry-run cold start ${median(times).toFixed(2)} s median of 3 fresh processes (min ${Math.min(...times).toFixed(2)} s, target < 2 s)`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
