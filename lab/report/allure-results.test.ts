import { strict as expect } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatSummary, readAllureResults, summarise } from './allure-results.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-results-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function result(file: string, body: object): void {
  writeFileSync(join(dir, file), JSON.stringify(body));
}

describe('reading a run from its Allure results', () => {
  it('counts the last attempt of each scenario and names unreadable files', async () => {
    result('a-result.json', { uuid: 'a', historyId: 'h1', name: 'retried', status: 'broken', stop: 10 });
    result('b-result.json', { uuid: 'b', historyId: 'h1', name: 'retried', status: 'passed', stop: 20 });
    result('c-result.json', { uuid: 'c', historyId: 'h2', name: 'bugcheck', status: 'failed', stop: 5 });
    result('d-result.json', { uuid: 'd', historyId: 'h3', name: 'no status' });
    writeFileSync(join(dir, 'e-result.json'), '{ not json');
    writeFileSync(join(dir, 'f-container.json'), '{}');
    const { results, unreadable } = await readAllureResults(dir);
    expect.equal(results.length, 3);
    expect.deepEqual(
      unreadable.map((u) => u.file),
      [join(dir, 'e-result.json')],
    );
    const summary = summarise(results);
    expect.deepEqual(summary, { total: 3, passed: 1, failed: 1, broken: 0, skipped: 0, unknown: 1 });
    expect.equal(formatSummary(summary), '3 scenarios: 1 passed, 1 failed, 0 broken, 0 skipped, 1 unknown');
  });

  it('says "scenario" for one and leaves out unknown when there is none', () => {
    expect.equal(
      formatSummary({ total: 1, passed: 1, failed: 0, broken: 0, skipped: 0, unknown: 0 }),
      '1 scenario: 1 passed, 0 failed, 0 broken, 0 skipped',
    );
  });
});
