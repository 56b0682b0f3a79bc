/**
 * A file replaced often (the embedded lab host's state): whatever moment its writer dies at, a
 * reader finds one whole version.
 */
import { equal, throws } from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { nextVersionPath, readReplaced, replaceOften } from './files.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a file replaced often', () => {
  test('reads back the last version, and nothing is left beside it', () => {
    const path = join(dir, 'state.json');
    replaceOften(path, '{"v":1}');
    replaceOften(path, '{"v":2}');
    equal(readReplaced(path), '{"v":2}');
    equal(existsSync(nextVersionPath(path)), false);
    equal(readdirSync(dir).filter((f) => f.startsWith('state.json')).length, 1);
  });

  test('a writer that died while writing the next version leaves the last whole one', () => {
    const path = join(dir, 'torn.json');
    replaceOften(path, '{"v":1}');
    writeFileSync(nextVersionPath(path), '{"v":');
    equal(readReplaced(path), '{"v":1}');
    replaceOften(path, '{"v":2}');
    equal(readReplaced(path), '{"v":2}');
  });

  test('a writer that died between removing the file and moving the next version leaves the next version', () => {
    const path = join(dir, 'moving.json');
    writeFileSync(nextVersionPath(path), '{"v":3}');
    equal(readReplaced(path), '{"v":3}');
  });

  test('a file never written reads as missing', () => {
    throws(() => readReplaced(join(dir, 'never.json')), { code: 'ENOENT' });
  });
});
