// Cucumber profiles. `driverlab run` picks one (default, or hyperv when a lab file is named);
// `cucumber-js -p <name>` works the same.
import { rmSync } from 'node:fs';
import { supportImports } from './support/bundle.mjs';

// `driverlab run` gives each run a folder of its own (reports/runs/<id>/) and publishes its files
// to reports/ whole when it ends; a plain `cucumber-js` run writes to reports/ directly.
const runDir = process.env.DRIVERLAB_RUN_DIR || 'reports';
const resultsDir = `${runDir}/allure-results`;

// A plain cucumber-js run cleans the Allure results at its start, once: in the coordinator, never
// in a worker. A driverlab run's folder is new, so there is nothing to clean.
if (!process.env.CUCUMBER_WORKER_ID && !process.env.DRIVERLAB_RUN_DIR) {
  rmSync(resultsDir, { recursive: true, force: true });
}

// `driverlab run features/x.feature[:12]` runs just that: the paths replace the profile's.
const featurePaths = process.env.DRIVERLAB_PATHS
  ? JSON.parse(process.env.DRIVERLAB_PATHS)
  : ['features/**/*.feature'];

const common = {
  paths: featurePaths,
  // The support and step files, bundled into one module (support/bundle.mjs) or through tsx.
  import: supportImports(['support/**/*.ts', 'steps/**/*.ts']),
  format: [
    // One line per finished scenario (a live progress line on a terminal); see support/console-formatter.mjs.
    './support/console-formatter.mjs',
    // Allure gets a file target of its own: two formatters on stdout silently drop one. It is
    // allure-cucumberjs's reporter, writing without an fsync per file (support/allure-writer.mjs).
    ['./support/allure-writer.mjs', `${runDir}/allure-formatter.log`],
    ['message', `${runDir}/cucumber-messages.ndjson`],
    ['junit', `${runDir}/junit.xml`],
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
