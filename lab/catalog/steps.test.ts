import { deepStrictEqual, equal, match, ok } from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catalogMarkdown, closestSteps, type StepCatalog, undefinedStepAdvice } from './steps.js';

const catalog: StepCatalog = {
  domains: [
    {
      name: 'crash',
      summary: 'Bug checks',
      steps: [
        {
          keyword: 'Then',
          expression: 'the VM bugchecks with {bugcheck}',
          description: 'd',
          example: 'Then the VM bugchecks with 0xD6',
        },
        {
          keyword: 'When',
          expression: 'a memory dump of the VM is taken',
          description: 'd',
          example: 'When a memory dump of the VM is taken',
        },
      ],
    },
    {
      name: 'vm',
      summary: 'The VM',
      steps: [
        { keyword: 'When', expression: 'the VM restarts', description: 'd', example: 'When the VM restarts' },
        { keyword: 'Given', expression: 'a test VM', description: 'a | b', example: 'Given a test VM' },
      ],
    },
  ],
  parameterTypes: [{ name: 'bugcheck', description: 'a bug check', examples: ['0xD6'] }],
};

describe('the step catalog', () => {
  test('the closest steps share the most words with the text, parameters aside', () => {
    deepStrictEqual(
      closestSteps('the VM bugchecks twice with 0xD6', catalog).map((s) => s.expression),
      ['the VM bugchecks with {bugcheck}', 'the VM restarts'],
    );
    deepStrictEqual(closestSteps('the filter stack is sorted', catalog), []);
  });

  test('an undefined step gets one sentence, the closest steps and a snippet in the house form', () => {
    const advice = undefinedStepAdvice(
      'When',
      'the VM bugchecks twice with 0xD6',
      {
        expression: 'the VM bugchecks twice with {bugcheck}',
        parameters: [{ name: 'bugcheck', type: 'BugcheckId' }],
      },
      catalog,
    );
    equal(
      advice.sentence,
      "The step 'When the VM bugchecks twice with 0xD6' has no definition, so the scenario cannot run; the closest steps are 'Then the VM bugchecks with {bugcheck}', 'When the VM restarts' (see docs/steps.md), or define it in the steps file of its domain:",
    );
    equal(
      advice.snippet,
      [
        'When(',
        "  'the VM bugchecks twice with {bugcheck}',",
        "  { description: '…', example: 'When the VM bugchecks twice with 0xD6' },",
        '  async function (this: LabWorld, bugcheck: BugcheckId) {',
        '    // one line into the World or the lab ports',
        '  },',
        ');',
      ].join('\n'),
    );
  });

  test('a step nothing resembles says so', () => {
    const advice = undefinedStepAdvice(
      'Then',
      "the filter stack's order is sorted",
      { expression: "the filter stack's order is sorted", parameters: [] },
      catalog,
    );
    match(advice.sentence, /no existing step is close \(see docs\/steps\.md\)/);
    ok(advice.snippet.includes("'the filter stack\\'s order is sorted',"));
  });

  test('the markdown lists parameter types and one table per domain, pipes escaped', () => {
    const md = catalogMarkdown(catalog);
    match(md, /^\| `\{bugcheck\}` \| a bug check {3}\| `0xD6` {3}\|$/m);
    match(md, /^## vm\n\nThe VM \(`steps\/vm\.steps\.ts`\)$/m);
    match(md, /^\| `Given a test VM` +\| a \\\| b +\| `Given a test VM` +\|$/m);
    match(md, /4 steps in 2 domains/);
  });
});
