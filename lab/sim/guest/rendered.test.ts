/**
 * The guest's reference renders (fixtures/rendered/) are what the simulator prints now: a change
 * to a guest tool's output shows here first, and the renders are written again on purpose.
 */
import { deepStrictEqual, equal } from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RENDERED_DIR, renderedFixtures } from './render-fixtures.js';

describe('reference renders of the guest tools', () => {
  test('are what the simulated guest prints now (regenerate with render-fixtures.ts)', async () => {
    const rendered = await renderedFixtures();
    deepStrictEqual(
      readdirSync(RENDERED_DIR)
        .filter((f) => !f.startsWith('.'))
        .sort(),
      [...rendered.keys()].sort(),
      'every render has its file, and no file is left over',
    );
    for (const [name, expected] of rendered) {
      equal(
        readFileSync(join(RENDERED_DIR, name), 'utf8'),
        expected,
        `${name} is out of date; run node --import tsx lab/sim/guest/render-fixtures.ts`,
      );
    }
  });

  test('carry the states they are named for', async () => {
    const read = (name: string) => readFileSync(join(RENDERED_DIR, name), 'utf8');
    equal(read('bcdedit-dbgsettings.kdnet.txt').split('\r\n')[2], 'debugtype               NET');
    equal(read('fltmc-filters.seed-nullfilter.txt').includes('NullFilter'), true);
    equal(read('fltmc-filters.seed-load-order.txt').includes('NullFilter'), false);
    equal(read('vssadmin-list-writers.healthy.txt').includes("Writer name: 'System Writer'"), true);
    equal(read('vssadmin-list-writers.system-writer-missing.txt').includes("'System Writer'"), false);
    const events = JSON.parse(read('get-guestevents.dump-not-saved.json')) as {
      events: { properties: string[] }[];
    };
    equal(events.events[0]?.properties[1], '');
  });
});
