/**
 * The run's Allure results writer: the files allure-js would write, each renamed into place whole
 * (no temporary file left behind, none on failure), without an fsync per file.
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
});
