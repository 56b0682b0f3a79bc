/**
 * Every output in the seed transcripts parses to exactly the values the seed prints.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { fixture } from '../../../test/kits/parsers/tests/fixtures.testkit.js';
import { parsers } from '../index.js';

const f = (module: string | null, fn: string | null, offset: string | null) => ({
  module,
  function: fn,
  offset,
});
const pick = <T extends object>(frames: T[]) =>
  frames.map((fr) => {
    const {
      module,
      function: fn,
      offset,
    } = fr as unknown as { module: string | null; function: string | null; offset: string | null };
    return f(module, fn, offset);
  });

describe('seed: Missing System Writer (events 8193)', () => {
  it('reads the "XML document is too long" event with its VSS fields', () => {
    const { events } = parsers.event.parse(fixture('event.8193-xml-document-too-long'));
    expect.equal(events.length, 1);
    const [e] = events;
    expect.equal(e?.eventId, 8193);
    expect.equal(e?.provider, 'VSS');
    expect.equal(e?.level, 'Error');
    expect.match(
      e?.message ?? '',
      /^Volume Shadow Copy Service error: Unexpected error calling routine XML document is too long\./,
    );
    expect.deepEqual(e?.decoded, {
      type: 'vss',
      operation: 'Writer Exposing its Metadata',
      writerName: 'System Writer',
      hr: '0x80070018',
      writerClassId: '{E8132975-6F93-4464-A53E-1050253AE220}',
      writerInstanceId: '{636923A0-89C2-4823-ADEF-023A739B2515}',
    });
  });

  it('reads the CreateVssExamineWriterMetadata event', () => {
    const [e] = parsers.event.parse(fixture('event.8193-examine-writer-metadata')).events;
    expect.equal(e?.eventId, 8193);
    expect.equal(e?.decoded?.type, 'vss');
    if (e?.decoded?.type !== 'vss') return;
    expect.equal(e.decoded.hr, '0x80042302');
    expect.equal(e.decoded.writerName, 'System Writer');
  });
});

describe('seed: Special Pool for buffer overruns', () => {
  it('reads the 2013 !analyze -v of stop 0xD6 without a title line: code and name are not shown, so null', () => {
    const a = parsers.analyze.parse(fixture('analyze.stop-d6-special-pool'));
    expect.deepEqual(a.bugcheck, {
      code: null,
      name: null,
      args: ['0xfffff9800b5ff000', '0x0000000000000001', '0xfffff88004f834eb', '0x0000000000000000'],
    });
    expect.match(
      a.description ?? '',
      /^N bytes of memory was allocated and more than N bytes are being referenced\./,
    );
    expect.equal(a.stack, null);
    expect.equal(a.imageName, null);
  });

  it('reads the k stack, BBT frame and bare return address included', () => {
    const s = parsers.stack.parse(fixture('stack.k-special-pool'));
    expect.equal(s.architecture, 'x64');
    expect.equal(s.truncated, false);
    expect.deepEqual(pick(s.frames), [
      f('nt', 'KeBugCheckEx', null),
      f('nt', "?? ::FNODOBFM::`string'", '0x33c2b'),
      f('nt', 'MmAccessFault', '0x55b'),
      f('nt', 'KiPageFault', '0x16e'),
      f('myfault', null, '0x14eb'),
      f('myfault', null, '0x1727'),
      f('nt', 'IovCallDriver', '0xba'),
      f('nt', 'IopXxxControlFile', '0x7e5'),
      f('nt', 'NtDeviceIoControlFile', '0x56'),
      f('nt', 'KiSystemServiceCopyEnd', '0x13'),
      f(null, null, null),
    ]);
    expect.equal(s.frames[0]?.childSp, '0xfffff88004822658');
    expect.equal(s.frames[0]?.retAddr, '0xfffff803721333f1');
    expect.equal(s.frames[10]?.childSp, '0x00000000004debb8');
    expect.equal(s.frames[10]?.address, '0x000007fc4fe22c5a');
  });

  it('reads !pool of the guard page: special pool, no readable block', () => {
    expect.deepEqual(parsers.pool.parse(fixture('pool.special-pool-unreadable')), {
      page: '0xfffff9800b5ff000',
      region: 'Special pool',
      blocks: [],
      corrupt: false,
      diagnostics: ['fffff9800b5ff000: Unable to get contents of special pool block'],
      truncated: false,
    });
  });

  it('reads !pte of the guard page: three valid levels and a PTE that is not valid', () => {
    expect.deepEqual(parsers.pte.parse(fixture('pte.special-pool-guard-page')), {
      va: '0xfffff9800b5ff000',
      levels: [
        {
          level: 'PXE',
          address: '0xfffff6fb7dbedf98',
          contents: '0x0000000001b8f863',
          pfn: '0x1b8f',
          flags: '---DA--KWEV',
          valid: true,
          note: null,
        },
        {
          level: 'PPE',
          address: '0xfffff6fb7dbf3000',
          contents: '0x000000000138e863',
          pfn: '0x138e',
          flags: '---DA--KWEV',
          valid: true,
          note: null,
        },
        {
          level: 'PDE',
          address: '0xfffff6fb7e6002d0',
          contents: '0x000000001a6a1863',
          pfn: '0x1a6a1',
          flags: '---DA--KWEV',
          valid: true,
          note: null,
        },
        {
          level: 'PTE',
          address: '0xfffff6fcc005aff8',
          contents: '0x0000000000000000',
          pfn: null,
          flags: null,
          valid: false,
          note: null,
        },
      ],
    });
  });

  it('reads the 800-byte special pool block tagged Wrap before the guard page', () => {
    const p = parsers.pool.parse(fixture('pool.special-pool-block'));
    expect.equal(p.page, '0xfffff9800b5fe000');
    expect.deepEqual(p.blocks, [
      {
        address: '0xfffff9800b5fe000',
        size: '0x800',
        previousSize: null,
        state: null,
        poolType: 'NonPaged',
        data: '0xfffff9800b5fe800',
        tag: 'Wrap',
        current: true,
        tagDescription: 'Owning component : Unknown (update pooltag.txt)',
        protected: false,
      },
    ]);
  });
});

describe('seed: Pool corruption part 1 (buffer overflows)', () => {
  it('reads every block of a nonpaged pool page', () => {
    const p = parsers.pool.parse(fixture('pool.nonpaged-page'));
    expect.equal(p.region, 'Nonpaged pool');
    expect.equal(p.corrupt, false);
    expect.deepEqual(
      p.blocks.map((b) => [b.address, b.size, b.previousSize, b.state, b.tag, b.current]),
      [
        ['0xfffffa8003f42000', '0x410', '0x0', 'free', 'Irp', true],
        ['0xfffffa8003f42410', '0x40', '0x410', 'allocated', 'MmSe', false],
        ['0xfffffa8003f42450', '0x150', '0x40', 'allocated', 'File', false],
        ['0xfffffa8003f425a0', '0x80', '0x150', 'allocated', 'Even', false],
        ['0xfffffa8003f42620', '0xc0', '0x80', 'allocated', 'EtwR', false],
        ['0xfffffa8003f426e0', '0xd0', '0xc0', 'allocated', 'CcBc', false],
        ['0xfffffa8003f427b0', '0xd0', '0xd0', 'allocated', 'CcBc', false],
        ['0xfffffa8003f42880', '0x20', '0xd0', 'free', 'Free', false],
        ['0xfffffa8003f428a0', '0xd0', '0x20', 'allocated', 'Wait', false],
        ['0xfffffa8003f42970', '0x80', '0xd0', 'allocated', 'CM44', false],
        ['0xfffffa8003f429f0', '0x80', '0x80', 'allocated', 'Even', false],
        ['0xfffffa8003f42a70', '0x80', '0x80', 'allocated', 'Even', false],
        ['0xfffffa8003f42af0', '0xd0', '0x80', 'allocated', 'Wait', false],
        ['0xfffffa8003f42bc0', '0x80', '0xd0', 'allocated', 'CM44', false],
        ['0xfffffa8003f42c40', '0xd0', '0x80', 'allocated', 'Wait', false],
        ['0xfffffa8003f42d10', '0x230', '0xd0', 'allocated', 'ALPC', false],
        ['0xfffffa8003f42f40', '0xc0', '0x230', 'allocated', 'EtwR', false],
      ],
    );
    expect.equal(p.blocks[0]?.tagDescription, 'Pooltag Irp  : Io, IRP packets');
  });

  it('reads the 2013 !analyze -v of stop 0x3B', () => {
    const a = parsers.analyze.parse(fixture('analyze.stop-3b-pool-corruption'));
    expect.deepEqual(a.bugcheck.args, [
      '0x00000000c0000005',
      '0xfffff8009267244a',
      '0xfffff88004763560',
      '0x0000000000000000',
    ]);
    expect.equal(a.description, 'An exception happened while executing a system service routine.');
  });

  it('reads a corrupt pool page: the one block it could walk, corrupt, and the diagnosis', () => {
    const p = parsers.pool.parse(fixture('pool.corrupt-header'));
    expect.equal(p.page, '0xfffffa8001a1b820');
    expect.equal(p.corrupt, true);
    expect.deepEqual(
      p.blocks.map((b) => [b.address, b.size, b.previousSize, b.state, b.tag, b.current]),
      [['0xfffffa8001a1b000', '0x810', '0x0', 'allocated', 'None', false]],
    );
    expect.ok(p.diagnostics.includes('Bad previous allocation size @fffffa8001a1b810, last size was 81'));
    expect.ok(
      p.diagnostics.includes('[ fffffa8001a1b000 --> fffffa8001a1b010 (size = 0x10 bytes)]: Corrupt region'),
    );
    expect.equal(p.diagnostics.at(-1), 'None found');
  });
});

describe('seed: Another Who Done It (APCs disabled)', () => {
  it('reads the trap stack', () => {
    const s = parsers.stack.parse(fixture('stack.stack-text-apc-trap'));
    expect.deepEqual(pick(s.frames), [
      f('nt', 'KeBugCheckEx', null),
      f('nt', 'KiBugCheckDispatch', '0x69'),
      f('nt', 'KiPageFault', '0x260'),
      f('nt', 'IopCompleteRequest', '0xc73'),
      f('nt', 'KiDeliverApc', '0x1d7'),
      f('nt', 'KiCheckForKernelApcDelivery', '0x25'),
      f('nt', 'MiMapViewOfSection', '0x2bafa'),
      f('nt', 'NtMapViewOfSection', '0x2be'),
      f('nt', 'KiSystemServiceCopyEnd', '0x13'),
      f(null, null, null),
    ]);
    expect.equal(s.frames[9]?.address, '0x772df93a');
  });

  it('reads !thread: the three IRPs, the owning process csrss.exe and the stack', () => {
    const t = parsers.thread.parse(fixture('thread.irp-list-csrss'));
    expect.equal(t.address, '0xfffffa80064c9b50');
    expect.equal(t.cid, '0200.0204');
    expect.equal(t.teb, '0x000007fffffde000');
    expect.equal(t.state, 'RUNNING on processor 1');
    expect.deepEqual(t.irps, [
      { address: '0xfffff9800a33ec60', typeSize: '(0006,03a0)', flags: '0x40060070', mdl: '0x00000000' },
      { address: '0xfffff9800a250c60', typeSize: '(0006,03a0)', flags: '0x40060070', mdl: '0x00000000' },
      { address: '0xfffff9800a3f4ee0', typeSize: '(0006,0118)', flags: '0x40060070', mdl: '0x00000000' },
    ]);
    expect.equal(t.process, '0xfffffa80064bbb30');
    expect.equal(t.image, 'csrss.exe');
    expect.equal(t.attachedProcess, null);
    expect.equal(t.stack.length, 11);
    expect.deepEqual(
      t.stack[1] && f(t.stack[1].module, t.stack[1].function, t.stack[1].offset),
      f('nt', 'MmAccessFault', '0xfffffffffff9c15c'),
    );
    expect.deepEqual(
      t.stack[7] && f(t.stack[7].module, t.stack[7].function, t.stack[7].offset),
      f('nt', 'MiMapViewOfSection', '0xfffffffffff36baa'),
    );
    expect.equal(t.stack[10]?.address, '0x7761159a');
  });

  it('reads the !verifier 100 IRP log: SpecialApcDisable = -1 on every entry, baddriver frames', () => {
    const log = parsers['verifier-irplog'].parse(fixture('verifier-irplog.apc-disabled'));
    expect.equal(log.truncated, false);
    expect.deepEqual(
      log.entries.map((e) => [
        e.irp,
        e.thread,
        e.irql,
        e.kernelApcDisable,
        e.specialApcDisable,
        e.stack.length,
      ]),
      [
        ['0xfffff9800a3f4ee0', '0xfffffa80064c9b50', 0, -4, -1, 13],
        ['0xfffff9800a250c60', '0xfffffa80064c9b50', 0, -5, -1, 13],
        ['0xfffff9800a33ec60', '0xfffffa80064c9b50', 0, -5, -1, 13],
      ],
    );
    const first = log.entries[0]?.stack ?? [];
    expect.deepEqual(first[0], {
      module: 'nt',
      function: 'IovAllocateIrp',
      offset: '0x28',
      address: '0xfffff80003573a68',
    });
    expect.deepEqual(first[3], {
      module: 'fltmgr',
      function: 'FltGetVolumeGuidName',
      offset: '0x18c',
      address: '0xfffff880010f8bcc',
    });
    expect.deepEqual(first[4], {
      module: 'baddriver',
      function: null,
      offset: '0x12be1',
      address: '0xfffff88004e4fbe1',
    });
    expect.deepEqual(first[5], {
      module: 'baddriver',
      function: null,
      offset: '0x36523',
      address: '0xfffff88004e73523',
    });
    expect.deepEqual(first[12], {
      module: 'baddriver',
      function: null,
      offset: '0x21638',
      address: '0xfffff88004e5e638',
    });
    expect.deepEqual(log.entries[1]?.stack[3], {
      module: 'mountmgr',
      function: 'MountMgrSendDeviceControl',
      offset: '0x73',
      address: '0xfffff8800101eec7',
    });
  });
});

describe('seed: Commitment failures', () => {
  it('reads !vm 1: counters, page file, commit charge and the 48440 failed commit requests', () => {
    const vm = parsers.vm.parse(fixture('vm.commit-failures'));
    expect.equal(vm.committedPages, 5565215);
    expect.equal(vm.commitLimitPages, 25162749);
    expect.equal(vm.commitFailures, 48440);
    expect.equal(Object.keys(vm.counters).length, 24);
    expect.deepEqual(vm.counters['Physical Memory'], { pages: 12580300, kb: 50321200 });
    expect.deepEqual(vm.counters['NonPagedPool 1 Used'], { pages: 22308, kb: 89232 });
    expect.deepEqual(vm.counters['Free System PTEs'], { pages: 33460257, kb: 133841028 });
    expect.deepEqual(vm.pageFiles, [
      {
        path: '\\??\\C:\\pagefile.sys',
        currentKb: 50331648,
        freeKb: 50306732,
        minimumKb: 50331648,
        maximumKb: 50331648,
      },
    ]);
  });
});

describe('seed: TrackNblOwner to the rescue', () => {
  it('reads !locks: a shared and an exclusive PnP lock owned by the same thread', () => {
    expect.deepEqual(parsers.locks.parse(fixture('locks.pnp-device-tree')), {
      resources: [
        {
          address: '0xfffff80001a81c80',
          symbol: 'nt!IopDeviceTreeLock',
          mode: 'shared',
          sharedOwners: 1,
          contentionCount: null,
          exclusiveWaiters: null,
          sharedWaiters: null,
          owners: [{ thread: '0xfffffa800cd8a040', printedThread: null, count: 1, owner: true }],
          waiters: [],
        },
        {
          address: '0xfffff80001a81b80',
          symbol: 'nt!PiEngineLock',
          mode: 'exclusive',
          sharedOwners: null,
          contentionCount: 6,
          exclusiveWaiters: null,
          sharedWaiters: null,
          owners: [{ thread: '0xfffffa800cd8a040', printedThread: null, count: 1, owner: true }],
          waiters: [],
        },
      ],
      totalLocks: 84372,
      heldLocks: 2,
      truncated: false,
    });
  });

  it('reads !thread e through the symbol error line: wait object, IRP, System process, 23 frames', () => {
    const t = parsers.thread.parse(fixture('thread.ndis-pnp-wait'));
    expect.equal(t.state, 'WAIT: (Executive) KernelMode Non-Alertable');
    expect.deepEqual(t.waitObjects, [{ address: '0xfffff88002b0f118', type: 'SynchronizationEvent' }]);
    expect.deepEqual(t.irps, [
      { address: '0xfffffa8016527510', typeSize: '(0006,0310)', flags: '0x00000000', mdl: '0x00000000' },
    ]);
    expect.equal(t.process, '0xfffffa800cd56040');
    expect.equal(t.image, 'System');
    expect.equal(t.stack.length, 23);
    expect.deepEqual(pick(t.stack.slice(3, 5)), [
      f('nt', "??::FNODOBFM::`string'", '0x12ff6'),
      f('tcpip', 'FlPnpEvent', '0x17d'),
    ]);
    expect.deepEqual(pick(t.stack.slice(19, 20)), [f('nt', "?? ::NNGAKEGL::`string'", '0x5ab9b')]);
    expect.deepEqual(pick(t.stack.slice(-1)), [f('nt', 'KiStartSystemThread', '0x16')]);
  });

  it('reads the stack "as it should look", with the inlined function', () => {
    const s = parsers.stack.parse(fixture('stack.inline-function'));
    expect.deepEqual(pick(s.frames), [
      f('nt', 'KiSwapContext', '0x7a'),
      f('nt', 'KiCommitThreadWait', '0x1d2'),
      f('nt', 'KeWaitForSingleObject', '0x19f'),
      f('nt', 'ExWaitForRundownProtectionReleaseCacheAware', null),
      f('tcpip', 'FlpUninitializePacketProviderInterface', null),
      f('tcpip', 'FlPnpEvent', '0x17d'),
      f('tcpip', 'Fl48PnpEvent', '0xe'),
    ]);
    expect.equal(s.frames[4]?.inline, true);
    expect.equal(s.frames[4]?.childSp, undefined);
  });

  it('reads !ndiskd.pendingnbls without tracking as "tracking not enabled"', () => {
    const p = parsers.pendingnbls.parse(fixture('pendingnbls.tracking-disabled'));
    expect.equal(p.trackingEnabled, false);
    expect.deepEqual(p.rows, []);
    expect.equal(p.pending, null);
  });

  it('reads !ndiskd.pendingnbls: 1854 pending of 3005, three rows shown, so not complete', () => {
    const p = parsers.pendingnbls.parse(fixture('pendingnbls.miniport-holds'));
    expect.deepEqual([p.pools, p.freed, p.pending, p.total, p.complete], [20, 550, 1854, 3005, false]);
    expect.deepEqual(
      p.rows.map((r) => [r.nbl, r.heldBy, r.holderName, r.holderType]),
      [
        ['0xfffffa801dc559f0', '0xfffffa80142d31a0', 'My Ethernet 1Gb 4-port Adapter', 'Miniport'],
        ['0xfffffa801dc81680', '0xfffffa80142d31a0', 'My Ethernet 1Gb 4-port Adapter', 'Miniport'],
        ['0xfffffa80131d2aa0', '0xfffffa80142d31a0', 'My Ethernet 1Gb 4-port Adapter', 'Miniport'],
      ],
    );
    expect.deepEqual(p.notes, ['Ret of the repeated output omitted']);
  });

  it('reads !ndiskd.miniport: QUERY_REMOVED, DORMANT_PAUSED', () => {
    const m = parsers.miniport.parse(fixture('miniport.query-removed'));
    expect.equal(m.name, 'My Ethernet 1Gb 4-port Adapter');
    expect.equal(m.ndisHandle, '0xfffffa80142d31a0');
    expect.deepEqual(
      [
        m.state,
        m.devicePnp,
        m.operationalStatus,
        m.operationalFlags,
        m.adminStatus,
        m.media,
        m.power,
        m.references,
        m.totalResets,
      ],
      ['Running', 'QUERY_REMOVED', 'DORMANT', 'DORMANT_PAUSED', 'ADMIN_UP', 'Connected', 'D0', 9, 0],
    );
    expect.equal(m.fields['Ndis API version'], 'v6.20');
    expect.equal(m.fields['Miniport driver'], 'fffffa800d4f7530 - MyMiniPortDriver  v1.0');
    expect.deepEqual(m.flags, ['SUPPORTS_MEDIA_SENSE', 'DOES_NOT_DO_LOOPBACK']);
  });
});

describe('seed: minifilter and legacy filter load order', () => {
  it('reads fltmc filters: legacy filters without instance counts, altitudes as printed', () => {
    expect.deepEqual(parsers['fltmc-filters'].parse(fixture('fltmc-filters.legacy-frames')), {
      filters: [
        { name: 'AVLegacy', instances: null, altitude: '389998.99', frame: 'legacy' },
        { name: 'EncryptionLegacy', instances: null, altitude: '149998.99', frame: 'legacy' },
        { name: 'AVMiniFilter', instances: 3, altitude: '328000', frame: 0 },
        { name: 'luafv', instances: 1, altitude: '135000', frame: 0 },
        { name: 'FileInfo', instances: 13, altitude: '45000', frame: 0 },
      ],
      truncated: false,
    });
  });
});

describe('seed: registers and memory the triage reads', () => {
  it("reads the pool corruption's .cxr: rax holds the overrun pattern, r8 the pool block", () => {
    const { registers } = parsers.registers.parse(fixture('registers.seed-cxr-pool-corruption'));
    expect.deepEqual(registers, {
      rax: '0x4f4f4f4f4f4f4f4f',
      rbx: '0xfffff80092690460',
      rcx: '0xfffff800926fbc60',
      rdx: '0x0000000000000000',
      rsi: '0x0000000000001000',
      rdi: '0x0000000000000000',
      rip: '0xfffff8009267244a',
      rsp: '0xfffff88004763f60',
      rbp: '0xfffff8009268fb40',
      r8: '0xfffffa8001a1b820',
      r9: '0x0000000000000001',
      r10: '0xfffff800926fbc60',
      r11: '0x0000000000000011',
      r12: '0x0000000000000000',
      r13: '0xfffff8009268fb48',
      r14: '0x0000000000000012',
      r15: '0x000000006374504d',
    });
  });

  it('reads the same registers from what the embedded lab renders', () => {
    const rendered = parsers.registers.parse(fixture('registers.rendered-cxr-pool-corruption')).registers;
    const seed = parsers.registers.parse(fixture('registers.seed-cxr-pool-corruption')).registers;
    expect.deepEqual(Object.keys(rendered).sort(), Object.keys(seed).sort());
    expect.equal(rendered.rax, '0x4f4f4f4f4f4f4f4f');
  });

  it('reads dc of nt!MiChargeCommitmentFailures: 0xbd38 (48440) failures in member 1', () => {
    expect.deepEqual(parsers.dwords.parse(fixture('dwords.seed-dc-commit-failures')), {
      rows: [{ address: '0xfffff80001e45ce0', values: [0, 0xbd38, 0, 0] }],
    });
    expect.deepEqual(
      parsers.dwords.parse(fixture('dwords.rendered-dc-commit-failures')).rows[0]?.values,
      [0, 48440, 0, 0],
    );
  });

  it('refuses text without registers or memory rows with a sentence', () => {
    expect.throws(
      () => parsers.registers.parse('kd> k\nChild-SP'),
      /^ParseError: The registers parser could not read this text because it holds no general-purpose register value/,
    );
    expect.throws(
      () => parsers.dwords.parse("Couldn't resolve error at 'nt!MiChargeCommitmentFailures'"),
      /^ParseError: The dwords parser could not read this text because it holds no memory row .*; give it the complete, English output of dd or dc\.$/,
    );
  });
});

describe('seed: whole sessions through auto', () => {
  it('splits the commitment session and reads !vm and dc, reporting ? as unparsed', () => {
    const { commands } = parsers.auto.parse(fixture('auto.commit-failures-session'));
    expect.deepEqual(
      commands.map((c) => [c.command, c.kind, c.error]),
      [
        ['!vm 1', 'vm', null],
        ['dc nt!MiChargeCommitmentFailures L4', 'dwords', null],
        ['?0000bd38', null, null],
      ],
    );
    expect.equal((commands[0]?.value as { commitFailures: number } | undefined)?.commitFailures, 48440);
    expect.deepEqual(commands[1]?.value, {
      rows: [{ address: '0xfffff80001e45ce0', values: [0, 0xbd38, 0, 0] }],
    });
  });

  it('splits the special pool session and reads every command it knows', () => {
    const { commands } = parsers.auto.parse(fixture('auto.special-pool-session'));
    expect.deepEqual(
      commands.map((c) => [c.command, c.kind, c.error]),
      [
        ['!analyze -v', 'analyze', null],
        ['k', 'stack', null],
        ['!pool fffff9800b5ff000', 'pool', null],
        ['!pte fffff9800b5ff000', 'pte', null],
        ['!pool fffff9800b5ff000-1000', 'pool', null],
      ],
    );
    expect.equal((commands[1]?.value as { frames: unknown[] } | undefined)?.frames.length, 11);
  });
});
