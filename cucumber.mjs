// Cucumber profiles. `driverlab run` picks one (default, or hyperv when a lab file is named);
// `cucumber-js -p <name>` works the same.
import { rmSync } from 'node:fs';
import { join } from 'node:path';

// A run may name a folder of its own for everything it writes (a fleet agent runs each scenario
// in one); otherwise reports/.
const outDir = process.env.DRIVERLAB_RESULTS_DIR || 'reports';
const resultsDir = join(outDir, 'allure-results');

// Clean the Allure results at the start of every run, once: in the coordinator, never in a worker,
// and never in a retry of broken scenarios (DRIVERLAB_KEEP_RESULTS), whose earlier attempts stay.
if (!process.env.CUCUMBER_WORKER_ID && !process.env.DRIVERLAB_KEEP_RESULTS) {
  rmSync(resultsDir, { recursive: true, force: true });
}

const common = {
  // Every feature, unless the caller names the features itself (paths given on the command line
  // are added to these, never instead of them).
  paths: process.env.DRIVERLAB_SELECTED_PATHS_ONLY ? [] : ['features/**/*.feature'],
  import: ['support/tsx-register.js', 'support/**/*.ts', 'steps/**/*.ts'],
  format: [
    'progress',
    // Allure gets a file target of its own: two formatters on stdout silently drop one. It is
    // allure-cucumberjs's reporter, writing without an fsync per file (support/allure-writer.mjs).
    ['./support/allure-writer.mjs', join(outDir, 'allure-formatter.log')],
    ['message', join(outDir, 'cucumber-messages.ndjson')],
    ['junit', join(outDir, 'junit.xml')],
  ],
  formatOptions: {
    resultsDir,
    junit: { suiteName: 'driverlab' },
    // An undefined step's snippet names the closest existing steps and uses the house form.
    snippetSyntax: './support/snippet-syntax.mjs',
    labels: [
      { pattern: [/^@epic:(.*)$/], name: 'epic' },
      { pattern: [/^@severity:(.*)$/], name: 'severity' },
      { pattern: [/^@owner:(.*)$/], name: 'owner' },
    ],
    links: {
      issue: { pattern: [/^@issue:(.*)$/], urlTemplate: '%s' },
    },
  },
  worldParameters: { lab: 'lab/labs/embedded.yaml' },
};

/** The embedded simulated lab: runs anywhere Node runs. */
export default common;

/** A real Hyper-V lab: the lab file comes from DRIVERLAB_LAB (`driverlab run --lab FILE` sets it). */
export const hyperv = {
  ...common,
  worldParameters: { lab: process.env.DRIVERLAB_LAB ?? '', requireLabFile: true },
};

/** The nightly selection: everything that is not work in progress or manual. */
export const nightly = { ...common, tags: 'not @wip and not @manual' };

/** The release gate: the scenarios release managers gate on. */
export const gating = { ...common, tags: '@gating and not @wip' };
