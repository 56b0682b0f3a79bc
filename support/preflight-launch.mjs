// Starts the preflight of a run (support/preflight-run.ts; `driverlab run` runs this file with the
// request as its argument): from a bundle in dist/preflight/, built again whenever a source is
// newer (support/bundle.mjs), or, with DRIVERLAB_SUPPORT=sources or where it cannot be built,
// through tsx. Through tsx it took 2.0 s and 2.8 s of CPU on the seed features, before a run could
// start. Plain JavaScript: it runs before any TypeScript loader is set up.
import { pathToFileURL } from 'node:url';
import { ensureModuleBundle, whyNotBundled } from './bundle.mjs';

let bundle;
if (process.env.DRIVERLAB_SUPPORT !== 'sources') {
  try {
    bundle = ensureModuleBundle('support/preflight-run.ts', 'preflight');
  } catch (error) {
    process.stderr.write(
      `driverlab: the preflight runs from its sources through tsx, because it could not be bundled (${whyNotBundled(error)}).\n`,
    );
  }
}
let preflight;
if (bundle) {
  process.setSourceMapsEnabled(true);
  preflight = await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  preflight = await import('./preflight-run.ts');
}
preflight.preflightMain(process.argv[2]);
