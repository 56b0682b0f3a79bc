/**
 * `driverlab gate`: the release-gate verdict on the last run, by a policy, against the runs the
 * run store keeps. Exit 0 pass, 1 fail, 2 bad input (malformed policy or waiver, an expired
 * waiver, no results).
 */
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigurationError } from '../../errors.js';
import { gatePaths, keepRunsFrom, runGate } from '../../gate/gate.js';
import { verdictLine } from '../../gate/verdict.js';
import { paths } from '../../paths.js';
import { type CliIo, type Command, EXIT, parseCommandArgs, positiveInteger, UsageError } from '../command.js';

const HELP = `Usage: driverlab gate [--policy FILE] [--baseline RUN] [--db URL]

Judges the last run (reports/allure-results and reports/summary.json) by a policy, against the
runs the run store keeps, and writes reports/gate.json and reports/gate.md.

Options:
  --policy FILE     the gate policy (YAML); without one the default policy applies
                    (no new crash bucket, no failed @gating scenario, broken at most 10 %,
                    at least 1 scenario, no interrupted run: see lab/gate/README.md)
  --baseline RUN    the stored run to compare with (its id, as 'driverlab buckets --runs' lists);
                    default: the newest complete earlier run
  --waivers FILE    the known issues (default lab/waivers.yaml)
  --results DIR     the results to judge (default reports/allure-results)
  --db URL          a PostgreSQL run store (default: the embedded store in reports/run-store;
                    also $DRIVERLAB_DB)
  --store DIR       the embedded run store's folder (default reports/run-store)
  --out DIR         where gate.json and gate.md go (default reports/)
  -h, --help        this text

Exit code: 0 when the gate passes, 1 when it fails, 2 for bad input (a wrong command line, a
malformed policy or waiver, an expired waiver, no results).`;

async function gate(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('gate', args, {
    policy: { type: 'string' },
    baseline: { type: 'string' },
    waivers: { type: 'string' },
    results: { type: 'string' },
    db: { type: 'string' },
    store: { type: 'string' },
    out: { type: 'string' },
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `'driverlab gate' takes no argument '${positionals[0]}'; run 'driverlab gate --help' to see its usage.`,
    );
  }
  const at = (p: string | undefined) =>
    p === undefined ? undefined : isAbsolute(p) ? p : resolve(io.cwd, p);
  try {
    const report = await runGate({
      results: at(values.results) ?? paths.allureResults,
      summary: values.results ? join(at(values.results) as string, '..', 'summary.json') : paths.summary,
      context: values.results
        ? join(at(values.results) as string, '..', 'run-context.json')
        : gatePaths.context,
      policyFile: at(values.policy),
      waiversFile: at(values.waivers) ?? gatePaths.waivers,
      baselineId: values.baseline === undefined ? null : positiveInteger('gate', 'baseline', values.baseline),
      db: values.db ?? (io.env.DRIVERLAB_DB || undefined),
      storeDir: at(values.store) ?? gatePaths.store,
      keepRuns: keepRunsFrom(io.env),
      record: false,
      out: {
        json: values.out ? join(at(values.out) as string, 'gate.json') : gatePaths.json,
        markdown: values.out ? join(at(values.out) as string, 'gate.md') : gatePaths.markdown,
        report: join(paths.allureReport, 'index.html'),
      },
    });
    io.stdout(`driverlab ${verdictLine(report)}\n`);
    return report.verdict === 'pass' ? EXIT.ok : EXIT.problem;
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`driverlab gate: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

export const gateCommand: Command = {
  name: 'gate',
  summary: 'the release-gate verdict on the last run (reports/gate.json, gate.md)',
  help: HELP,
  run: gate,
};
