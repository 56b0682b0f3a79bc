/** Where driverlab's own files are, independent of the directory a command is started from. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (package.json, cucumber.mjs, lab/): found by walking up from this module, so it
 * is right both from the sources and from a bundle in dist/.
 */
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'driverlab')
          return dir;
      } catch {
        // Not ours: keep walking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`driverlab's package.json was not found above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

/**
 * Where runs write their files: reports/ in the project, or the folder DRIVERLAB_REPORTS names (a
 * test that runs driverlab gives its runs a folder of their own, so a test run beside it in the same
 * clone never reads its files).
 */
const reports = process.env.DRIVERLAB_REPORTS
  ? resolve(process.env.DRIVERLAB_REPORTS)
  : join(projectRoot, 'reports');

export const paths = {
  root: projectRoot,
  reports,
  allureResults: join(reports, 'allure-results'),
  allureReport: join(reports, 'allure-report'),
  summary: join(reports, 'summary.json'),
  embeddedLab: join(projectRoot, 'lab', 'labs', 'embedded.yaml'),
  operationScripts: join(projectRoot, 'lab', 'hyperv', 'ops', 'scripts'),
} as const;

/** cucumber-js's command-line entry (not in the package's exports, so found beside its package.json). */
export function cucumberBin(): string {
  const manifest = createRequire(import.meta.url).resolve('@cucumber/cucumber/package.json');
  return join(dirname(manifest), 'bin', 'cucumber.js');
}
