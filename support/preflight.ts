/**
 * The preflight check, run by the first Before hook of every scenario, before any VM is touched:
 * every step of the scenario must match exactly one step definition, and every parameter must read
 * (a driver of the catalog, a verifier option, a KDNET port …). A step without a definition gets
 * the closest existing steps and a snippet; a wrong parameter the sentence its type gives.
 */
import type { ITestCaseHookParameter } from '@cucumber/cucumber';
import { ConfigurationError } from '../lab/index.js';
import { generatedExpression, recordedSteps, stepCatalog } from './catalog.js';
import type { LabWorld } from './world.js';

const KEYWORDS: Readonly<Record<string, string>> = {
  Context: 'Given',
  Action: 'When',
  Outcome: 'Then',
};

/** Checks every step of the pickle against the step definitions and reads its parameters. */
export async function preflight(world: LabWorld, pickle: ITestCaseHookParameter['pickle']): Promise<void> {
  const steps = recordedSteps();
  for (const step of pickle.steps) {
    const keyword = KEYWORDS[step.type ?? ''] ?? 'Given';
    const matches = steps.flatMap((s) => {
      const args = s.compiled.match(step.text);
      return args ? [{ s, args }] : [];
    });
    if (matches.length === 0) {
      const { undefinedStepAdvice } = await import('../lab/index.js');
      const advice = undefinedStepAdvice(keyword, step.text, generatedExpression(step.text), stepCatalog());
      throw new ConfigurationError(`${advice.sentence}\n${advice.snippet}`);
    }
    if (matches.length > 1) {
      throw new ConfigurationError(
        `The step '${keyword} ${step.text}' matches ${matches.length} step definitions (${matches.map((m) => `'${m.s.keyword} ${m.s.expression}' in steps/${m.s.domain}.steps.ts`).join(', ')}), so it is ambiguous; reword the step or one of the definitions.`,
      );
    }
    const [only] = matches;
    for (const arg of only?.args ?? []) arg.getValue(world);
  }
}
