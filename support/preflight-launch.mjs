// Starts the preflight of a run (support/preflight-run.ts; `driverlab run` runs this file with the
// request as its argument): from a bundle in dist/preflight/, built again whenever a source is
// newer, or, with DRIVERLAB_SUPPORT=sources or where it cannot be built, through tsx
// (support/bundle.mjs). Through tsx it took 2.0 s and 2.8 s of CPU on the seed features, before a
// run could start. Plain JavaScript: it runs before any TypeScript loader is set up.
import { loadModule } from './bundle.mjs';

const preflight = await loadModule('support/preflight-run.ts', 'preflight', 'the preflight');
preflight.preflightMain(process.argv[2]);
