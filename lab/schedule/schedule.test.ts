import { deepEqual, equal, throws } from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_EXPECTED_MS,
  expectedDuration,
  longestFirst,
  makespan,
  makespanLowerBound,
  median,
} from './schedule.js';

describe('scheduling the night', () => {
  it('expects the median of a scenario’s history, else its costliest tag, else the default', () => {
    const history = new Map([['A › crash', [100, 300, 200, 1000]]]);
    equal(median([3, 1, 2]), 2);
    equal(median([]), null);
    equal(expectedDuration({ id: 'A › crash', tags: ['@smoke'] }, history), 250);
    equal(expectedDuration({ id: 'B › new', tags: ['@smoke', '@special-pool'] }, history), 330_000);
    equal(expectedDuration({ id: 'C › untagged', tags: [] }, history), DEFAULT_EXPECTED_MS);
  });

  it('orders longest expected first and keeps the given order among equals', () => {
    const order = longestFirst(
      [
        { id: 'a', tags: ['@smoke'] },
        { id: 'b', tags: ['@irp-logging'] },
        { id: 'c', tags: ['@smoke'] },
        { id: 'd', tags: [] },
      ],
      new Map(),
    ).map((s) => s.id);
    deepEqual(order, ['b', 'd', 'a', 'c']);
  });

  it('computes the makespan of list scheduling and its lower bound', () => {
    // Graham's classic: LPT puts 3,3 on two VMs, then 2,2,2 — 7, where the best split (3+3, 2+2+2) is 6.
    equal(makespan([3, 3, 2, 2, 2], 2), 7);
    equal(makespanLowerBound([3, 3, 2, 2, 2], 2), 6);
    // Shortest first ends with the long job alone: 2+2+3 on one VM, 2+3 on the other.
    equal(makespan([2, 2, 2, 3, 3], 2), 7);
    equal(makespan([5], 3), 5);
    equal(makespanLowerBound([10, 1, 1], 4), 10);
    throws(() => makespan([1], 0), /at least one VM, not 0/);
  });
});
