/**
 * The preflight of a whole run, in a child process (lab/ may not import Cucumber; started by
 * support/preflight-launch.mjs, from a bundle or through tsx):
 * `driverlab run` starts it before anything runs, and `driverlab run --dry-run` is only this.
 * It loads the configuration and the features as the run would (same profile, paths, tags and
 * names), lets Cucumber plan the run as a dry run (no hook runs, no VM is touched), then checks
 * every step of every selected scenario (support/preflight.ts) and prints one JSON document: how
 * many scenarios are selected, and every problem with its feature file and line.
 *
 * Cucumber imports this file as support code too; it only acts when run as the main module.
 */

import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Envelope, GherkinDocument, Pickle } from '@cucumber/messages';
import { isSupportBundle } from './bundle.mjs';

/** What `driverlab run` asks for (argv[2], JSON). */
interface Request {
  profile: string;
  tags?: string;
  names?: string[];
  lab?: string;
}

/** One problem, pinned to a line of a feature file. */
export interface PreflightProblem {
  uri: string;
  line: number;
  /** The step as written, keyword first, or null for a problem of the file itself. */
  step: string | null;
  message: string;
}

/** Where each AST node of a Gherkin document is: step and example-row ids → their lines. */
function linesOf(document: GherkinDocument): Map<string, number> {
  const lines = new Map<string, number>();
  const visitSteps = (steps: readonly { id: string; location: { line: number } }[]) => {
    for (const s of steps) lines.set(s.id, s.location.line);
  };
  const visitScenarioLike = (child: {
    background?: { steps: readonly { id: string; location: { line: number } }[] };
    scenario?: {
      id: string;
      location: { line: number };
      steps: readonly { id: string; location: { line: number } }[];
      examples: readonly { tableBody: readonly { id: string; location: { line: number } }[] }[];
    };
  }) => {
    if (child.background) visitSteps(child.background.steps);
    if (child.scenario) {
      lines.set(child.scenario.id, child.scenario.location.line);
      visitSteps(child.scenario.steps);
      for (const examples of child.scenario.examples) {
        for (const row of examples.tableBody) lines.set(row.id, row.location.line);
      }
    }
  };
  for (const child of document.feature?.children ?? []) {
    visitScenarioLike(child);
    for (const ruleChild of child.rule?.children ?? []) visitScenarioLike(ruleChild);
  }
  return lines;
}

/** The support modules the checks need, from where Cucumber loaded the support code. */
interface SupportApi {
  labFilePath: typeof import('./runtime.js').labFilePath;
  openLabFile: typeof import('./fixtures.js').openLabFile;
  stepProblems: typeof import('./preflight.js').stepProblems;
}

/**
 * The step checks read the record the support modules keep as Cucumber loads the steps, so they
 * must come from the modules Cucumber loaded: the run's bundle (support/bundle.mjs exports them;
 * importing it again gives the loaded module), or, when the support code was loaded from its
 * sources through tsx, this process's own modules, which are those.
 */
async function supportApi(importPaths: readonly string[], root: string): Promise<SupportApi> {
  const bundle = importPaths.find(isSupportBundle);
  if (bundle) return (await import(pathToFileURL(resolve(root, bundle)).href)) as SupportApi;
  const [{ labFilePath }, { openLabFile }, { stepProblems }] = await Promise.all([
    import('./runtime.js'),
    import('./fixtures.js'),
    import('./preflight.js'),
  ]);
  return { labFilePath, openLabFile, stepProblems };
}

async function main(request: Request): Promise<void> {
  const { loadConfiguration, runCucumber } = await import('@cucumber/cucumber/api');
  const { paths } = await import('../lab/index.js');
  const provided: Record<string, unknown> = {};
  if (request.tags) provided.tags = request.tags;
  if (request.names && request.names.length > 0) provided.name = request.names;
  const { runConfiguration } = await loadConfiguration(
    { profiles: [request.profile], provided },
    { cwd: paths.root },
  );
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const documents = new Map<string, GherkinDocument>();
  const parsed: Pickle[] = [];
  // Cucumber emits every pickle it parsed, then a test case for each one the selection keeps.
  const selected = new Set<string>();
  const problems: PreflightProblem[] = [];
  await runCucumber(
    {
      ...runConfiguration,
      runtime: { ...runConfiguration.runtime, dryRun: true, parallel: 0, retry: 0 },
      formats: { stdout: 'summary', files: {}, options: {}, publish: false },
    },
    { cwd: paths.root, stdout: sink, stderr: sink, env: process.env },
    (envelope: Envelope) => {
      if (envelope.gherkinDocument?.uri)
        documents.set(envelope.gherkinDocument.uri, envelope.gherkinDocument);
      if (envelope.pickle) parsed.push(envelope.pickle);
      if (envelope.testCase) selected.add(envelope.testCase.pickleId);
      if (envelope.parseError) {
        const { source, message } = envelope.parseError;
        problems.push({
          uri: source.uri ?? '?',
          line: source.location?.line ?? 0,
          step: null,
          message: `The feature file cannot be read as Gherkin (${message}); correct it.`,
        });
      }
    },
  );

  const pickles = parsed.filter((p) => selected.has(p.id));

  // The parameter types read the lab file (its VMs, its drivers); nothing is started.
  const { labFilePath, openLabFile, stepProblems } = await supportApi(
    runConfiguration.support.importPaths ?? [],
    paths.root,
  );
  const world = { lab: await openLabFile(labFilePath(request.lab, false)) };
  const seen = new Set<string>();
  for (const pickle of pickles) {
    const lines = documents.get(pickle.uri)
      ? linesOf(documents.get(pickle.uri) as GherkinDocument)
      : new Map();
    for (const problem of await stepProblems(world, pickle)) {
      const [stepId, rowId] = problem.astNodeIds;
      const line = lines.get(stepId ?? '') ?? 0;
      const row = rowId ? lines.get(rowId) : undefined;
      // A Background step or an outline's step shared by several scenarios is reported once per example row.
      const key = `${pickle.uri}:${line}:${row ?? ''}:${problem.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push({
        uri: pickle.uri,
        line,
        step: problem.step,
        message: row ? `${problem.message} (in the example at line ${row})` : problem.message,
      });
    }
  }
  problems.sort((a, b) => a.uri.localeCompare(b.uri) || a.line - b.line);
  process.stdout.write(
    `${JSON.stringify({
      selected: pickles.length,
      scenarios: pickles.map((p) => ({ uri: p.uri, name: p.name })),
      problems,
    })}\n`,
  );
}

/** Runs the preflight for the request `argument` (JSON) and ends the process: 0 with its report printed, 1 when it could not run. */
export function preflightMain(argument: string | undefined): void {
  main(JSON.parse(argument ?? '{}') as Request).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) preflightMain(process.argv[2]);
