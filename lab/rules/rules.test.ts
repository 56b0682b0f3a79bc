import { deepStrictEqual, equal } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parsers, type WindowsEvent } from '../parsers/index.js';
import { isKernelAddress } from './addresses.js';
import { countedCommitFailures, failedCommits } from './commit.js';
import { filterStackOrder } from './filters.js';
import { triagePoolCorruption } from './pool.js';
import { event153Field, storageTimeouts, timeoutKind } from './storage.js';
import { SYSTEM_WRITER_LIMITS, systemWriterGivesUp, systemWriterLimit } from './vss.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const parserFixture = (name: string) =>
  readFileSync(new URL(`../parsers/fixtures/${name}`, import.meta.url), 'utf8');

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

describe("the seed's !vm and nt!MiChargeCommitmentFailures agree by the rule", () => {
  test('48440 failed commit requests are members 0, 1 and 3 of the seed’s dc on NT 6.x and later', () => {
    const report = parsers.vm.parse(parserFixture('vm.commit-failures.txt'));
    const [row] = parsers.dwords.parse(parserFixture('dwords.seed-dc-commit-failures.txt')).rows;
    const values = (row?.values ?? []).map((v) => v ?? 0);
    equal(failedCommits(report), 48440);
    equal(countedCommitFailures(values, '6.1.7601').total, failedCommits(report));
    // The same members on XP/2003 would count member 2 instead of 3: still member 1's 48440 here.
    equal(countedCommitFailures(values, '5.2.3790').total, 48440);
  });

  test('a !vm without the line reports none failed', () => {
    equal(failedCommits({ commitFailures: null }), 0);
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

describe('storage timeouts', () => {
  /** The simulated guest's System log after its disk was put under load, as Get-WinEvent | ConvertTo-Json shows it. */
  const rendered = () => {
    const { events } = JSON.parse(
      readFileSync(
        new URL('../sim/guest/fixtures/rendered/get-guestevents.storage-timeouts.json', import.meta.url),
        'utf8',
      ),
    ) as {
      events: {
        id: number;
        provider: string;
        logName: string;
        timeCreated: string;
        message: string;
        properties: unknown[];
        binaryHex: string | null;
      }[];
    };
    const json = events.map((e) => ({
      Id: e.id,
      ProviderName: e.provider,
      LogName: e.logName,
      TimeCreated: e.timeCreated,
      Message: e.message,
      Properties: e.properties.map((value) => ({ Value: value })),
      ...(e.binaryHex === null ? {} : { Binary: e.binaryHex }),
    }));
    return parsers.event.parse(JSON.stringify(json)).events;
  };

  test('153 is the disk class driver retrying, 129 storport resetting; other ids are no storage timeout', () => {
    equal(timeoutKind(153), 'disk-retry');
    equal(timeoutKind(129), 'storport-reset');
    equal(timeoutKind(1001), null);
    equal(storageTimeouts(rendered(), 153).length, 1);
    equal(storageTimeouts(rendered(), 129).length, 1);
    equal(storageTimeouts(rendered(), 1001).length, 0);
  });

  test('a real storport reset reads as 129; a display driver’s 153 is no disk retry', () => {
    equal(
      storageTimeouts(parsers.event.parse(parserFixture('event.129-reset-to-device.txt')).events, 129).length,
      1,
    );
    const corpus = JSON.parse(
      readFileSync(
        new URL('../parsers/corpus/event/nvlddmkm-153-quoted-copy-details.json', import.meta.url),
        'utf8',
      ),
    ) as { value: { events: WindowsEvent[] } };
    equal(storageTimeouts(corpus.value.events, 153).length, 0);
  });

  test("event 153's data names the SCSI status, the SRB status and the SCSI command (bytes 29–31)", () => {
    const [retry] = storageTimeouts(rendered(), 153);
    deepStrictEqual(event153Field(retry?.decoded ?? null, 'SRB status'), {
      code: '0x09',
      name: 'SRB_STATUS_TIMEOUT',
      flags: [],
    });
    deepStrictEqual(event153Field(retry?.decoded ?? null, 'SCSI command'), {
      code: '0x28',
      name: 'SCSIOP_READ',
    });
    deepStrictEqual(event153Field(retry?.decoded ?? null, 'SCSI status'), {
      code: '0x00',
      name: 'SCSISTAT_GOOD',
    });
    const [reset] = storageTimeouts(rendered(), 129);
    equal(event153Field(reset?.decoded ?? null, 'SCSI status'), null);
  });
});

describe('the System Writer\'s limits (the seed\'s "more than 10,000 files in a folder")', () => {
  test('more than the limit makes it give up, the limit itself does not', () => {
    equal(systemWriterGivesUp(SYSTEM_WRITER_LIMITS.files + 1, 'files'), true);
    equal(systemWriterGivesUp(SYSTEM_WRITER_LIMITS.files, 'files'), false);
    equal(systemWriterGivesUp(1_001, 'folders'), true);
    equal(systemWriterLimit('files'), 'more than 10,000 files');
    equal(systemWriterLimit(null), 'more than 10,000 files or more than 1,000 folders');
  });
});
