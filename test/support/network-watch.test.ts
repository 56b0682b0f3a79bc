/**
 * How long a removal of the network adapter is given: as long as the scenario watches it, so a
 * removal that hangs costs the time the scenario asks about, not a guest command's whole limit.
 */
import { equal } from 'node:assert/strict';
import { describe, test } from 'node:test';
import { watchedFor } from '../../support/domain/network.js';

describe('the time a removal is watched', () => {
  test("is the scenario's 'still waiting after' duration", () => {
    equal(
      watchedFor([
        'a test VM',
        'myminiport.sys drives the network adapter',
        'the network adapter is removed',
        'the removal is still waiting after 1 min',
      ]),
      60_000,
    );
  });

  test('is the longest of several', () => {
    equal(
      watchedFor(['the removal is still waiting after 30 s', 'the removal is still waiting after 2 min']),
      120_000,
    );
  });

  test('is nothing the scenario says when it never watches the removal', () => {
    equal(watchedFor(['the network adapter is removed', 'a memory dump of the VM is taken']), null);
  });

  test("leaves a duration that does not read to the step's own parameter", () => {
    equal(watchedFor(['the removal is still waiting after a while']), null);
  });
});
