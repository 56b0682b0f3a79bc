import { deepEqual, equal, rejects } from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_POLICY, loadPolicy } from './policy.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string) => {
  const path = join(dir, `policy-${n++}.yaml`);
  writeFileSync(path, text);
  return path;
};
const refused = (text: string, problem: string) =>
  rejects(loadPolicy(file(text)), {
    name: 'ConfigurationError',
    message: new RegExp(
      `^The gate policy '.*' is not valid: ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; see lab/gate/README\\.md for the rules a policy may set\\.$`,
    ),
  });

describe('the gate policy', () => {
  test('takes the rules a file sets and the defaults for the rest', async () => {
    const policy = await loadPolicy(file('maxBrokenPercent: 5\nnoFailedTags: ["@gating", "@smoke"]\n'));
    equal(policy.maxBrokenPercent, 5);
    deepEqual(policy.noFailedTags, ['@gating', '@smoke']);
    equal(policy.minScenarios, DEFAULT_POLICY.minScenarios);
  });

  test('refuses every wrong field with a sentence that names it, what it must be and what it held', async () => {
    await refused('maxBrokenPercent: 150\n', 'maxBrokenPercent must be at most 100 (got 150)');
    await refused('maxBrokenPercent: ten\n', 'maxBrokenPercent must be a number, not "ten"');
    await refused('minScenarios: 1.5\n', 'minScenarios must be a whole number, not 1.5');
    await refused('noFailedTags: "@gating"\n', 'noFailedTags must be a list, not "@gating"');
    await refused('noFailedTags: [gating]\n', 'noFailedTags.0 must be a tag such as @gating (got "gating")');
    await refused(
      'minScore: 3\n',
      "(the top level) has an unknown key 'minScore' (allowed: noNewCrashBucket, noFailedTags, maxBrokenPercent, maxFailedPercent, minScenarios, noInterruptedRun)",
    );
  });

  test('names every wrong field at once, not only the first', async () => {
    await refused(
      'maxBrokenPercent: -1\nminScenarios: many\n',
      'maxBrokenPercent must be at least 0 (got -1); minScenarios must be a number, not "many"',
    );
  });
});
