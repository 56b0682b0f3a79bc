#!/usr/bin/env node
// The driverlab command line: lab/cli/main.ts, run from a bundle in dist/cli/ that is built again
// whenever a source it was built from is newer (support/bundle.mjs), with source maps on so stack
// traces name the TypeScript files. Where the bundle cannot be built, the sources run through tsx
// (see docs/adr/0001-tsx-and-typescript-7.md), and the first line says why.
import { pathToFileURL } from 'node:url';
import { ensureModuleBundle, whyNotBundled } from '../support/bundle.mjs';

async function load() {
  if (process.env.DRIVERLAB_SUPPORT !== 'sources') {
    let bundle;
    try {
      bundle = ensureModuleBundle('lab/cli/main.ts', 'cli');
    } catch (error) {
      process.stderr.write(
        `driverlab: the command line runs from its sources through tsx, because it could not be bundled (${whyNotBundled(error)}).\n`,
      );
    }
    if (bundle) {
      process.setSourceMapsEnabled(true);
      return import(pathToFileURL(bundle).href);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('../lab/cli/main.ts');
}

const { main, processIo } = await load();
process.exitCode = await main(process.argv.slice(2), processIo);
