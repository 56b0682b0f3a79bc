/**
 * Real outputs from Microsoft's documentation, the domain brief and public write-ups (see
 * lab/parsers/fixtures/SOURCES.md) parse to the values they print.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { fixture } from '../../../test/kits/parsers/tests/fixtures.testkit.js';
import { parsers } from '../index.js';

describe('analyze: the 2019 and 2024 layouts', () => {
  it('reads the old layout (0x7E): title, arguments, culprit fields and the STACK_TEXT', () => {
    const a = parsers.analyze.parse(fixture('analyze.old-layout-7e'));
    expect.deepEqual(a.bugcheck, {
      code: '0x7e',
      name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED',
      args: ['0xffffffffc0000005', '0xfffffa8003f9c621', '0xfffff88007c6b958', '0xfffff88007c6b1b0'],
    });
    expect.deepEqual(
      [a.imageName, a.moduleName, a.symbolName, a.failureBucketId, a.processName],
      ['man.sys', 'man', 'man+1ce7', 'X64_0x7E_man+1ce7', 'System'],
    );
    expect.equal(a.stack?.length, 6);
    expect.deepEqual(a.stack?.[5], {
      module: 'man',
      function: null,
      offset: '0x1ce7',
      childSp: '0xfffff88007c6bbc0',
      retAddr: '0x0000000000000000',
      args: ['0x0000000000000000', '0x0000000000000000', '0x0000000000000000', '0xfffffa8003f9c610'],
    });
    expect.equal(a.stack?.[0]?.address, '0xfffffa8003f9c621');
    expect.equal(a.keyValues.BUGCHECK_STR, '0x7E');
    expect.equal(a.keyValues.DEFAULT_BUCKET_ID, 'WIN7_DRIVER_FAULT');
  });

  it('reads the new layout (0xD1): Key/Value pairs, BUGCHECK_CODE and the STACK_TEXT with argument columns', () => {
    const a = parsers.analyze.parse(fixture('analyze.new-layout-d1'));
    expect.deepEqual(a.bugcheck, {
      code: '0xd1',
      name: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL',
      args: ['0xffff8001acdc6010', '0x0000000000000002', '0x0000000000000000', '0xfffff805736312d0'],
    });
    expect.deepEqual(
      [a.imageName, a.moduleName, a.symbolName, a.failureBucketId, a.processName],
      ['myfault.sys', 'myfault', 'myfault+12d0', 'AV_myfault!unknown_function', 'notmyfault64.exe'],
    );
    expect.equal(a.keyValues['Failure.Bucket'], 'AV_myfault!unknown_function');
    expect.equal(a.keyValues['Bugcheck.Code.KiBugCheckData'], '0xd1');
    expect.equal(a.keyValues['WER.OS.Version'], '10.0.22621.2506');
    expect.equal(a.stack?.length, 12);
    expect.deepEqual(
      a.stack?.slice(0, 4).map((fr) => [fr.module, fr.function, fr.offset]),
      [
        ['nt', 'KeBugCheckEx', null],
        ['nt', 'KiBugCheckDispatch', '0x69'],
        ['nt', 'KiPageFault', '0x474'],
        ['myfault', null, '0x12d0'],
      ],
    );
    expect.deepEqual(a.stack?.[0]?.args, [
      '0x000000000000000a',
      '0xffff8001acdc6010',
      '0x0000000000000002',
      '0x0000000000000000',
    ]);
    expect.equal(a.stack?.[11]?.address, '0x00007ffcaa52f454');
  });

  it('reads the documented 0x133 sample through its elision line', () => {
    const a = parsers.analyze.parse(fixture('analyze.dpc-watchdog-133'));
    expect.deepEqual(a.bugcheck, {
      code: '0x133',
      name: 'DPC_WATCHDOG_VIOLATION',
      args: ['0x0000000000000000', '0x0000000000000501', '0x0000000000000500', '0x0000000000000000'],
    });
    expect.equal(a.imageName, 'BthA2DP.sys');
  });
});

describe('stack: 64- and 32-bit, numbered, with arguments, source and inline frames', () => {
  it('reads kvn with trap frame annotation and bare addresses', () => {
    const s = parsers.stack.parse(fixture('stack.kvn-x64-trap-frame'));
    expect.equal(s.frames.length, 18);
    expect.deepEqual(
      s.frames.map((f) => f.number),
      Array.from({ length: 18 }, (_, i) => i),
    );
    expect.deepEqual(
      [s.frames[5]?.module, s.frames[5]?.function, s.frames[5]?.offset],
      ['nt', "?? ::NNGAKEGL::`string'", '0x221d'],
    );
    expect.deepEqual(
      [s.frames[11]?.module, s.frames[11]?.function, s.frames[11]?.offset],
      ['nt', 'KiGeneralProtectionFault', '0x10a'],
    );
    expect.equal(s.frames[12]?.address, '0xfffffa8003f9c621');
    expect.deepEqual(s.frames[17]?.args, [
      '0x0000000000000000',
      '0x0000000000000000',
      '0x0000000000000000',
      '0xfffffa8003f9c610',
    ]);
  });

  it('reads a 32-bit kb (ChildEBP, three arguments)', () => {
    const s = parsers.stack.parse(fixture('stack.kb-x86-verifier-c4'));
    expect.equal(s.architecture, 'x86');
    expect.equal(s.frames.length, 17);
    expect.deepEqual(s.frames[9], {
      module: 'buggy',
      function: 'MmTestProbeLockForEverStress',
      offset: '0x2e',
      childSp: '0x92f63c00',
      retAddr: '0x89b6c0f6',
      args: ['0x846550c8', '0x846550c8', '0x846e2200'],
    });
  });

  it('reads FPO/CONV annotations and source lines of a 32-bit k', () => {
    const s = parsers.stack.parse(fixture('stack.k-x86-fpo-source'));
    expect.deepEqual(s.frames[1], {
      module: 'nt',
      function: 'KiSwapThread',
      offset: '0x85',
      childSp: '0xfafa3d48',
      retAddr: '0x80506a17',
      source: 'd:\\nt\\base\\ntos\\ke\\thredsup.c @ 1960',
    });
  });

  it('reads kp parameter lists and drops the row the excerpt cuts off', () => {
    const s = parsers.stack.parse(fixture('stack.kp-x86-user-cut'));
    expect.equal(s.truncated, true);
    expect.deepEqual(
      s.frames.map((f) => [f.number, f.module, f.function, f.offset]),
      [
        [0, 'FreeImaged', 'memcpy', '0x4e'],
        [1, 'FreeImaged', 'memcpy_s', '0x101'],
      ],
    );
  });

  it('reads an inline frame of a numbered user-mode stack', () => {
    const s = parsers.stack.parse(fixture('stack.kn-x86-inline'));
    expect.deepEqual(s.frames[2], {
      module: 'ObjectMemberBufferOverFllow',
      function: 'invoke_main',
      offset: '0x1c',
      inline: true,
      number: 2,
      source:
        'd:\\\\agent\\\\_work\\\\3\\\\s\\\\src\\\\vctools\\\\crt\\\\vcstartup\\\\src\\\\startup\\\\exe_common.inl @ 78',
    });
  });
});

describe('irp, locks, lm, poolused, pool (32-bit), verifier', () => {
  it('reads the Windows 10 !irp layout', () => {
    const irp = parsers.irp.parse(fixture('irp.win10-two-stacks'));
    expect.deepEqual(
      [irp.address, irp.stackCount, irp.currentLocation, irp.thread, irp.mdl],
      ['0xac598dc8', 2, 1, '0x8d1c7bc0', null],
    );
    expect.equal(irp.stackLocations.length, 2);
    expect.deepEqual(irp.stackLocations[0], {
      current: true,
      major: { name: 'IRP_MJ_FILE_SYSTEM_CONTROL', code: '0xd' },
      minor: { name: null, code: '0x0' },
      flags: '0x1',
      control: '0xe1',
      device: '0x8a6434d8',
      file: '0xac598d40',
      completionRoutine: '0x853220cb',
      context: '0xa89682d8',
      invokeOn: ['Success', 'Error', 'Cancel'],
      pending: true,
      driver: '\\FileSystem\\Npfs',
      completionSymbol: 'fltmgr!FltpPassThroughCompletion',
      args: ['0x00000000', '0x00000000', '0x00110008', '0x00000000'],
    });
  });

  it('reads the Vista !irp layout: 8 stacks in the header, all 8 locations shown', () => {
    const irp = parsers.irp.parse(fixture('irp.vista-eight-stacks'));
    expect.deepEqual(
      [irp.stackCount, irp.currentLocation, irp.mdl, irp.thread],
      [8, 5, '0x82b020d8', '0x8c622118'],
    );
    expect.equal(irp.stackLocations.length, 8);
    expect.deepEqual(
      irp.stackLocations.map((l) => [l.current, l.major.code, l.minor.code, l.driver, l.completionSymbol]),
      [
        [false, '0x0', '0x0', null, null],
        [false, '0x0', '0x0', null, null],
        [false, '0x0', '0x0', null, null],
        [false, '0x0', '0x0', null, null],
        [true, '0x3', '0x34', '\\Driver\\disk', 'partmgr!PmReadWriteCompletion'],
        [false, '0x3', '0x0', '\\Driver\\PartMgr', 'volmgr!VmpReadWriteCompletionRoutine'],
        [false, '0x3', '0x0', '\\Driver\\volmgr', 'Ntfs!NtfsMasterIrpSyncCompletionRoutine'],
        [false, '0x3', '0x0', '\\FileSystem\\Ntfs', null],
      ],
    );
  });

  it('reads !locks with the "Actual Thread" correction', () => {
    const l = parsers.locks.parse(fixture('locks.actual-thread'));
    expect.equal(l.resources.length, 3);
    expect.equal(l.resources[0]?.owners.length, 4);
    expect.deepEqual(l.resources[1]?.owners, [
      { thread: '0x80ed0020', printedThread: '0x80ed0023', count: 1, owner: true },
    ]);
    expect.deepEqual([l.totalLocks, l.heldLocks], [2263, 3]);
  });

  it('reads an available resource', () => {
    const l = parsers.locks.parse(fixture('locks.available'));
    expect.deepEqual(l.resources[0]?.mode, null);
    expect.deepEqual([l.resources[0]?.address, l.totalLocks, l.heldLocks], ['0x9655d4a8', 1, null]);
  });

  it('reads lm of a 64-bit kernel (backtick addresses, pdb paths)', () => {
    const lm = parsers.lm.parse(fixture('lm.kernel-x64-head'));
    expect.equal(lm.modules.length, 11);
    expect.deepEqual(lm.modules[2], {
      start: '0xfffff80002a49000',
      end: '0xfffff80003030000',
      name: 'nt',
      symbols: 'pdb symbols',
      symbolFlag: null,
      symbolFile:
        'D:\\Windows Kits\\10\\Debuggers\\x64\\sym\\ntkrnlmp.pdb\\2E37F962D699492CAAF3F9F4E9770B1D2\\ntkrnlmp.pdb',
      details: {},
    });
  });

  it('reads the symbol status flag of a module without symbols', () => {
    const lm = parsers.lm.parse(fixture('lm.kernel-x64-no-symbols-rows'));
    const man = lm.modules.find((m) => m.name === 'man');
    expect.deepEqual([man?.start, man?.symbolFlag, man?.symbols], ['0xfffff880033bc000', 'T', 'no symbols']);
  });

  it('reads lm with unloaded modules and a symbol file printed without a state', () => {
    const lm = parsers.lm.parse(fixture('lm.user-x86-unloaded'));
    expect.equal(lm.modules.length, 6);
    expect.deepEqual(lm.modules[4]?.symbolFile, 'e:\\mysymbols\\SereEnum.pdb\\.......');
    expect.deepEqual(lm.unloaded, [
      { start: '0xf9f53000', end: '0xf9f61000', name: 'swmidi.sys' },
      { start: '0xfb0ae000', end: '0xfb0b0000', name: 'splitter.sys' },
      { start: '0xfb040000', end: '0xfb043000', name: 'Sfloppy.SYS' },
    ]);
    const sorted = parsers.lm.parse(fixture('lm.user-x86-sorted'));
    expect.deepEqual(sorted.modules[3]?.symbolFile, 'c:\\db20sym\\ntdll.pdb');
  });

  it('reads !poolused: descriptions glued to the last number are split at the header column', () => {
    const p = parsers.poolused.parse(fixture('poolused.tag-summary'));
    const row = (tag: string) => p.rows.find((r) => r.tag === tag);
    expect.deepEqual(row('ohci'), {
      tag: 'ohci',
      nonPagedAllocs: 1,
      nonPagedUsed: 136,
      pagedAllocs: 0,
      pagedUsed: 0,
      description: '1394 OHCI host controller driver',
    });
    expect.deepEqual(row('Wmip'), {
      tag: 'Wmip',
      nonPagedAllocs: 146,
      nonPagedUsed: 3504,
      pagedAllocs: 182,
      pagedUsed: 18600,
      description: 'Wmi General purpose allocation',
    });
    expect.deepEqual(row('AGP'), {
      tag: 'AGP',
      nonPagedAllocs: 1,
      nonPagedUsed: 344,
      pagedAllocs: 2,
      pagedUsed: 384,
      description: "UNKNOWN pooltag 'AGP ', please update pooltag.txt",
    });
    expect.deepEqual(row('rx..')?.pagedUsed, 0);
    expect.equal(p.rows.length, 35);
    expect.deepEqual(p.total, {
      nonPagedAllocs: 3570214,
      nonPagedUsed: 209120008,
      pagedAllocs: 38769,
      pagedUsed: 13066104,
    });
  });

  it('reads a 32-bit paged pool block', () => {
    const p = parsers.pool.parse(fixture('pool.paged-x86-bug-tag'));
    expect.deepEqual(
      p.blocks.map((b) => [b.address, b.size, b.previousSize, b.state, b.tag, b.current]),
      [['0x9655d468', '0xb0', '0x8', 'allocated', 'Bug_', true]],
    );
  });

  it('reads !verifier 0xf: level, enabled options, statistics and the two verified drivers', () => {
    const v = parsers.verifier.parse(fixture('verifier.win7-flags-0xf'));
    expect.equal(v.flags, '0x9bb');
    expect.deepEqual(v.enabled, [
      'Special pool',
      'Special irql',
      'All pool allocations checked on unload',
      'Io subsystem checking enabled',
      'Deadlock detection enabled',
      'DMA checking enabled',
      'Security checks enabled',
      'Miscellaneous checks enabled',
    ]);
    expect.equal(v.statistics.AcquireSpinLocks, '0x362');
    expect.equal(v.statistics['Peak nonpaged pool allocations'], '0x10f for 00048E40 bytes');
    expect.deepEqual(
      v.drivers.map((d) => [d.entry, d.state, d.module]),
      [
        ['0xfffffa8003b6f670', 'Loaded', 'videoprt.sys'],
        ['0xfffffa8003b6f620', 'Loaded', 'usbport.sys'],
      ],
    );
  });

  it('reads verifier /querysettings', () => {
    const q = parsers['verifier-query'].parse(fixture('verifier-query.querysettings-low-resources'));
    expect.equal(Object.keys(q.options).length, 13);
    expect.equal(q.options['Low resources simulation'], true);
    expect.equal(q.options['Special pool'], false);
    expect.deepEqual(q.drivers, ['blah.sys']);
    expect.equal(q.lowResourcesOptions['Fault injection probability'], '1/10000');
    expect.equal(q.flags, null);
  });
});

describe('tools: fltmc, vssadmin, bcdedit, events, the bug check banner', () => {
  it('reads the documented fltmc filters sample and a recent client capture', () => {
    const doc = parsers['fltmc-filters'].parse(fixture('fltmc-filters.blocking-legacy-doc'));
    expect.deepEqual(doc.filters[2], { name: 'AVMiniFilter', instances: 3, altitude: '328000', frame: 0 });
    const recent = parsers['fltmc-filters'].parse(fixture('fltmc-filters.recent-client'));
    expect.deepEqual(
      recent.filters.map((f) => [f.name, f.instances, f.altitude, f.frame]),
      [
        ['bindflt', 1, '409800', 0],
        ['UCPD', 5, '385250.5', 0],
        ['WdFilter', 5, '328010', 0],
        ['FileInfo', 5, '40500', 0],
      ],
    );
  });

  it('reads fltmc instances by column spans: empty volume, instance names with spaces', () => {
    const r = parsers['fltmc-instances'].parse(fixture('fltmc-instances.recent-client'));
    expect.equal(r.instances.length, 6);
    expect.deepEqual(r.instances[1], {
      filter: 'FileInfo',
      volume: null,
      altitude: '40500',
      instance: 'FileInfo',
      frame: 0,
      supportedFeatures: '0000000f',
      volumeStatus: null,
    });
    expect.deepEqual(r.instances[3], {
      filter: 'UCPD',
      volume: 'C:',
      altitude: '385250.5',
      instance: 'UCPD - Top Instance',
      frame: 0,
      supportedFeatures: '0000000f',
      volumeStatus: null,
    });
    expect.equal(r.instances[5]?.volume, '\\Device\\NamedPipe');
  });

  it('reads vssadmin writer blocks as printed', () => {
    expect.deepEqual(parsers['vssadmin-writers'].parse(fixture('vssadmin-writers.ntds-failed')), {
      writers: [
        {
          name: 'NTDS',
          id: '{b2014c9e-8711-4c5c-a5a9-3cf384484757}',
          instanceId: '{08321e53-4032-44dc-9b03-7a1a15ad3eb8}',
          state: { code: 11, text: 'Failed' },
          lastError: 'Non-retryable error',
        },
      ],
      truncated: false,
    });
    const stable = parsers['vssadmin-writers'].parse(fixture('vssadmin-writers.task-scheduler-stable'));
    expect.deepEqual(stable.writers[0]?.state, { code: 1, text: 'Stable' });
  });

  it('reads bcdedit /dbgsettings and the Key= line of a new key', () => {
    const s = parsers['bcdedit-dbgsettings'].parse(fixture('bcdedit-dbgsettings.net-masked-key'));
    expect.deepEqual(
      [s.debugtype, s.hostip, s.port, s.key, s.dhcp, s.busparams, s.completed],
      ['NET', '169.168.1.1', 50085, 'XXXXXX.XXXXX.XXXXX.XXXXX', true, null, true],
    );
    const k = parsers['bcdedit-dbgsettings'].parse(fixture('bcdedit-dbgsettings.net-new-key'));
    expect.equal(k.key, '3ma3qyz02ptls.23uxbvnd0e2zh.1gnwiqb6v3mpb.mjltos9cf63x');
    expect.equal(k.completed, false);
  });

  it('reads bcdedit /enum entries', () => {
    const e = parsers['bcdedit-enum'].parse(fixture('bcdedit-enum.vhd-store'));
    expect.deepEqual(
      e.entries.map((x) => [x.title, x.identifier]),
      [
        ['Windows Boot Manager', '{bootmgr}'],
        ['Windows Boot Loader', '{default}'],
      ],
    );
    expect.equal(e.entries[0]?.elements.timeout, '30');
    expect.equal(e.entries[1]?.elements.path, '\\Windows\\system32\\winload.exe');
    const d = parsers['bcdedit-enum'].parse(fixture('bcdedit-enum.debug-entry'));
    expect.deepEqual([d.entries[0]?.title, d.entries[0]?.elements.debug], ['Windows Boot Loader', 'Yes']);
  });

  it('reads event 129 and event 1001 (Format-List)', () => {
    const [reset] = parsers.event.parse(fixture('event.129-reset-to-device')).events;
    expect.deepEqual([reset?.eventId, reset?.provider, reset?.level], [129, '<HBA_Name>', 'Warning']);
    expect.deepEqual(reset?.decoded, { type: 'storport-reset', device: '\\Device\\RaidPort1' });
    const [bug] = parsers.event.parse(fixture('event.1001-format-list')).events;
    expect.deepEqual(bug?.decoded, {
      type: 'bugcheck',
      code: '0x9f',
      args: ['0x0000000000000005', '0xffff950d5f4cc060', '0xffff950d7c5f0920', '0x0000000000000000'],
      dumpPath: 'C:\\WINDOWS\\MEMORY.DMP',
      reportId: 'cdc03408-1c74-42d1-ad9c-caae62d7edc3',
    });
  });

  it('reads the bug check banner; elided parameters are null, not guessed', () => {
    expect.deepEqual(parsers['bugcheck-banner'].parse(fixture('bugcheck-banner.kdnet-d1')), {
      isBugcheck: true,
      code: '0xd1',
      args: [null, null, null, null],
      driverAtFault: null,
      callbacksInvoked: false,
      breakInstruction: true,
    });
  });

  it('splits a live session and reports g and u as unparsed', () => {
    const { commands } = parsers.auto.parse(fixture('auto.kdcom-breakpoint-session'));
    expect.deepEqual(
      commands.map((c) => [c.command, c.kind]),
      [
        ['g', null],
        ['u @rip', null],
        ['lmDvm kdcom', 'lm'],
      ],
    );
  });
});
