/**
 * `driverlab steps [--format md|json]`: every step a feature can use, with a one-line description
 * and an example, and the parameter types. docs/steps.md is this command's markdown.
 *
 * Where the catalog comes from: each step is defined with its description and example next to it
 * (support/catalog.ts records them as it hands the step to Cucumber). lab/ may not import Cucumber,
 * so this command loads the real step definitions in a child process (support/catalog-export.ts,
 * under tsx, through Cucumber's own loadSupport) and reads the record it prints. That is the
 * simplest design that cannot drift: there is no second copy of the steps to keep in sync, and the
 * child also lists every pattern Cucumber registered, so a step defined around the record is caught.
 */
import { execa } from 'execa';
import * as z from 'zod';
import { catalogJson, catalogMarkdown, StepCatalog } from '../../catalog/steps.js';
import { HarnessLogicError } from '../../errors.js';
import { paths } from '../../paths.js';
import { type CliIo, type Command, EXIT, parseCommandArgs, UsageError } from '../command.js';

const FORMATS = ['md', 'json'] as const;

const HELP = `Usage: driverlab steps [--format md|json]

Prints every step a feature can use, by domain (the steps file it lives in), with a one-line
description and an example, and the parameter types the steps take. docs/steps.md is the
markdown this prints.

Options:
  --format md|json  markdown (default) or one JSON document
  -h, --help        this text`;

const Export = z.object({
  catalog: StepCatalog,
  patterns: z.array(z.string()),
  badExamples: z.array(z.string()),
});

/** Loads the step definitions in a child process and returns the catalog they recorded. */
export async function loadStepCatalog(env: NodeJS.ProcessEnv = process.env): Promise<StepCatalog> {
  const child = await execa(process.execPath, ['--import', 'tsx', 'support/catalog-export.ts'], {
    cwd: paths.root,
    env,
    reject: false,
    timeout: 120_000,
  });
  const detail = (child.stderr || child.stdout).trim().split(/\r?\n/).slice(0, 3).join(' ');
  if (child.exitCode !== 0) {
    throw new HarnessLogicError(
      `The step definitions could not be loaded to list them (exit code ${child.exitCode ?? 'none'}: ${detail}); run 'npx cucumber-js --dry-run' to see the problem in the step files.`,
    );
  }
  let parsed: z.infer<typeof Export>;
  try {
    parsed = Export.parse(JSON.parse(child.stdout));
  } catch (error) {
    throw new HarnessLogicError(
      `The step catalog printed by support/catalog-export.ts is not valid (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); check that it prints one JSON document.`,
      { cause: error },
    );
  }
  const recorded = new Set(parsed.catalog.domains.flatMap((d) => d.steps.map((s) => s.expression)));
  const bypassed = parsed.patterns.filter((p) => !recorded.has(p));
  if (bypassed.length > 0) {
    throw new HarnessLogicError(
      `Some steps were defined without a description for the catalog (${bypassed.map((p) => `'${p}'`).join(', ')}); define them through domain() of support/catalog.ts.`,
    );
  }
  if (parsed.badExamples.length > 0) {
    throw new HarnessLogicError(
      `Some step examples are not matched by their own step (${parsed.badExamples.map((b) => `'${b}'`).join(', ')}); correct the example next to the step definition.`,
    );
  }
  return parsed.catalog;
}

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('steps', args, { format: { type: 'string' } });
  if (positionals.length > 0) {
    throw new UsageError(
      `'driverlab steps' takes no argument '${positionals[0]}'; run 'driverlab steps --help'.`,
    );
  }
  const format = values.format ?? 'md';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`'driverlab steps' has no format '${format}'; choose md or json.`);
  }
  const catalog = await loadStepCatalog(io.env);
  io.stdout(format === 'json' ? catalogJson(catalog) : catalogMarkdown(catalog));
  return EXIT.ok;
}

export const stepsCommand: Command = {
  name: 'steps',
  summary: 'list every step features can use, with a description and an example',
  help: HELP,
  run,
};
