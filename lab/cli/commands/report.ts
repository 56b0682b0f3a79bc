/**
 * `driverlab report`: the HTML report from a results directory (the last run's by default).
 */
import { isAbsolute, resolve } from 'node:path';
import { paths } from '../../paths.js';
import { formatSummary, readAllureResults, summarise } from '../../report/allure-results.js';
import { generateHtmlReport } from '../../report/html.js';
import { type CliIo, type Command, EXIT, parseCommandArgs, UsageError } from '../command.js';

const HELP = `Usage: driverlab report [--results DIR] [--output DIR]

Generates the HTML report (Allure 3) from the Allure results of a run.

Options:
  --results DIR   the results directory (default: reports/allure-results)
  --output DIR    where the report goes (default: reports/allure-report)
  -h, --help      this text

Exit code: 0 when the report was written, 1 when it could not be, 2 for a wrong command line.`;

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
  const at = (p: string | undefined, fallback: string) =>
    p ? (isAbsolute(p) ? p : resolve(io.cwd, p)) : fallback;
  const results = at(values.results, paths.allureResults);
  const output = at(values.output, paths.allureReport);
  const read = await readAllureResults(results);
  const index = await generateHtmlReport({ results, output });
  io.stdout(`driverlab: ${formatSummary(summarise(read.results))}; report: ${index}\n`);
  return EXIT.ok;
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'generate the HTML report from the Allure results of a run',
  help: HELP,
  run: report,
};
