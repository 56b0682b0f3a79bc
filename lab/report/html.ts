/**
 * The HTML report: Allure 3 (`allure` package, pure JavaScript) turns `allure-results/` into a
 * static site. See docs/adr/0002-allure-3-for-html.md for why Allure 3 and not Allure 2.
 */
import { access, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { LabCompromisedError } from '../errors.js';
import { paths } from '../paths.js';

const require = createRequire(import.meta.url);

export interface HtmlReportOptions {
  results: string;
  output: string;
  name?: string;
  /** Add this run to the report's history (reports/history.jsonl): complete runs of nightly or gating only. */
  history?: boolean;
}

/** Generates the report and returns the path of its index.html. */
export async function generateHtmlReport(options: HtmlReportOptions): Promise<string> {
  // The CLI entry (cli.js, the package's bin) is not in its exports: found from the main entry, dist/index.js.
  const cli = join(dirname(dirname(require.resolve('allure'))), 'cli.js');
  await mkdir(options.output, { recursive: true });
  const args = [
    cli,
    'generate',
    options.results,
    '--output',
    options.output,
    '--name',
    options.name ?? 'driverlab',
  ];
  const config = join(paths.root, 'allurerc.mjs');
  if (await exists(config)) args.push('--config', config);
  const run = await execa(process.execPath, args, {
    reject: false,
    all: true,
    env: { NO_COLOR: '1', FORCE_COLOR: '0', DRIVERLAB_APPEND_HISTORY: options.history ? '1' : '0' },
    cwd: paths.root,
  });
  const index = join(options.output, 'index.html');
  if (run.exitCode !== 0 || !(await exists(index))) {
    const output = (run.all ?? '').trim().split('\n').slice(-5).join(' | ');
    throw new LabCompromisedError(
      `The HTML report could not be generated in '${options.output}', because Allure exited with code ${run.exitCode} (${output || 'no output'}); the results in '${options.results}' are untouched, so run 'driverlab report' again once the cause is fixed.`,
    );
  }
  return index;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
