/**
 * `driverlab steps` reads the step catalog from here, in a child process under tsx (lab/ may not
 * import Cucumber): this loads the support code and step files through Cucumber's own API, which
 * defines every step as a run would, then prints the recorded catalog as JSON, together with every
 * pattern Cucumber registered, so the caller can tell a definition that bypassed the record.
 *
 * Cucumber imports this file as support code too; it only acts when run as the main module.
 */
import { fileURLToPath } from 'node:url';

/** The support code and steps, as cucumber.mjs imports them. */
export const SUPPORT_IMPORTS = ['support/tsx-register.js', 'support/**/*.ts', 'steps/**/*.ts'];

async function main(): Promise<void> {
  const { loadSupport } = await import('@cucumber/cucumber/api');
  const { paths } = await import('../lab/index.js');
  const library = await loadSupport(
    {
      sources: { paths: [], defaultDialect: 'en', names: [], tagExpression: '', order: 'defined' },
      support: { requireModules: [], requirePaths: [], importPaths: SUPPORT_IMPORTS, loaders: [] },
    },
    { cwd: paths.root },
  );
  const { recordedSteps, stepCatalog } = await import('./catalog.js');
  // The public type hides the definitions; the runtime object has them (read through a schema).
  const { z } = await import('zod');
  const { stepDefinitions } = z
    .object({ stepDefinitions: z.array(z.object({ pattern: z.union([z.string(), z.instanceof(RegExp)]) })) })
    .parse(library);
  const patterns = stepDefinitions.map((d) => String(d.pattern));
  // Every example must be a step its own expression matches, or the catalog teaches a wrong line.
  const badExamples = recordedSteps()
    .filter((s) => s.compiled.match(s.example.replace(/^(Given|When|Then|And|But) /, '')) === null)
    .map((s) => `${s.keyword} ${s.expression}: ${s.example}`);
  process.stdout.write(`${JSON.stringify({ catalog: stepCatalog(), patterns, badExamples })}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
