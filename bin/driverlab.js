#!/usr/bin/env node
// The driverlab command line. Loads the TypeScript sources through tsx
// (see docs/adr/0001-tsx-and-typescript-7.md) and hands over to lab/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main, processIo } = await import('../lab/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), processIo);
