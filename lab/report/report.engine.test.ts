/**
 * The report, checked in a real browser: the fixture project (test/fixtures/gate/) runs a passed, a
 * failed and a waived scenario and a lab fault on the embedded lab; the HTML report is built from
 * those results as `driverlab run` builds it (known issues marked, the environment written) and
 * opened in headless Chromium — Debian's `chromium`, found through DRIVERLAB_CHROMIUM or
 * /usr/bin/chromium, never a downloaded browser build. The epic tree, a failed scenario with its
 * sentence, a lab category, a crash-bucket label and an attachment must be visible; a screenshot
 * is saved as reports/report-in-chromium.png.
 */
import { equal, ok } from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { loadLabFile } from '../config/lab-file.js';
import { gateMarkdown } from '../gate/markdown.js';
import { DEFAULT_POLICY } from '../gate/policy.js';
import { readAttempts, runRecord } from '../gate/record.js';
import { judge } from '../gate/verdict.js';
import { loadWaivers, markKnownIssues, type Waivers } from '../gate/waivers.js';
import { cucumberBin, paths } from '../paths.js';
import { runContext, writeRunContext } from './environment.js';
import { generateHtmlReport } from './html.js';
import { callsAnalytics, dataStoreComesFirst } from './page.js';

const CONFIG = 'test/fixtures/gate/cucumber.mjs';
const none: Waivers = { file: 'none', list: [], covering: () => null };
const BUCKET = 'AV_VRF_W_myfault!unknown_function';
/** How long a wait for the page may take before the test gives up. */
const WAIT_MS = 150_000;

function findChromium(): string | null {
  const named = process.env.DRIVERLAB_CHROMIUM;
  if (named) return named;
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin')) {
    for (const name of ['chromium', 'chromium-browser']) {
      if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

/** Keeps what goes wrong on a page: its script errors, its refused requests and its console errors. */
function watch(page: Page, into: string[]): void {
  page.on('pageerror', (error) => into.push(`page error: ${String(error)}`));
  page.on('requestfailed', (request) =>
    into.push(`refused: ${request.url().slice(0, 120)} ${request.failure()?.errorText ?? ''}`),
  );
  page.on('console', (message) => {
    if (message.type() === 'error') into.push(`console: ${message.text().split('\n')[0]}`);
  });
}

const executable = findChromium();
if (executable === null) {
  const how =
    'the browser tier did not run: no Chromium (set DRIVERLAB_CHROMIUM, or run .ci/engines/chromium.sh install)';
  if (process.env.CI === 'true') throw new Error(how);
  console.log(how);
}

describe('the report in headless Chromium', { skip: executable === null, timeout: 900_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'driverlab-report-browser-'));
  const results = join(root, 'allure-results');
  let index: string;
  let browser: BrowserContext;
  let page: Page;
  /** What the report's pages said went wrong: their errors, refused requests and error messages. */
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(results, { recursive: true });
    for (const profile of ['default', 'faults']) {
      const run = await execa(process.execPath, [cucumberBin(), '--config', CONFIG, '--profile', profile], {
        cwd: paths.root,
        env: { FIXTURE_RESULTS: results, DRIVERLAB_LAB: '' },
        reject: false,
        timeout: 120_000,
      });
      equal(run.exitCode, 1, `the ${profile} fixture run has failed or broken scenarios`);
    }
    const waivers = join(root, 'waivers.yaml');
    writeFileSync(
      waivers,
      `waivers:\n  - bucket: "${BUCKET}"\n    justification: "tracked in BUG-1234"\n    owner: storage-team\n    expires: 2999-01-31\n`,
    );
    await markKnownIssues(results, await loadWaivers(waivers));
    const context = await runContext(
      await loadLabFile(paths.embeddedLab),
      { profile: 'default', tags: null, complete: true },
      { DRIVERLAB_CI_NAME: 'fixture CI', DRIVERLAB_BUILD_URL: 'https://ci.example/builds/1' },
    );
    await writeRunContext(context, results, join(root, 'run-context.json'));
    index = await generateHtmlReport({ results, output: join(root, 'allure-report') });
    browser = await chromium.launchPersistentContext(join(root, 'chromium-profile'), {
      executablePath: executable as string,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage();
    // Each wait is a safety net, not a timing expectation: on a loaded machine (two suites beside each
    // other on two cores) the report's script can take far longer than Playwright's 30 s default.
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    watch(page, pageErrors);
    await page.goto(`file://${index}`);
  });

  after(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test("the page declares the report's data before its app and calls no analytics; five loads show the tree with no error", async () => {
    // The app reads its data from the page only if the data store exists when it asks; Allure
    // declares it after the app (lab/report/page.ts). Before the fix one load in five on a
    // loaded machine fetched instead, was refused (file://) and kept its spinner.
    const html = readFileSync(index, 'utf8');
    ok(dataStoreComesFirst(html), 'the data store is declared before the app');
    ok(!callsAnalytics(html), 'the page loads or configures no analytics tag');
    const tree = (p: Page) => p.getByText('Release candidate', { exact: true }).first();
    await tree(page).waitFor();
    for (let load = 2; load <= 5; load += 1) {
      const again = await browser.newPage();
      again.setDefaultTimeout(WAIT_MS);
      again.setDefaultNavigationTimeout(WAIT_MS);
      watch(again, pageErrors);
      await again.goto(`file://${index}`);
      await tree(again).waitFor();
      await again.close();
    }
    // No refused fetch of its data, no request to the network, no script error.
    equal(pageErrors.length, 0, `the report's pages had errors:\n${pageErrors.join('\n')}`);
  });

  const leaf = (name: string) => page.locator('[data-testid="tree-leaf"]', { hasText: name });

  test('the results tree groups by epic › feature › scenario', async () => {
    await page.getByText('Release candidate', { exact: true }).first().waitFor();
    for (const node of ['Run', 'Faults', 'Release candidate', 'Lab fault']) {
      await page.getByText(node, { exact: true }).first().waitFor();
    }
    await leaf('the VM never reports a healthy heartbeat').waitFor();
  });

  test('a failed scenario shows its sentence', async () => {
    await leaf('an IRP log entry is expected from a driver that issued none').click();
    const sentence = page.getByText(
      /AssertionError: Expected the IRP log to have an entry with SpecialApcDisable = -1 issued from myfault\.sys, because Driver Verifier checks all drivers with 0x410/,
    );
    await sentence.first().waitFor();
    await page.getByText('Category: Product: expectation not met').waitFor();
    await page.goBack();
  });

  test('the waived crash shows its bucket label, its category and its !analyze attachment', async () => {
    await leaf('an overrun under special pool is expected to be an IRQL bug check').click();
    await page.getByText('Category: Product: known issue (waived)').waitFor();
    const more = page.getByText('Show more', { exact: true });
    if (await more.first().isVisible()) await more.first().click();
    await page.getByText('crash-bucket', { exact: true }).waitFor();
    await page.getByText(BUCKET, { exact: true }).first().waitFor();
    await page.getByText('Attachments', { exact: false }).first().click();
    await page.getByText('kd !analyze -v.txt', { exact: true }).first().waitFor();
    mkdirSync(paths.reports, { recursive: true });
    await page.screenshot({ path: join(paths.reports, 'report-in-chromium.png'), fullPage: true });
    await page.goBack();
  });

  test("gate.md's link to a scenario opens its page in the report", async () => {
    const run = runRecord(await readAttempts(results), null);
    const report = judge({ run, history: [], baselineId: null, policy: DEFAULT_POLICY, waivers: none });
    const failed = 'Release candidate › an IRP log entry is expected from a driver that issued none';
    const link = /\]\((index\.html#[0-9a-f]{32})\)/.exec(
      gateMarkdown(report, 'index.html')
        .split('\n')
        .find((l) => l.includes(failed)) ?? '',
    );
    ok(link, 'gate.md links the failed scenario');
    await page.goto(`file://${join(root, 'allure-report', link[1] as string)}`);
    await page.getByText('Category: Product: expectation not met').waitFor();
  });

  test('the categories separate the lab from the product', async () => {
    await page.goto(`file://${index}#categories`);
    for (const category of [
      'Lab: VM not ready',
      'Product: known issue (waived)',
      'Product: expectation not met',
    ]) {
      await page.getByText(category, { exact: true }).first().waitFor();
    }
  });

  test('the environment names the lab, the drivers with versions and hashes, and the executor', async () => {
    await page.goto(`file://${index}`);
    await page.getByText('Metadata').first().waitFor();
    await page.getByText('embedded (lab/labs/embedded.yaml)').waitFor();
    await page
      .getByText(/^1\.0\.0\.0 \(06\/14\/2012\), sha256 [0-9a-f]{16}…$/)
      .first()
      .waitFor();
    await page.getByText('fixture CI · https://ci.example/builds/1').waitFor();
  });
});
