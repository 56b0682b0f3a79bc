import { deepStrictEqual, equal } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parsers } from '../parsers/index.js';
import { isKernelAddress } from './addresses.js';
import { countedCommitFailures } from './commit.js';
import { filterStackOrder } from './filters.js';
import { triagePoolCorruption } from './pool.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('kernel addresses', () => {
  test('are the canonical upper half', () => {
    equal(isKernelAddress('0xfffffa8001a1b820'), true);
    equal(isKernelAddress('0x4f4f4f4f4f4f4f4f'), false);
    equal(isKernelAddress('0x0000000000001000'), false);
  });
});

describe("the seed's commit failure rule", () => {
  test('members 0, 1 and 3 after Windows 2003; 0, 1 and 2 on XP/2003', () => {
    equal(countedCommitFailures([0, 48440, 0, 0], '10.0.19041.1').total, 48440);
    deepStrictEqual(countedCommitFailures([1, 2, 4, 8], '10.0.19041.1').members, [0, 1, 3]);
    equal(countedCommitFailures([1, 2, 4, 8], '10.0.19041.1').total, 11);
    equal(countedCommitFailures([1, 2, 4, 8], '5.2.3790').total, 7);
    equal(countedCommitFailures([1, 2, 4, 8], '6.1.7601').rule, 'members 0, 1 and 3 count on NT 6.1');
  });
});

describe('pool corruption: the next step', () => {
  const corrupt = parsers.pool.parse(
    readFileSync(new URL('../parsers/fixtures/pool.corrupt-header.txt', import.meta.url), 'utf8'),
  );
  const healthy = parsers.pool.parse(
    readFileSync(new URL('../parsers/fixtures/pool.nonpaged-page.txt', import.meta.url), 'utf8'),
  );

  test("the seed's corrupt page behind an untagged block: special pool on the suspects", () => {
    const t = triagePoolCorruption({
      looks: [
        { address: '0xfffff80092690460', pool: healthy },
        { address: '0xfffffa8001a1b820', pool: corrupt },
      ],
      suspects: ['myfault.sys'],
      underSpecialPool: [],
    });
    equal(t.corrupt, true);
    if (!t.corrupt) return;
    equal(t.address, '0xfffffa8001a1b820');
    deepStrictEqual(t.blockBefore, { address: '0xfffffa8001a1b000', size: '0x810', tag: 'None' });
    deepStrictEqual(t.nextStep, {
      action: 'enable-special-pool',
      drivers: ['myfault.sys'],
      command: 'verifier /flags 0x1 /driver myfault.sys',
    });
    equal(
      t.because,
      "the pool page of 0xfffffa8001a1b820 is corrupt and the block before the corruption is tagged 'None', which ExAllocatePool gives an allocation without a tag, so the tag names no driver; special pool puts each allocation of myfault.sys at the end of its own page, so the next overrun stops at once with 0xD6 in the driver that made it",
    );
  });
  test('suspects that already have special pool point beyond overruns', () => {
    const t = triagePoolCorruption({
      looks: [{ address: '0x1', pool: corrupt }],
      suspects: ['myfault.sys'],
      underSpecialPool: 'all',
    });
    equal(t.corrupt && t.nextStep.action, 'look-beyond-overruns');
  });
  test('no corrupt page: nothing concluded', () => {
    deepStrictEqual(
      triagePoolCorruption({
        looks: [{ address: '0x2', pool: healthy }],
        suspects: [],
        underSpecialPool: [],
      }),
      {
        corrupt: false,
        looked: ['0x2'],
      },
    );
  });
});

describe('filter stack altitude order', () => {
  test("the seed's stack: AVMiniFilter (328000) in frame 0 loads below EncryptionLegacy (149998.99)", () => {
    const order = filterStackOrder(
      parsers['fltmc-filters'].parse(fixture('fltmc-filters.seed-load-order.txt')),
    );
    deepStrictEqual(order.violations, [
      {
        minifilter: 'AVMiniFilter',
        minifilterAltitude: '328000',
        frame: 0,
        legacy: 'EncryptionLegacy',
        legacyAltitude: '149998.99',
      },
    ]);
    deepStrictEqual(
      order.frames.map((f) => [f.frame, f.low, f.high]),
      [[0, 45000, 328000]],
    );
  });
  test('with the NullFilter at 160030 frame 1 holds the AV minifilter and the stack is in order', () => {
    const order = filterStackOrder(
      parsers['fltmc-filters'].parse(fixture('fltmc-filters.rendered-nullfilter.txt')),
    );
    deepStrictEqual(order.violations, []);
    deepStrictEqual(
      order.frames.map((f) => [f.frame, f.minifilters]),
      [
        [0, ['luafv', 'FileInfo']],
        [1, ['AVMiniFilter', 'NullFilter']],
      ],
    );
  });
});
