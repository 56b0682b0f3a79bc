/**
 * The HTML report: Allure 3 (`allure` package, pure JavaScript) turns `allure-results/` into a
 * static site. See docs/adr/0002-allure-3-for-html.md for why Allure 3 and not Allure 2.
 *
 * The report is built in a fresh folder and swapped in whole: `index.html` is always a whole
 * report of one run, never the previous one beside a new one in a subfolder.
 */
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { LabCompromisedError } from '../errors.js';
import { paths } from '../paths.js';
import { fixReportPage } from './page.js';
import { swapFolder } from './run-files.js';

const require = createRequire(import.meta.url);

export interface HtmlReportOptions {
  results: string;
  output: string;
  /** The report's title, shown on its overview (default: driverlab). */
  name?: string;
  /** Add this run to the report's history (reports/history.jsonl): complete runs of nightly or gating only. */
  history?: boolean;
}

/** Generates the report and returns the path of its index.html. */
export async function generateHtmlReport(options: HtmlReportOptions): Promise<string> {
  // The CLI entry (cli.js, the package's bin) is not in its exports: found from the main entry, dist/index.js.
  const cli = join(dirname(dirname(require.resolve('allure'))), 'cli.js');
  const fresh = `${options.output}.${process.pid}.new`;
  const name = options.name ?? 'driverlab';
  await rm(fresh, { recursive: true, force: true });
  const args = [cli, 'generate', options.results, '--output', fresh, '--name', name];
  const config = join(paths.root, 'allurerc.mjs');
  // The project's configuration, with this report's title (the overview shows it).
  const derived = `${fresh}.allurerc.mjs`;
  if (await exists(config)) {
    await writeFile(derived, derivedConfig(config, name, fresh));
    args.push('--config', derived);
  }
  try {
    const run = await execa(process.execPath, args, {
      reject: false,
      all: true,
      env: { NO_COLOR: '1', FORCE_COLOR: '0', DRIVERLAB_APPEND_HISTORY: options.history ? '1' : '0' },
      cwd: paths.root,
    });
    if (run.exitCode !== 0 || !(await exists(join(fresh, 'index.html')))) {
      const output = (run.all ?? '').trim().split('\n').slice(-5).join(' | ');
      await rm(fresh, { recursive: true, force: true });
      throw new LabCompromisedError(
        `The HTML report could not be generated in '${options.output}', because Allure exited with code ${run.exitCode} (${output || 'no output'}); the results in '${options.results}' are untouched, so run 'driverlab report' again once the cause is fixed.`,
      );
    }
  } finally {
    await rm(derived, { force: true });
  }
  // Before anyone can open it: the data store declared before the app (else the page can stay on
  // its spinner for good) and no analytics tag (see page.ts).
  const index = join(fresh, 'index.html');
  try {
    const page = await readFile(index, 'utf8');
    const fixed = fixReportPage(page);
    if (fixed !== page) await writeFile(index, fixed);
  } catch (error) {
    await rm(fresh, { recursive: true, force: true });
    throw new LabCompromisedError(
      `The HTML report could not be finished in '${options.output}', because its page '${index}' could not be rewritten (${error instanceof Error ? error.message : String(error)}); the results in '${options.results}' are untouched, so run 'driverlab report' again once the cause is fixed.`,
    );
  }
  await swapFolder(fresh, options.output);
  return join(options.output, 'index.html');
}

/** An Allure configuration module: the project's, with the report's name and output replaced. */
export function derivedConfig(base: string, name: string, output: string): string {
  return `import base from ${JSON.stringify(pathToFileURL(base).href)};
const awesome = base.plugins?.awesome;
export default {
  ...base,
  name: ${JSON.stringify(name)},
  output: ${JSON.stringify(output)},
  plugins: awesome
    ? { ...base.plugins, awesome: { ...awesome, options: { ...awesome.options, reportName: ${JSON.stringify(name)} } } }
    : base.plugins,
};
`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
