import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { closest, editDistance } from './similar.js';

describe('closest words', () => {
  it('measures edit distance', () => {
    expect.equal(editDistance('kitten', 'sitting'), 3);
    expect.equal(editDistance('', 'abc'), 3);
    expect.equal(editDistance('run', 'run'), 0);
  });

  it('suggests near candidates closest first and nothing for far ones', () => {
    expect.deepEqual(closest('reprot', ['run', 'report', 'parse']), ['report']);
    expect.deepEqual(closest('DOCTR', ['doctor', 'ops']), ['doctor']);
    expect.deepEqual(closest('zzzzzz', ['run', 'report']), []);
  });
});
