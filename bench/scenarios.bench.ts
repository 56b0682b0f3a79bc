/**
 * 200 scenarios on the embedded lab, generated as outlines over the nine seed cases into a
 * temporary folder and run the way a nightly runs them (cucumber-js, two parallel workers each
 * leasing one of the lab's two VMs, Allure results written). Prints the wall time, scenarios per
 * second and how each scenario ended; then the cold start of `cucumber-js --dry-run` over the
 * project's features (a fresh process: tsx, the support code and steps, the feature files).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { cucumberBin, paths } from '../lab/paths.js';
import { readAllureResults, summarise } from '../lab/report/allure-results.js';
import type { BenchContext } from './run.js';

const SCENARIOS = 200;
const WORKERS = 2;

interface CaseTemplate {
  tag: string;
  title: string;
  steps: string[];
  /** The case's own variants (an outline's examples), repeated with a run number to fill its share. */
  header: string[];
  variants: string[][];
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

/** A cucumber-js configuration like the project's (cucumber.mjs): its imports and formatters, results in `resultsDir`. */
function config(featuresDir: string, resultsDir: string): string {
  const at = (name: string) => JSON.stringify(join(resultsDir, name));
  return `export default {
  paths: [${JSON.stringify(join(featuresDir, '*.feature'))}],
  import: ['support/tsx-register.js', 'support/**/*.ts', 'steps/**/*.ts'],
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
    const { results: read } = await readAllureResults(results);
    const s = summarise(read);
    print(
      `scenarios: ${count} generated over ${CASES.length} cases, ${WORKERS} workers: ${wallS.toFixed(1)} s wall, ${(count / wallS).toFixed(1)} scenarios/s (target < 30 s); ${s.passed} passed, ${s.failed} failed, ${s.broken} broken, ${s.skipped} skipped (cucumber exit ${child.exitCode})`,
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

    // The dry run over the project's own features, as `cucumber-js --dry-run` starts it (the same
    // imports and formatters; results in the temporary folder, so the last run's reports stay).
    const dryResults = join(root, 'dry-run-results');
    mkdirSync(dryResults);
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
