import { strict as expect } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkCircles, checkLayout, importCircles, importsOf, loadRules } from './check-layout.js';

const rules = loadRules(join(dirname(fileURLToPath(import.meta.url)), 'layout-rules.json'));
const roots: string[] = [];

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'driverlab-layout-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe('the layout check', () => {
  it('passes a tree that keeps the rules', () => {
    const root = tree({
      'lab/errors.ts': "import { z } from 'zod';\nexport const x = z.string();\n",
      'lab/parsers/pool.ts': "import { z } from 'zod';\nimport { hex } from './hex.js';\n",
      'lab/parsers/hex.ts': 'export const hex = 1;\n',
      'steps/vm.steps.ts':
        "import { Given } from '@cucumber/cucumber';\nimport type { LabWorld } from '../support/world.js';\n",
      'support/world.ts':
        "import * as allure from 'allure-js-commons';\nimport { x } from '../lab/index.js';\n",
      'lab/compose.ts': "import { embeddedHostCommand } from './sim/launch.js';\n",
      'lab/hyperv/lab.ts': "import type { LabWiring } from '../wiring.js';\n",
      'lab/kd/session.test.ts': "import { KdnetTargetEndpoint } from '../sim/kdnet/target.js';\n",
      'lab/sim/host/run.ts': "import { vmNotFound } from '../model/errors.js';\n",
      'features/vm/a.feature': 'Feature: a\n',
    });
    expect.deepEqual(checkLayout(root, rules), []);
  });

  it('fails on a planted Cucumber import in lab/ and names the import and the rule', () => {
    const root = tree({ 'lab/hyperv/bad.ts': "import { Given } from '@cucumber/cucumber';\n" });
    const violations = checkLayout(root, rules);
    expect.equal(violations.length, 1);
    expect.equal(
      violations[0]?.message,
      "lab/hyperv/bad.ts imports '@cucumber/cucumber', but files in lab/ may not import @cucumber/, because lab/ is a plain TypeScript library with no Cucumber or Allure import, so it runs under node --test and serves the CLI; move the code that needs it to support/ or steps/.",
    );
  });

  it('fails when a parser reaches for I/O or for the rest of lab/', () => {
    const root = tree({
      'lab/parsers/stack.ts':
        "import { readFileSync } from 'node:fs';\nimport { LabCompromisedError } from '../errors.js';\n",
    });
    const messages = checkLayout(root, rules).map((v) => v.message);
    expect.equal(messages.length, 2);
    expect.match(
      messages[0] ?? '',
      /^lab\/parsers\/stack\.ts imports 'node:fs', but files in lab\/parsers\/ may import only zod, lab\/parsers\//,
    );
    expect.match(messages[1] ?? '', /imports '\.\.\/errors\.js'/);
  });

  it('fails when a step imports Allure directly, and on multi-line and dynamic imports', () => {
    const root = tree({
      'steps/debugger.steps.ts':
        "import {\n  step,\n} from 'allure-js-commons';\nconst m = await import('execa');\n",
    });
    const messages = checkLayout(root, rules).map((v) => v.message);
    expect.equal(messages.length, 2);
    expect.match(messages[0] ?? '', /imports 'allure-js-commons', but files in steps\/ may import only/);
    expect.match(messages[1] ?? '', /imports 'execa'/);
  });

  it('fails on code in features/ and on a path with the word the Allure status depends on', () => {
    const root = tree({ 'features/steps.ts': 'export {};\n', 'support/asserts.ts': 'export {};\n' });
    const messages = checkLayout(root, rules).map((v) => v.message);
    expect.equal(messages.length, 2);
    expect.ok(messages.some((m) => m.startsWith("features/steps.ts is a '.ts' file in features/")));
    expect.ok(messages.some((m) => m.startsWith("support/asserts.ts has 'assert' in its path")));
  });

  it('fails on a test file in support/, which Cucumber would load as support code', () => {
    const root = tree({
      'support/writer.test.ts': "import { test } from 'node:test';\n",
      'test/support/writer.test.ts': "import { test } from 'node:test';\n",
    });
    expect.deepEqual(
      checkLayout(root, rules).map((v) => v.message),
      [
        "support/writer.test.ts is named like '\\.test\\.[cm]?[jt]s$', which support/ may not hold, because support/ holds only what Cucumber loads and uses lab/ through its public surface (lab/index.ts): the World, named hooks, config loading (with the loading of the support code itself: through tsx, or as one esbuild bundle), the Allure narrator (Cucumber imports every support/**/*.ts, so a test there would run inside every run; tests of support code live in test/); move it out.",
      ],
    );
  });

  it('fails on a test helper in lab/ or in any room inside it, and passes one in test/kits/', () => {
    const root = tree({
      'lab/kd/kd.testkit.ts': 'export const kit = 1;\n',
      'lab/parsers/tests/compare.testkit.ts': 'export const kit = 1;\n',
      'test/kits/kd/kd.testkit.ts': 'export const kit = 1;\n',
    });
    const why =
      "because a test helper is for tests only, never shipped or imported by product code, so test helpers live outside the product's folders, in test/kits/ (test/kits/kd/ for lab/kd/'s tests); move it out.";
    expect.deepEqual(
      checkLayout(root, rules).map((v) => v.message),
      [
        `lab/kd/kd.testkit.ts is named like '\\.testkit\\.ts$', which lab/ may not hold, ${why}`,
        `lab/parsers/tests/compare.testkit.ts is named like '\\.testkit\\.ts$', which lab/ may not hold, ${why}`,
      ],
    );
  });

  it('fails, with a sentence, when the Hyper-V adapter or the debugger imports the simulator', () => {
    const root = tree({
      'lab/hyperv/lab.ts': "import { embeddedHostCommand } from '../sim/launch.js';\n",
      'lab/kd/open.ts': "import { embeddedDebuggerCommand } from '../sim/launch.js';\n",
    });
    expect.deepEqual(
      checkLayout(root, rules).map((v) => v.message),
      [
        "lab/hyperv/lab.ts imports '../sim/launch.js', but files in lab/hyperv/ may not import lab/sim/, because the Hyper-V adapter is the code a real lab runs: the composition root (lab/compose.ts) gives it the shell to start, so it never knows the simulator exists; take what you need from the lab's wiring (lab/wiring.ts), decided in lab/compose.ts.",
        "lab/kd/open.ts imports '../sim/launch.js', but files in lab/kd/ may not import lab/sim/, because KdSession and the debugger opener are the code a real lab runs: the composition root (lab/compose.ts) gives them the executable to start, so they never know the simulator exists; take what you need from the lab's wiring (lab/wiring.ts), decided in lab/compose.ts.",
      ],
    );
  });

  it('keeps lab/’s own prohibitions inside the rooms within it', () => {
    const root = tree({ 'lab/kd/bad.ts': "import * as allure from 'allure-js-commons';\n" });
    expect.deepEqual(
      checkLayout(root, rules).map((v) => v.message),
      [
        "lab/kd/bad.ts imports 'allure-js-commons', but files in lab/ may not import allure-, because lab/ is a plain TypeScript library with no Cucumber or Allure import, so it runs under node --test and serves the CLI; move the code that needs it to support/ or steps/.",
      ],
    );
  });

  it('fails when the simulated Hyper-V model imports its host shell', () => {
    const root = tree({ 'lab/sim/model/vm.ts': "import { serve } from '../host/run.js';\n" });
    const messages = checkLayout(root, rules).map((v) => v.message);
    expect.deepEqual(messages, [
      "lab/sim/model/vm.ts imports '../host/run.js', but files in lab/sim/model/ may not import lab/sim/host/, because the simulated Hyper-V model is what the embedded host process serves, not part of it: the host shell (lab/sim/host/) reads operations and calls the model, never the other way; move what both need into lab/sim/model/.",
    ]);
  });

  it('fails when a step or support file reaches past the lab’s public surface', () => {
    const root = tree({
      'steps/vm.steps.ts': "import { parseDuration } from '../lab/params/duration.js';\n",
      'support/runtime.ts': "const { HypervLab } = await import('../lab/hyperv/lab.js');\n",
    });
    const messages = checkLayout(root, rules).map((v) => v.message);
    expect.equal(messages.length, 2);
    expect.match(
      messages[0] ?? '',
      /^steps\/vm\.steps\.ts imports '\.\.\/lab\/params\/duration\.js', but files in steps\/ may import only @cucumber\/cucumber, support\/, lab\/index\.js, node:, .*; import what the step needs from lab\/index\.ts/,
    );
    expect.match(
      messages[1] ?? '',
      /^support\/runtime\.ts imports '\.\.\/lab\/hyperv\/lab\.js', .*; import lab code from lab\/index\.ts/,
    );
  });

  it('keeps the domain rules free of support/, Cucumber and the lab adapters, and lets their tests read captures', () => {
    const root = tree({
      'lab/rules/crash.ts':
        "import type { AnalyzeResult } from '../parsers/index.js';\nimport { bugcheckCode } from '../params/bugcheck.js';\n",
      'lab/rules/crash.test.ts':
        "import { readFileSync } from 'node:fs';\nimport { parsers } from '../parsers/index.js';\n",
      'lab/rules/blame.ts':
        "import type { LabWorld } from '../../support/world.js';\nimport { KdSession } from '../kd/session.js';\n",
      'lab/rules/blame.test.ts': "import { Given } from '@cucumber/cucumber';\n",
    });
    expect.deepEqual(
      checkLayout(root, rules).map((v) => v.message),
      [
        "lab/rules/blame.test.ts imports '@cucumber/cucumber', but files in lab/ may not import @cucumber/, because lab/ is a plain TypeScript library with no Cucumber or Allure import, so it runs under node --test and serves the CLI; move the code that needs it to support/ or steps/.",
        "lab/rules/blame.ts imports '../../support/world.js', but files in lab/rules/ may import only lab/rules/, lab/parsers/, lab/params/, because the domain rules (what a crash means, the filter-frame rule, the commit rule, pool triage, Driver Verifier's settings) are plain reasoning over parsed values: no Cucumber, no World, no lab adapter, no I/O, so they are unit-tested on real captures without a lab; pass the rule the values it reasons about, and keep the reading and the waiting in support/domain/.",
        "lab/rules/blame.ts imports '../../support/world.js', but files in lab/ may not import support/, because lab/ is a plain TypeScript library with no Cucumber or Allure import, so it runs under node --test and serves the CLI; move the code that needs it to support/ or steps/.",
        "lab/rules/blame.ts imports '../kd/session.js', but files in lab/rules/ may import only lab/rules/, lab/parsers/, lab/params/, because the domain rules (what a crash means, the filter-frame rule, the commit rule, pool triage, Driver Verifier's settings) are plain reasoning over parsed values: no Cucumber, no World, no lab adapter, no I/O, so they are unit-tested on real captures without a lab; pass the rule the values it reasons about, and keep the reading and the waiting in support/domain/.",
      ],
    );
  });

  it('fails when support files import each other in a circle, type-only imports included', () => {
    const root = tree({
      'support/world.ts': "import { Crashes } from './domain/crashes.js';\nexport class LabWorld {}\n",
      'support/domain/crashes.ts':
        "import { attachedDebugger } from '../debuggers.js';\nimport { readOutput } from './read.js';\n",
      'support/debuggers.ts': "import type { LabWorld } from './world.js';\n",
      'support/domain/read.ts': "import { parsers } from '../../lab/index.js';\n",
    });
    expect.deepEqual(
      checkCircles(root, rules).map((v) => v.message),
      [
        '3 files in support/ import each other in a circle (support/debuggers.ts → support/world.ts → support/domain/crashes.ts → support/debuggers.ts), which the layout forbids because a support file that reaches back to the files that import it cannot be read, changed or tested on its own: the World and the fixtures compose the domain helpers, each helper is given the capabilities it uses, and nothing imports the World back; take what the file needs as a capability the composition passes in (support/world.ts, support/fixtures.ts), or move the shared part into a file both import.',
      ],
    );
  });

  it('passes support files that import in one direction, and names every file of a larger circle', () => {
    const acyclic = tree({
      'support/world.ts': "import { Crashes } from './domain/crashes.js';\n",
      'support/domain/crashes.ts': "import type { Needs } from '../capabilities.js';\n",
      'support/capabilities.ts': "import type { Vm } from '../lab/index.js';\n",
    });
    expect.deepEqual(checkCircles(acyclic, rules), []);
    const tangled = tree({
      'support/a.ts': "import { b } from './b.js';\nimport { c } from './c.js';\n",
      'support/b.ts': "import { a } from './a.js';\n",
      'support/c.ts': "import { a } from './a.js';\n",
      'support/self.ts': "import { me } from './self.js';\n",
    });
    expect.deepEqual(
      importCircles(tangled, 'support/', rules).map((c) => [c.files, c.circle]),
      [
        [
          ['support/a.ts', 'support/b.ts', 'support/c.ts'],
          ['support/a.ts', 'support/b.ts', 'support/a.ts'],
        ],
        [['support/self.ts'], ['support/self.ts', 'support/self.ts']],
      ],
    );
    expect.match(
      checkCircles(tangled, rules)[0]?.message ?? '',
      /^3 files in support\/ import each other in a circle \(support\/a\.ts → support\/b\.ts → support\/a\.ts, and support\/c\.ts with them\)/,
    );
  });

  it('reads imports but not the ones inside comments', () => {
    expect.deepEqual(
      importsOf("// import x from 'nope';\n/* import y from 'nope2' */\nimport z from 'yes';\n"),
      ['yes'],
    );
  });
});
