/**
 * The run's Allure results writer: the files allure-js would write, results and containers renamed
 * into place whole (no temporary file left behind, none on failure), attachments written in place
 * (nothing left of one that fails), a scenario's hooks in one container, without an fsync per file.
 */
import { deepStrictEqual, equal, ok, throws } from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ResultsWriter } from '../../support/allure-writer.mjs';

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'driverlab-results-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the results writer', () => {
  test('writes results, containers and attachments under the names allure-js gives them', () => {
    const dir = fresh();
    const writer = new ResultsWriter({ resultsDir: join(dir, 'results') });
    const result = { uuid: 'r-1', name: 'a scenario', status: 'passed' };
    writer.writeResult(result as never);
    writer.writeGroup({ uuid: 'g-1', children: ['r-1'] } as never);
    writer.writeAttachment('a-1-attachment.txt', Buffer.from('kd> k\n'));
    const source = join(dir, 'dump.txt');
    writeFileSync(source, 'copied');
    writer.writeAttachmentFromPath('a-2-attachment.txt', source);
    const results = join(dir, 'results');
    deepStrictEqual(readdirSync(results).sort(), [
      'a-1-attachment.txt',
      'a-2-attachment.txt',
      'g-1-container.json',
      'r-1-result.json',
    ]);
    deepStrictEqual(JSON.parse(readFileSync(join(results, 'r-1-result.json'), 'utf8')), result);
    equal(readFileSync(join(results, 'a-1-attachment.txt'), 'utf8'), 'kd> k\n');
    equal(readFileSync(join(results, 'a-2-attachment.txt'), 'utf8'), 'copied');
  });

  test("leaves out allure-js's language, framework and thread labels, and keeps the others", () => {
    const dir = fresh();
    const writer = new ResultsWriter({ resultsDir: dir });
    const labels = [
      { name: 'language', value: 'javascript' },
      { name: 'framework', value: 'cucumberjs' },
      { name: 'thread', value: 'pid-1' },
      { name: 'host', value: 'ci-01' },
      { name: 'epic', value: 'Verifier' },
    ];
    writer.writeResult({ uuid: 'r-3', name: 'a scenario', labels } as never);
    deepStrictEqual(JSON.parse(readFileSync(join(dir, 'r-3-result.json'), 'utf8')).labels, [
      { name: 'host', value: 'ci-01' },
      { name: 'epic', value: 'Verifier' },
    ]);
  });

  test('leaves no temporary file behind when a file cannot be put in place', () => {
    const dir = fresh();
    const writer = new ResultsWriter({ resultsDir: dir });
    // A folder where the result should go: the rename fails.
    mkdirSync(join(dir, 'r-2-result.json', 'inside'), { recursive: true });
    throws(() => writer.writeResult({ uuid: 'r-2' } as never));
    ok(
      readdirSync(dir).every((name) => !name.endsWith('.tmp')),
      `no temporary file: ${readdirSync(dir).join(', ')}`,
    );
  });

  test("writes a scenario's hooks as one container: every before and after, in order, around the same result", () => {
    const dir = fresh();
    const writer = new ResultsWriter({ resultsDir: dir });
    const hook = (name: string) => ({ name, status: 'passed', steps: [], attachments: [], parameters: [] });
    writer.holdGroups();
    writer.writeGroup({
      uuid: 'g-1',
      name: 'Lease a VM',
      children: ['r-1'],
      befores: [hook('Lease a VM')],
      afters: [],
    } as never);
    writer.writeGroup({
      uuid: 'g-2',
      name: 'Check the steps',
      children: ['r-1'],
      befores: [hook('Check the steps')],
      afters: [],
    } as never);
    writer.writeGroup({
      uuid: 'g-3',
      name: 'Give the VM back',
      children: ['r-1'],
      befores: [],
      afters: [hook('Give the VM back')],
    } as never);
    writer.writeGroup({
      uuid: 'g-4',
      name: 'End the debugger',
      children: ['r-1'],
      befores: [],
      afters: [hook('End the debugger')],
    } as never);
    writer.writeGroup({
      uuid: 'g-5',
      name: 'Open the lab',
      children: ['r-2'],
      befores: [hook('Open the lab')],
      afters: [],
    } as never);
    deepStrictEqual(readdirSync(dir), [], 'nothing is written while the containers are held');
    writer.releaseGroups();
    deepStrictEqual(readdirSync(dir).sort(), ['g-1-container.json', 'g-5-container.json']);
    const merged = JSON.parse(readFileSync(join(dir, 'g-1-container.json'), 'utf8'));
    deepStrictEqual(merged.children, ['r-1']);
    deepStrictEqual(
      merged.befores.map((h: { name: string }) => h.name),
      ['Lease a VM', 'Check the steps'],
    );
    deepStrictEqual(
      merged.afters.map((h: { name: string }) => h.name),
      ['Give the VM back', 'End the debugger'],
    );
    equal(JSON.parse(readFileSync(join(dir, 'g-5-container.json'), 'utf8')).name, 'Open the lab');
    // Released: the next container is written at once.
    writer.writeGroup({ uuid: 'g-6', children: ['r-3'], befores: [], afters: [] } as never);
    ok(readdirSync(dir).includes('g-6-container.json'));
  });

  test('leaves nothing of an attachment that cannot be written', () => {
    const dir = fresh();
    const writer = new ResultsWriter({ resultsDir: dir });
    throws(() => writer.writeAttachmentFromPath('a-3-attachment.txt', join(dir, 'no-such-file.txt')));
    deepStrictEqual(readdirSync(dir), []);
  });
});
