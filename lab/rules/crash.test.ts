import { deepStrictEqual, equal } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { bugcheckCode } from '../params/bugcheck.js';
import { parsers, type WindowsEvent } from '../parsers/index.js';
import {
  blamedImage,
  bugcheckParameter,
  contextRecordOf,
  crashBucket,
  crashReportedBy,
  describeStack,
  isBlamedOn,
  referencedMemory,
  stackPassesThrough,
} from './crash.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
/** Real captures the parsers are tested on (lab/parsers/fixtures/SOURCES.md says where each is from). */
const capture = (name: string) => read(`../parsers/fixtures/${name}`);
/** What the simulated kernel renders for its scenarios (lab/sim/kernel/fixtures/SOURCES.md). */
const rendered = (name: string) => read(`../sim/kernel/fixtures/${name}`);

describe('what event 1001 reports', () => {
  test('a real Get-WinEvent 1001: the bug check, its four parameters and the dump', () => {
    const [event] = parsers.event.parse(capture('event.1001-format-list.txt')).events;
    deepStrictEqual(crashReportedBy(event?.decoded ?? null), {
      code: 0x9f,
      args: ['0x0000000000000005', '0xffff950d5f4cc060', '0xffff950d7c5f0920', '0x0000000000000000'],
      dumpPath: 'C:\\WINDOWS\\MEMORY.DMP',
    });
  });

  test('an event that is no bug check report (a display driver’s 153, a storport reset) reports no crash', () => {
    // The corpus keeps each real capture's parse beside it (lab/parsers/corpus/README.md).
    const corpus = JSON.parse(read('../parsers/corpus/event/nvlddmkm-153-quoted-copy-details.json')) as {
      value: { events: WindowsEvent[] };
    };
    const [display] = corpus.value.events;
    equal(crashReportedBy(display?.decoded ?? null), null);
    const [reset] = parsers.event.parse(capture('event.129-reset-to-device.txt')).events;
    equal(crashReportedBy(reset?.decoded ?? null), null);
  });

  test('the simulated guest’s 1001 after its 0xD6 reads as the bug check the debugger banner shows', () => {
    const { events } = JSON.parse(
      read('../sim/guest/fixtures/rendered/get-guestevents.bugcheck-d6.json'),
    ) as {
      events: {
        id: number;
        provider: string;
        logName: string;
        timeCreated: string;
        message: string;
        properties: unknown[];
      }[];
    };
    // As Get-WinEvent | ConvertTo-Json shows them, the shape the harness hands the event parser.
    const asWinEvent = events.map((e) => ({
      Id: e.id,
      ProviderName: e.provider,
      LogName: e.logName,
      TimeCreated: e.timeCreated,
      Message: e.message,
      Properties: e.properties.map((value) => ({ Value: value })),
    }));
    const parsed = parsers.event.parse(JSON.stringify(asWinEvent)).events;
    const crash = parsed.map((e) => crashReportedBy(e.decoded)).find((c) => c !== null);
    const banner = parsers['bugcheck-banner'].parse(rendered('bugcheck.special-pool-d6.txt'));
    equal(crash?.code, 0xd6);
    equal(crash?.code, bugcheckCode(banner.code));
    // A write (Arg2 = 1) into special pool past the allocation, in both renders.
    equal(crash?.args[1], '0x0000000000000001');
    equal(bugcheckParameter(banner.args?.[1] ?? ''), '0x0000000000000001');
    equal(crash?.dumpPath, 'C:\\Windows\\MEMORY.DMP');
  });
});

describe('bug check parameters', () => {
  test('kd’s backtick and short forms become 0x and 16 lower-case hex digits', () => {
    equal(bugcheckParameter('fffffa80`01A1B820'), '0xfffffa8001a1b820');
    equal(bugcheckParameter('0x5'), '0x0000000000000005');
    equal(bugcheckParameter('FFFFF98006AC1000'), '0xfffff98006ac1000');
  });
});

describe('whom a crash is blamed on', () => {
  test('IMAGE_NAME of real analyses, whatever the case of the binary asked about', () => {
    const d1 = parsers.analyze.parse(capture('analyze.new-layout-d1.txt'));
    equal(blamedImage(d1), 'myfault.sys');
    equal(isBlamedOn(d1, 'MyFault.SYS'), true);
    equal(isBlamedOn(d1, 'nullfilter.sys'), false);
    equal(blamedImage(parsers.analyze.parse(capture('analyze.old-layout-7e.txt'))), 'man.sys');
  });

  test('MODULE_NAME as a driver when no IMAGE_NAME is printed, nothing when neither is', () => {
    equal(blamedImage({ imageName: null, moduleName: 'myfault' }), 'myfault.sys');
    equal(blamedImage(parsers.analyze.parse(capture('analyze.stop-3b-pool-corruption.txt'))), null);
  });
});

describe('the crashing thread', () => {
  const analysis = parsers.analyze.parse(rendered('analyze-v.special-pool-d6.txt'));
  const frames = analysis.stack ?? [];

  test('passes through the frames it shows, not through others', () => {
    equal(stackPassesThrough(frames, 'NT', 'iovcalldriver'), true);
    equal(stackPassesThrough(frames, 'nt', 'KeBugCheckEx'), true);
    equal(stackPassesThrough(frames, 'myfault', 'MyfaultOverrun'), false);
  });

  test('reads innermost first, as far as asked', () => {
    equal(describeStack(frames, 3), "nt!KeBugCheckEx ← nt!?? ::FNODOBFM::`string' ← nt!MmAccessFault");
  });
});

describe('the memory and the context a crash carries', () => {
  test('0xD6 and 0xD1 name the referenced memory in Arg1; 0x9F and 0x7E do not', () => {
    const d6 = parsers.analyze.parse(rendered('analyze-v.special-pool-d6.txt')).bugcheck.args;
    // The simulated Windows 10 guest's special pool page (a per-boot region, lab/sim/kernel/address-space.ts).
    equal(referencedMemory({ code: 0xd6, args: d6 }), '0xffffc18555701000');
    const d1 = parsers.analyze.parse(capture('analyze.new-layout-d1.txt')).bugcheck.args;
    equal(referencedMemory({ code: 0xd1, args: d1 }), '0xffff8001acdc6010');
    equal(referencedMemory({ code: 0x9f, args: d1 }), null);
    equal(referencedMemory({ code: 0x7e, args: d1 }), null);
  });

  test('the seed’s 0x3B holds its context record in Arg3, a real 0x7E in Arg4', () => {
    const x3b = parsers.analyze.parse(capture('analyze.stop-3b-pool-corruption.txt')).bugcheck.args;
    equal(contextRecordOf({ code: 0x3b, args: x3b }), '0xfffff88004763560');
    const x7e = parsers.analyze.parse(capture('analyze.old-layout-7e.txt')).bugcheck.args;
    equal(contextRecordOf({ code: 0x7e, args: x7e }), '0xfffff88007c6b1b0');
    equal(contextRecordOf({ code: 0xd6, args: x7e }), null);
  });
});

describe('the bucket a crash is counted in', () => {
  test('the analysis’s FAILURE_BUCKET_ID when it gives one', () => {
    equal(
      crashBucket(parsers.analyze.parse(capture('analyze.new-layout-d1.txt')), 0xd1),
      'AV_myfault!unknown_function',
    );
  });

  test('without one, the code the crash was reported with and the first frame outside the kernel', () => {
    const analysis = parsers.analyze.parse(rendered('analyze-v.special-pool-d6.txt'));
    equal(crashBucket({ ...analysis, failureBucketId: null }, 0x50), '0xD6_myfault!unknown_function');
    const codeless = { ...analysis, failureBucketId: null, bugcheck: { ...analysis.bugcheck, code: null } };
    equal(crashBucket(codeless, 0x50), '0x50_myfault!unknown_function');
  });
});
