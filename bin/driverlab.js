#!/usr/bin/env node
// The driverlab command line: lab/cli/main.ts, run from a bundle in dist/cli/ that is built again
// whenever a source it was built from is newer, with source maps on so stack traces name the
// TypeScript files; where the bundle cannot be built, from the sources through tsx, and the first
// line says why (support/bundle.mjs, docs/adr/0001-tsx-and-typescript-7.md).
import { loadModule } from '../support/bundle.mjs';

const { main, processIo } = await loadModule('lab/cli/main.ts', 'cli', 'the command line');
process.exitCode = await main(process.argv.slice(2), processIo);
