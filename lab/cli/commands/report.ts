/**
 * `driverlab report`: the HTML report from a results directory (the last run's by default),
 * built in a fresh folder and swapped in whole. It says what the run came to — an interrupted run,
 * or one that never finished, is never shown or reported as passed.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { paths } from '../../paths.js';
import { formatSummary, readAllureResults, summarise } from '../../report/allure-results.js';
import { generateHtmlReport } from '../../report/html.js';
import { outcomeOf, readSummaryFile, type SummaryFile, withPublishLock } from '../../report/run-files.js';
import { type CliIo, type Command, EXIT, parseCommandArgs, UsageError } from '../command.js';
import { reportName } from './run.js';

const HELP = `Usage: driverlab report [--results DIR] [--output DIR]

Generates the HTML report (Allure 3) from the Allure results of a run, in a fresh folder that
replaces the old report whole.

Options:
  --results DIR   the results directory (default: the last run's, reports/allure-results)
  --output DIR    where the report goes (default: reports/allure-report)
  -h, --help      this text

Exit code: 0 when the report was written and the run it shows passed; 1 when the run failed,
broke, was interrupted or never finished, or the report could not be written; 2 for a wrong
command line.`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the last run's summary says about it, when the report is of the last run. */
function lastRunState(summary: SummaryFile | null): { status: string; note: string } | null {
  if (!summary) return null;
  if (summary.status === 'running') {
    const pid = Number(summary.runId.split('-').pop());
    const alive = Number.isInteger(pid) && pid !== process.pid && isAlive(pid);
    return {
      status: alive ? 'running' : 'unfinished',
      note: alive
        ? `the run ${summary.runId} is still running (process ${pid}); this report shows what it has finished so far`
        : `the run ${summary.runId} never finished (its summary still says running and its process is gone); this report shows what it finished`,
    };
  }
  if (summary.status === 'interrupted') {
    return {
      status: 'interrupted',
      note: `the run ${summary.runId} was interrupted: ${summary.neverRan ?? '?'} of ${summary.selected ?? '?'} scenarios never ran`,
    };
  }
  return { status: summary.status, note: `the run ${summary.runId} ${summary.status}` };
}

async function report(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('report', args, {
    results: { type: 'string' },
    output: { type: 'string' },
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `'driverlab report' takes no argument '${positionals[0]}'; name the results directory with --results.`,
    );
  }
  // reports/'s files as one run left them: a run beside this command publishes before or after.
  return withPublishLock(paths.reports, () => reportOn(values, io));
}

async function reportOn(values: { results?: string; output?: string }, io: CliIo): Promise<number> {
  const at = (p: string | undefined, fallback: string) =>
    p ? (isAbsolute(p) ? p : resolve(io.cwd, p)) : fallback;
  const summary = values.results ? null : await readSummaryFile(paths.summary);
  const state = lastRunState(summary);
  // An unfinished run has published nothing yet: its own folder holds what it wrote.
  const ownResults =
    summary && state && summary.status === 'running'
      ? resolve(paths.root, summary.runDir, 'allure-results')
      : null;
  const results = at(values.results, ownResults && existsSync(ownResults) ? ownResults : paths.allureResults);
  const output = at(values.output, paths.allureReport);
  const read = await readAllureResults(results);
  const counts = summarise(read.results.filter((r) => !r.labels.some((l) => l.name === 'run')));
  const status = state?.status ?? outcomeOf(counts, false);
  const name =
    status === 'interrupted'
      ? reportName('interrupted', summary?.neverRan ?? 0, summary?.selected ?? 0)
      : status === 'running' || status === 'unfinished'
        ? reportName('running', 0, 0)
        : 'driverlab';
  const index = await generateHtmlReport({ results, output, name });
  const head = state ? `${state.note}; ` : '';
  io.stdout(`driverlab: ${head}${formatSummary(counts)}; report: ${index}\n`);
  return status === 'passed' ? EXIT.ok : EXIT.problem;
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'generate the HTML report from the Allure results of a run',
  help: HELP,
  run: report,
};
