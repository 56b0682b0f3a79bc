/**
 * The lifecycle pieces of support/: a scope ends its fixtures last-made-first, every one of them
 * even when one fails, and refuses a fixture made after it ended; a helper given capabilities with
 * `only` sees the ones named, read when used.
 */
import { deepStrictEqual, equal, rejects, throws } from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HarnessLogicError } from '../../lab/errors.js';
import { only, VmSlot } from '../../support/capabilities.js';
import { Scope } from '../../support/fixtures.js';

describe('a fixture scope', () => {
  test('ends its fixtures in reverse order of making', async () => {
    const ended: string[] = [];
    const scope = new Scope();
    for (const what of ['the lab', 'the pool seat', 'the debuggers'])
      scope.onEnd(what, async () => {
        ended.push(what);
      });
    await scope.end();
    deepStrictEqual(ended, ['the debuggers', 'the pool seat', 'the lab']);
  });

  test('ends every fixture when one fails, then throws the first failure', async () => {
    const ended: string[] = [];
    const scope = new Scope();
    scope.onEnd('the lab', () => {
      ended.push('the lab');
    });
    scope.onEnd('the pool seat', () => {
      throw new Error('the broker has gone');
    });
    scope.onEnd('the debuggers', () => {
      throw new Error('kd did not exit');
    });
    await rejects(scope.end(), /kd did not exit/);
    deepStrictEqual(ended, ['the lab']);
  });

  test('ends each fixture once, and refuses one made after it ended', async () => {
    let ends = 0;
    const scope = new Scope();
    scope.onEnd('the VM lease', () => {
      ends += 1;
    });
    await scope.end();
    await scope.end();
    equal(ends, 1);
    throws(
      () => scope.onEnd('a late VM lease', () => {}),
      (e: unknown) =>
        e instanceof HarnessLogicError &&
        e.message === 'A fixture (a late VM lease) was made after its scope ended.',
    );
  });
});

describe('capabilities given with only()', () => {
  test('hold the named capabilities and nothing else, read when used', () => {
    const slot = new VmSlot();
    const ground = { vm: 'none yet', lab: 'the lab', secret: 'the World' };
    const given = only(ground, ['vm', 'lab']);
    deepStrictEqual(Object.keys(given), ['vm', 'lab']);
    equal('secret' in given, false);
    ground.vm = 'win11-a';
    equal(given.vm, 'win11-a');
    throws(() => slot.vm, /A step used the test VM before the scenario had one/);
  });
});
