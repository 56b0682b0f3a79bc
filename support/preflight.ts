/**
 * The preflight check of a scenario, before any VM is touched: every step must match exactly one
 * step definition, and every parameter must read (a driver of the lab file, a verifier option, a
 * KDNET port, a count in range …). Every problem of every step is found, not only the first: an
 * undefined step gets the closest existing steps and a snippet, a wrong parameter the sentence its
 * type gives, each pinned to its own step.
 *
 * Two callers: `driverlab run` checks every selected scenario this way before the run starts
 * (support/preflight-run.ts, also its --dry-run), and the first Before hook of every scenario
 * checks its own again, which is what a plain `cucumber-js` run has.
 */
import type { ITestCaseHookParameter } from '@cucumber/cucumber';
import {
  ConfigurationError,
  checkServable,
  DriverlabError,
  describeError,
  type HypervLab,
  requirementOf,
  undefinedStepAdvice,
} from '../lab/index.js';
import { generatedExpression, recordedSteps, stepCatalog } from './catalog.js';
import { budgetOf } from './watchdog.js';

const KEYWORDS: Readonly<Record<string, string>> = {
  Context: 'Given',
  Action: 'When',
  Outcome: 'Then',
};

type Pickle = ITestCaseHookParameter['pickle'];

export interface StepProblem {
  /** The pickle step's AST node ids (the step, then the example row of an outline). */
  astNodeIds: readonly string[];
  /** The step as written, keyword first. */
  step: string;
  /** One sentence (an undefined step's snippet follows on its own lines). */
  message: string;
}

/** Every problem of every step of the pickle; `world` is what the parameter types read (its lab). */
export async function stepProblems(world: unknown, pickle: Pickle): Promise<StepProblem[]> {
  const steps = recordedSteps();
  const problems: StepProblem[] = [];
  for (const step of pickle.steps) {
    const keyword = KEYWORDS[step.type ?? ''] ?? 'Given';
    const at = { astNodeIds: step.astNodeIds, step: `${keyword} ${step.text}` };
    const matches = steps.flatMap((s) => {
      const args = s.compiled.match(step.text);
      return args ? [{ s, args }] : [];
    });
    if (matches.length === 0) {
      const advice = undefinedStepAdvice(keyword, step.text, generatedExpression(step.text), stepCatalog());
      problems.push({ ...at, message: `${advice.sentence}\n${advice.snippet}` });
      continue;
    }
    if (matches.length > 1) {
      problems.push({
        ...at,
        message: `The step '${keyword} ${step.text}' matches ${matches.length} step definitions (${matches.map((m) => `'${m.s.keyword} ${m.s.expression}' in steps/${m.s.domain}.steps.ts`).join(', ')}), so it is ambiguous; reword the step or one of the definitions.`,
      });
      continue;
    }
    for (const arg of matches[0]?.args ?? []) {
      try {
        arg.getValue(world);
      } catch (error) {
        problems.push({
          ...at,
          message: error instanceof DriverlabError ? error.message : describeError(error),
        });
      }
    }
  }
  problems.push(...scenarioProblems(world, pickle));
  return problems;
}

/**
 * What the scenario's tags ask of the lab: a VM with the capabilities of its `@needs:` tags (and
 * the VM it names) must be in the lab, and its `@budget:` must read as a duration. Reported at the
 * scenario's first step.
 */
function scenarioProblems(world: unknown, pickle: Pickle): StepProblem[] {
  const lab = (world as { lab?: HypervLab }).lab;
  const first = pickle.steps[0];
  if (!lab || !first) return [];
  const at = {
    astNodeIds: first.astNodeIds,
    step: `the scenario's tags (${pickle.tags.map((t) => t.name).join(' ')})`,
  };
  const tags = pickle.tags.map((t) => t.name);
  const problems: StepProblem[] = [];
  const vms = lab.file.data.vms.map((vm) => ({ name: vm.name, capabilities: vm.capabilities }));
  const checks = [
    () => {
      const wanted = requirementOf(
        tags,
        pickle.steps.map((s) => s.text),
      );
      // A VM name the lab lacks is the {vm} parameter's problem, reported at its step already.
      const named = wanted.vm === undefined || vms.some((vm) => vm.name === wanted.vm);
      checkServable(vms, named ? wanted : { capabilities: wanted.capabilities }, lab.name);
    },
    () => budgetOf(tags, lab.timeouts.scenario),
  ];
  for (const check of checks) {
    try {
      check();
    } catch (error) {
      problems.push({
        ...at,
        message: error instanceof DriverlabError ? error.message : describeError(error),
      });
    }
  }
  return problems;
}

/** Checks the scenario's steps and parameters; throws every problem found as one configuration error. */
export async function preflight(world: unknown, pickle: Pickle): Promise<void> {
  const problems = await stepProblems(world, pickle);
  if (problems.length === 0) return;
  if (problems.length === 1) throw new ConfigurationError((problems[0] as StepProblem).message);
  throw new ConfigurationError(
    `The scenario has ${problems.length} problems, each on its own step, so it cannot run:\n${problems.map((p) => `- ${p.step}: ${p.message}`).join('\n')}`,
  );
}
