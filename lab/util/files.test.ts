/**
 * A file replaced often (the embedded lab host's state): whatever moment its writer dies at, a
 * reader finds one whole version, and a reader beside a live writer never takes the moment of the
 * move for a missing file.
 */
import { equal, throws } from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { nextVersionPath, readReplaced, replaceOften, throughReplace, whyUnreadable } from './files.js';

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

  test('a live writer that moves the next version into place between the two looks: the file is looked at again', () => {
    const path = join(dir, 'live.json');
    writeFileSync(nextVersionPath(path), '{"v":4}');
    const looked: string[] = [];
    const text = throughReplace(path, (at) => {
      looked.push(at === path ? 'file' : 'next');
      // The writer's move happens just as the reader turns to the next version.
      if (at !== path && existsSync(at)) {
        renameSync(at, path);
        throw Object.assign(new Error(`ENOENT: ${at}`), { code: 'ENOENT' });
      }
      return readFileSync(at, 'utf8');
    });
    equal(text, '{"v":4}');
    equal(looked.join(' '), 'file next file');
  });

  test('a failure other than a missing file is not taken for a missing file', () => {
    const path = join(dir, 'denied.json');
    replaceOften(path, '{"v":5}');
    throws(
      () =>
        throughReplace(path, () => {
          throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        }),
      { code: 'EACCES' },
    );
  });

  test('a file never written reads as missing', () => {
    throws(() => readReplaced(join(dir, 'never.json')), { code: 'ENOENT' });
  });
});

describe('why a path could not be read', () => {
  /** The error `read` throws, as Node throws it. */
  const errorOf = (read: () => unknown): unknown => {
    try {
      read();
    } catch (error) {
      return error;
    }
    throw new Error('the read did not fail');
  };

  test('says what the error says: missing, not a folder, a folder, or its own code', () => {
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'x');
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    equal(
      whyUnreadable(
        errorOf(() => readdirSync(join(dir, 'absent'))),
        'folder',
      ),
      'there is no such folder',
    );
    equal(
      whyUnreadable(
        errorOf(() => readFileSync(join(dir, 'absent.txt'))),
        'file',
      ),
      'there is no such file',
    );
    equal(
      whyUnreadable(
        errorOf(() => readdirSync(file)),
        'folder',
      ),
      'it is not a folder',
    );
    equal(
      whyUnreadable(
        errorOf(() => readFileSync(join(file, 'x'))),
        'file',
      ),
      'a part of its path is not a folder',
    );
    equal(
      whyUnreadable(
        errorOf(() => readFileSync(folder)),
        'file',
      ),
      'it is a folder, not a file',
    );
    equal(
      whyUnreadable(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), 'folder'),
      'this user may not read it (EACCES)',
    );
    equal(
      whyUnreadable(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }), 'file'),
      'it cannot be read (EIO)',
    );
    equal(whyUnreadable(new Error('the disk went away'), 'file'), 'it cannot be read (the disk went away)');
  });
});
