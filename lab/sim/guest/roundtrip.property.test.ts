/**
 * Round trip of the guest tools (issue 4): every output the embedded lab's guest prints parses
 * with the project's parsers back into the state that produced it. fast-check generates guest
 * states — KDNET and serial debug settings, verifier flag sets and driver lists, filter stacks,
 * Microsoft.NET folders with and without the bloat, storage timeouts, bugchecks — the guest model
 * renders them with the real tools' commands, `parsers[kind].parse` reads the text, and the test
 * compares what was read with the state.
 */
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../../../test/fuzz.testkit.js';
import { guestUnderTest } from '../../../test/kits/sim/guest/guest.testkit.js';
import type { DriverFault, GuestDeclaration } from '../../config/embedded.js';
import { loadLabFile } from '../../config/lab-file.js';
import { parsers } from '../../parsers/index.js';
import { paths } from '../../paths.js';
import type { GuestEvent } from '../../ports.js';
import { RENDERED_DIR, RENDERED_KDNET } from './render-fixtures.js';
import { WRITERS, writerInstanceId } from './vss.js';

const RUNS = { numRuns: fuzzRuns(60) };

/** What a part of the key may be: 1 to 13 of [0-9a-z] (domain brief §3.1). */
const keyPart = fc.stringMatching(/^[0-9a-z]{1,13}$/);
const kdnetKey = fc.tuple(keyPart, keyPart, keyPart, keyPart).map((p) => p.join('.'));
const busparams = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 7 }))
  .map((t) => t.join('.'));

describe('bcdedit /dbgsettings round trip', () => {
  test('KDNET: host IP, port, key (given or generated), bus parameters and DHCP read back as set', async () => {
    const g = await guestUnderTest();
    await fc.assert(
      fc.asyncProperty(
        fc.ipV4(),
        fc.integer({ min: 49152, max: 65535 }),
        fc.option(kdnetKey, { nil: null }),
        fc.option(busparams, { nil: null }),
        fc.boolean(),
        async (hostip, port, key, bus, dhcp) => {
          await g.run('bcdedit', '/deletevalue', '{dbgsettings}', 'busparams');
          const set = await g.run(
            'bcdedit',
            '/dbgsettings',
            'NET',
            `HOSTIP:${hostip}`,
            `PORT:${port}`,
            ...(key === null ? [] : [`KEY:${key}`]),
            ...(bus === null ? [] : [`busparams:${bus}`]),
            ...(dhcp ? [] : ['nodhcp']),
          );
          equal(set.exitCode, 0, set.stdout);
          // Without KEY:, bcdedit generates one and prints it (Key=…).
          const printed = /^Key=(\S+)\r?$/m.exec(set.stdout)?.[1] ?? null;
          equal(printed === null, key !== null, 'a key is printed exactly when bcdedit made one');
          const read = parsers['bcdedit-dbgsettings'].parse((await g.run('bcdedit', '/dbgsettings')).stdout);
          deepStrictEqual(
            [read.debugtype, read.hostip, read.port, read.key, read.busparams, read.dhcp, read.completed],
            ['NET', hostip, port, key ?? printed, bus, dhcp, true],
          );
        },
      ),
      RUNS,
    );
  });

  test('serial: the debug port and the baud rate read back as set', async () => {
    const g = await guestUnderTest();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(9600, 19200, 38400, 57600, 115200),
        async (debugport, baudrate) => {
          const set = await g.run(
            'bcdedit',
            '/dbgsettings',
            'SERIAL',
            `DEBUGPORT:${debugport}`,
            `BAUDRATE:${baudrate}`,
          );
          equal(set.exitCode, 0, set.stdout);
          const read = parsers['bcdedit-dbgsettings'].parse((await g.run('bcdedit', '/dbgsettings')).stdout);
          deepStrictEqual(
            [read.debugtype, read.settings.debugport, read.settings.baudrate],
            ['Serial', String(debugport), String(baudrate)],
          );
        },
      ),
      RUNS,
    );
  });
});

/**
 * The /flags bits by the option names /querysettings prints (domain brief §4.2 and §4.3: the
 * documented sample's labels, the newer options as the /flags table names them).
 */
const FLAG_OF_OPTION: Record<string, number> = {
  'special pool': 0x1,
  'force irql checking': 0x2,
  'low resources simulation': 0x4,
  'pool tracking': 0x8,
  'i/o verification': 0x10,
  'deadlock detection': 0x20,
  'enhanced i/o verification': 0x40,
  'dma checking': 0x80,
  'security checks': 0x100,
  'force pending i/o requests': 0x200,
  'irp logging': 0x400,
  'miscellaneous checks': 0x800,
  'invariant mdl checking for stack': 0x2000,
  'invariant mdl checking for driver': 0x4000,
  'power framework delay fuzzing': 0x8000,
  'port/miniport interface checking': 0x10000,
  'ddi compliance checking': 0x20000,
  'systematic low resources simulation': 0x40000,
  'ddi compliance checking (additional)': 0x80000,
  'ndis/wifi verification': 0x200000,
  'kernel synchronization delay fuzzing': 0x800000,
  'vm switch verification': 0x1000000,
  'code integrity checks': 0x2000000,
};
const FLAG_BITS = Object.values(FLAG_OF_OPTION);

/** The flags the enabled options of a parsed /querysettings add up to. */
function flagsOf(options: Record<string, boolean>): number {
  let flags = 0;
  for (const [name, enabled] of Object.entries(options)) {
    const bit = FLAG_OF_OPTION[name.toLowerCase()];
    if (enabled && bit !== undefined) flags |= bit;
  }
  return flags;
}

const flagSet = fc.subarray(FLAG_BITS, { minLength: 1 }).map((bits) => bits.reduce((a, b) => a | b, 0));
const driverList = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,11}\.sys$/), {
  minLength: 1,
  maxLength: 5,
});

describe('verifier round trip', () => {
  test('/querysettings reads back the flags and the driver list /flags … /driver set', async () => {
    const g = await guestUnderTest();
    await fc.assert(
      fc.asyncProperty(flagSet, driverList, async (flags, drivers) => {
        const set = await g.run('verifier', '/flags', `0x${flags.toString(16)}`, '/driver', ...drivers);
        equal(set.exitCode, 2, set.stdout);
        const read = parsers['verifier-query'].parse((await g.run('verifier', '/querysettings')).stdout);
        equal(flagsOf(read.options), flags, `flags 0x${flags.toString(16)}`);
        deepStrictEqual(read.drivers, drivers);
      }),
      RUNS,
    );
  });

  test('/querysettings of /all reads back as every driver', async () => {
    const g = await guestUnderTest();
    await g.run('verifier', '/flags', '0x410', '/all');
    const read = parsers['verifier-query'].parse((await g.run('verifier', '/querysettings')).stdout);
    equal(flagsOf(read.options), 0x410);
    equal(read.allDrivers, true);
    deepStrictEqual(read.drivers, []);
  });

  test('/query after the reboot reads back the verified drivers and their loads', async () => {
    const g = await guestUnderTest();
    const folder = g.copyPackage('myfault');
    await g.run('pnputil', '/add-driver', `${folder}\\myfault.inf`, '/install');
    await g.run('verifier', '/flags', '1', '/driver', 'myfault.sys');
    g.reboot();
    await g.run('sc', 'start', 'myfault');
    const read = parsers['verifier-query'].parse((await g.run('verifier', '/query')).stdout);
    deepStrictEqual(read.drivers, ['myfault.sys']);
    deepStrictEqual(
      {
        loads: read.driverStatistics['myfault.sys']?.loads,
        unloads: read.driverStatistics['myfault.sys']?.unloads,
      },
      { loads: 1, unloads: 0 },
    );
  });
});

/** Load-order groups of file-system filters (a subset of ServiceGroupOrder's FSFilter groups). */
const GROUPS = [
  'FSFilter Bottom',
  'FSFilter Virtualization',
  'FSFilter Encryption',
  'FSFilter Compression',
  'FSFilter Anti-Virus',
  'FSFilter Activity Monitor',
  'FSFilter Top',
];
const VOLUMES = ['C:', 'D:', '\\Device\\Mup', '', '\\Device\\HarddiskVolume1'];

/** A filter of the baseline image: unique name and altitude, minifilter or legacy, a load-order group. */
const filterSet = fc
  .uniqueArray(
    fc.record({
      name: fc.stringMatching(/^[A-Z][A-Za-z0-9]{2,18}$/),
      whole: fc.integer({ min: 20000, max: 429999 }),
      fraction: fc.option(fc.integer({ min: 1, max: 99 }), { nil: null }),
      kind: fc.constantFrom('minifilter' as const, 'legacy' as const),
      loadOrderGroup: fc.constantFrom(...GROUPS),
      startType: fc.constantFrom('boot' as const, 'system' as const, 'auto' as const),
      volumes: fc.option(fc.subarray(VOLUMES, { minLength: 1 }), { nil: null }),
    }),
    {
      minLength: 1,
      maxLength: 8,
      comparator: (a, b) => a.name.toLowerCase() === b.name.toLowerCase() || a.whole === b.whole,
    },
  )
  .map((filters) =>
    filters.map((f) => ({
      name: f.name,
      kind: f.kind,
      altitude: f.fraction === null ? String(f.whole) : `${f.whole}.${f.fraction}`,
      loadOrderGroup: f.loadOrderGroup,
      startType: f.startType,
      ...(f.volumes === null || f.kind === 'legacy' ? {} : { volumes: f.volumes }),
    })),
  );

describe('fltmc round trip', () => {
  test('fltmc filters and fltmc instances read back the filter stack the boot built', async () => {
    await fc.assert(
      fc.asyncProperty(filterSet, fc.constantFrom(7601, 19041), async (filters, build) => {
        const g = await guestUnderTest({
          declaration: (d: GuestDeclaration) => ({ ...d, os: { ...d.os, build }, volumes: VOLUMES, filters }),
        });
        const stack = g.guest.stack;
        const read = parsers['fltmc-filters'].parse((await g.run('fltmc', 'filters')).stdout);
        deepStrictEqual(
          read.filters,
          stack.rows().map((r) => ({ ...r, frame: r.frame === null ? 'legacy' : r.frame })),
        );
        equal(read.truncated, false);
        const instances = parsers['fltmc-instances'].parse((await g.run('fltmc', 'instances')).stdout);
        deepStrictEqual(
          instances.instances.map((i) => [i.filter, i.volume ?? '', i.altitude, i.instance, i.frame]),
          stack.instances().map((i) => [i.filter, i.volume, i.altitude, i.instance, i.frame]),
        );
      }),
      { numRuns: fuzzRuns(40) },
    );
  });
});

describe('vssadmin list writers round trip', () => {
  test('lists every writer with its ids and state, the System Writer only while no Microsoft.NET folder is bloated', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 1_200 }),
        async (files, folders) => {
          const g = await guestUnderTest();
          const at = 'C:\\Windows\\Microsoft.NET\\assembly\\GAC_MSIL';
          if (files > 0) g.guest.fs.generate(at, 'f', files, '2024-03-01T10:00:00.000Z');
          for (let i = 0; i < folders; i += 1) g.guest.fs.mkdir(`${at}\\d${i}`, '2024-03-01T10:00:00.000Z');
          const bloated = files > 10_000 || folders > 1_000;
          const read = parsers['vssadmin-writers'].parse((await g.run('vssadmin', 'list', 'writers')).stdout);
          const bootCount = g.guest.state.bootCount;
          deepStrictEqual(
            read.writers,
            WRITERS.filter((w) => !(bloated && w.name === 'System Writer')).map((w) => ({
              name: w.name,
              id: `{${w.id}}`,
              instanceId: `{${writerInstanceId('win11-a', bootCount, w.id)}}`,
              state: { code: 1, text: 'Stable' },
              lastError: 'No error',
            })),
          );
        },
      ),
      { numRuns: fuzzRuns(30) },
    );
  });
});

/** An event as Get-GuestEvents answers it, given to the event parser as JSON. */
function parseEvents(events: GuestEvent[]) {
  return parsers.event.parse(JSON.stringify(events)).events;
}

const byte = fc.integer({ min: 0, max: 255 });

describe('event round trip', () => {
  test('129 and 153 of a storage timeout read back the port, disk, PDO, LBA and the SCSI, SRB and opcode bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          port: fc.integer({ min: 0, max: 9 }).map((n) => `\\Device\\RaidPort${n}`),
          disk: fc.integer({ min: 0, max: 15 }),
          pdo: fc.integer({ min: 1, max: 0xff }).map((n) => `\\Device\\${n.toString(16).padStart(8, '0')}`),
          lba: fc.integer({ min: 0, max: 0x7fffffff }),
          scsiStatus: byte,
          srbStatus: byte,
          opcode: byte,
        }),
        async (s) => {
          const faults: DriverFault[] = [
            {
              kind: 'storage-timeout',
              trigger: 'io-stress',
              event: 129,
              count: 1,
              port: s.port,
              ...DISK_DEFAULTS,
            },
            {
              kind: 'storage-timeout',
              trigger: 'io-stress',
              event: 153,
              count: 1,
              port: s.port,
              disk: s.disk,
              pdo: s.pdo,
              lba: s.lba,
              scsiStatus: s.scsiStatus,
              srbStatus: s.srbStatus,
              opcode: s.opcode,
            },
          ];
          const g = await guestUnderTest({
            drivers: (d) => ({ ...d, mystor: { ...d.mystor, version: '1.0.0.0', faults } }),
          });
          const folder = g.copyPackage('mystor');
          await g.run('pnputil', '/add-driver', `${folder}\\mystor.inf`, '/install');
          await g.run('C:\\Tools\\diskspd.exe', '-c1G', '-d10', 'D:\\io.dat');
          const read = parseEvents(g.guest.log.query({ logName: 'System', ids: [129, 153] }));
          const reset = read.find((e) => e.eventId === 129)?.decoded;
          deepStrictEqual(reset, { type: 'storport-reset', device: s.port });
          const retry = read.find((e) => e.eventId === 153)?.decoded;
          ok(retry?.type === 'disk-retry', 'event 153 decodes as a disk retry');
          const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
          deepStrictEqual(
            [
              retry.lba,
              retry.disk,
              retry.pdo,
              retry.scsiStatus?.code,
              retry.srbStatus?.code,
              retry.scsiOpcode?.code,
            ],
            [`0x${s.lba.toString(16)}`, s.disk, s.pdo, hex(s.scsiStatus), hex(s.srbStatus), hex(s.opcode)],
          );
        },
      ),
      { numRuns: fuzzRuns(40) },
    );
  });

  test('1001 after a bugcheck reads back the code, the four parameters, the dump path and the report id', async () => {
    const g = await guestUnderTest();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.tuple(
          fc.bigInt(0n, 2n ** 64n - 1n),
          fc.bigInt(0n, 2n ** 64n - 1n),
          fc.bigInt(0n, 2n ** 64n - 1n),
          fc.bigInt(0n, 2n ** 64n - 1n),
        ),
        fc.boolean(),
        fc.uuid(),
        async (code, args, diskFull, reportId) => {
          g.guest.env.diskFull = diskFull;
          g.guest.recordCrash({
            code,
            args: args.map((a) => a.toString(16)),
            reportId,
            crashTime: new Date('2024-03-01T11:00:00Z'),
            dump: () => new Uint8Array(64),
          });
          g.reboot();
          const [report] = g.guest.log.query({ logName: 'System', ids: [1001], maxEvents: 1 });
          ok(report, 'event 1001 was logged');
          const [read] = parseEvents([report]);
          const decoded = read?.decoded;
          ok(decoded?.type === 'bugcheck', 'event 1001 decodes as a bugcheck');
          deepStrictEqual(
            [
              BigInt(decoded.code ?? -1),
              decoded.args.map((a) => BigInt(a)),
              decoded.dumpPath,
              decoded.reportId,
            ],
            [BigInt(code), args, diskFull ? null : 'C:\\Windows\\MEMORY.DMP', reportId],
          );
        },
      ),
      RUNS,
    );
  });
});

/** What a 129 fault needs besides its port (the 153 fields, unused by 129). */
const DISK_DEFAULTS = {
  disk: 0,
  pdo: '\\Device\\00000034',
  lba: '0x1c8f0',
  scsiStatus: 0,
  srbStatus: 9,
  opcode: 0x28,
} as const;

/** A reference render, read back with its parser. */
function rendered(name: string): string {
  return readFileSync(join(RENDERED_DIR, name), 'utf8');
}

function renderedEvents(name: string) {
  return parseEvents((JSON.parse(rendered(name)) as { events: GuestEvent[] }).events);
}

describe('the reference renders (fixtures/rendered/) read back into the states they were made in', () => {
  test('bcdedit: the baseline store, and the KDNET settings render-fixtures.ts gave', () => {
    const baseline = parsers['bcdedit-dbgsettings'].parse(rendered('bcdedit-dbgsettings.baseline.txt'));
    deepStrictEqual([baseline.debugtype, baseline.hostip, baseline.key], ['Local', null, null]);
    const kdnet = parsers['bcdedit-dbgsettings'].parse(rendered('bcdedit-dbgsettings.kdnet.txt'));
    deepStrictEqual(
      { hostip: kdnet.hostip, port: kdnet.port, key: kdnet.key, busparams: kdnet.busparams },
      RENDERED_KDNET,
    );
    const current = (name: string) =>
      parsers['bcdedit-enum'].parse(rendered(name)).entries.find((e) => e.identifier === '{current}');
    equal(current('bcdedit-enum.baseline.txt')?.elements.debug, undefined);
    deepStrictEqual(
      [
        current('bcdedit-enum.kdnet.txt')?.elements.debug,
        current('bcdedit-enum.kdnet.txt')?.elements.loadoptions,
      ],
      ['Yes', 'NO_KDNIC'],
    );
  });

  test('verifier /querysettings: nothing, then special pool on myfault.sys', () => {
    const none = parsers['verifier-query'].parse(rendered('verifier-querysettings.none.txt'));
    deepStrictEqual([flagsOf(none.options), none.drivers], [0, []]);
    const special = parsers['verifier-query'].parse(rendered('verifier-querysettings.special-pool.txt'));
    deepStrictEqual([flagsOf(special.options), special.drivers], [0x1, ['myfault.sys']]);
    deepStrictEqual(parsers['verifier-query'].parse(rendered('verifier-query.none.txt')).drivers, []);
  });

  test('verifier /querysettings of /flags 0x410 /all, and /query with verified drivers', () => {
    const all = parsers['verifier-query'].parse(rendered('verifier-querysettings.irp-logging.txt'));
    equal(flagsOf(all.options), 0x410);
    equal(all.allDrivers, true);
    deepStrictEqual(parsers['verifier-query'].parse(rendered('verifier-query.special-pool.txt')).drivers, [
      'myfault.sys',
    ]);
  });

  test('fltmc: the seed’s load order (legacy filters on top, one frame) and its fix (NullFilter makes frame 1)', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    if (lab.data.kind !== 'embedded') throw new Error('the embedded lab file is not embedded');
    const altitude = (name: string) =>
      lab.data.kind === 'embedded' && lab.data.embedded.drivers[name]?.filter?.altitude;
    for (const [file, avFrame, withNull] of [
      ['fltmc-filters.seed-load-order.txt', 0, false],
      ['fltmc-filters.seed-nullfilter.txt', 1, true],
    ] as const) {
      const read = parsers['fltmc-filters'].parse(rendered(file));
      deepStrictEqual(
        read.filters.map((f) => [f.name, f.altitude, f.frame]),
        [
          ['AVLegacy', altitude('avlegacy'), 'legacy'],
          ['EncryptionLegacy', altitude('encryptionlegacy'), 'legacy'],
          ['AVMiniFilter', altitude('avminifilter'), avFrame],
          ...(withNull ? [['NullFilter', altitude('nullfilter'), 1]] : []),
          ['luafv', '135000', 0],
          ['FileInfo', '45000', 0],
        ],
        file,
      );
      const instances = parsers['fltmc-instances'].parse(rendered(file.replace('filters', 'instances')));
      deepStrictEqual(
        [...new Set(instances.instances.filter((i) => i.filter === 'AVMiniFilter').map((i) => i.volume))],
        ['C:', 'D:', '\\Device\\Mup'],
        'AVMiniFilter attaches to the volumes its declaration names',
      );
    }
  });

  test('vssadmin: every writer, then all but the System Writer', () => {
    const names = (file: string) =>
      parsers['vssadmin-writers'].parse(rendered(file)).writers.map((w) => w.name);
    deepStrictEqual(
      names('vssadmin-list-writers.healthy.txt'),
      WRITERS.map((w) => w.name),
    );
    deepStrictEqual(
      names('vssadmin-list-writers.system-writer-missing.txt'),
      WRITERS.map((w) => w.name).filter((n) => n !== 'System Writer'),
    );
  });

  test('events: the 0xD6 and 0x80 bugchecks, the declared storage timeouts, the System Writer’s 8193', async () => {
    const bugcheck = (file: string) => renderedEvents(file).find((e) => e.eventId === 1001)?.decoded ?? null;
    const d6 = bugcheck('get-guestevents.bugcheck-d6.json');
    ok(d6?.type === 'bugcheck');
    deepStrictEqual(
      [BigInt(d6.code ?? 0), BigInt(d6.args[1] ?? 0), d6.dumpPath],
      [0xd6n, 1n, 'C:\\Windows\\MEMORY.DMP'],
    );
    const nmi = bugcheck('get-guestevents.dump-not-saved.json');
    ok(nmi?.type === 'bugcheck');
    deepStrictEqual([BigInt(nmi.code ?? 0), nmi.dumpPath], [0x80n, null]);

    const lab = await loadLabFile(paths.embeddedLab);
    const declared = lab.data.kind === 'embedded' ? (lab.data.embedded.drivers.mystor?.faults ?? []) : [];
    const disk = declared.find((f) => f.kind === 'storage-timeout' && f.event === 153);
    ok(disk?.kind === 'storage-timeout');
    const storage = renderedEvents('get-guestevents.storage-timeouts.json');
    const retry = storage.find((e) => e.eventId === 153)?.decoded;
    ok(retry?.type === 'disk-retry');
    deepStrictEqual(
      [
        retry.disk,
        retry.pdo,
        retry.lba,
        retry.scsiStatus?.code,
        retry.srbStatus?.code,
        retry.scsiOpcode?.code,
      ],
      [disk.disk, disk.pdo, disk.lba, '0x00', '0x09', '0x28'],
    );
    deepStrictEqual(storage.find((e) => e.eventId === 129)?.decoded, {
      type: 'storport-reset',
      device: '\\Device\\RaidPort1',
    });
    const vss = renderedEvents('get-guestevents.vss-8193.json').map((e) => e.decoded);
    deepStrictEqual(
      vss.map((d) => (d?.type === 'vss' ? [d.writerName, d.hr] : null)),
      [
        ['System Writer', '0x80042302'],
        ['System Writer', '0x80070018'],
      ],
    );
  });
});
