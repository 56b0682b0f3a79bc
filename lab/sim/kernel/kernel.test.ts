import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parsers } from '../../parsers/index.js';
import {
  APC_FAULT,
  buildCase,
  driver,
  GUEST,
  NBL_FAULT,
  overrun,
  SEED_CASES,
  type SeedCase,
} from './cases.js';
import { createKernel, restoreKernel } from './index.js';
import { FIXTURE_DIR } from './render-fixtures.js';

function seedCase(name: string): SeedCase {
  const found = SEED_CASES.find((c) => c.name === name);
  if (!found) throw new Error(`no seed case ${name}`);
  return found;
}

/** Renders a case; the result maps each command template to its text. */
function rendered(seed: SeedCase, overrides: Parameters<typeof buildCase>[1] = {}): Map<string, string> {
  const built = buildCase(seed, overrides);
  let context = built.context;
  const out = new Map<string, string>();
  seed.commands.forEach((template, i) => {
    const r = built.kernel.renderCommand(built.commands[i] as string, context);
    context = r.context;
    out.set(template, r.text);
  });
  return out;
}

function text(map: Map<string, string>, template: string): string {
  const t = map.get(template);
  if (t === undefined) throw new Error(`no render for ${template}`);
  return t;
}

type Replacer = [RegExp, string];

/** Addresses are not state the seed shares with us; everything else on a line is compared. */
const ADDRESSES: Replacer[] = [
  [/0x[0-9a-f]{16}\b/gi, '0xA'],
  [/[0-9a-f]{8}`[0-9a-f]{8}/gi, 'A'],
  [/\b[0-9a-f]{16}\b/gi, 'A'],
  [/\b0x[0-9a-f]{8}\b/gi, '0xA'],
];

function normalize(line: string, extra: Replacer[] = []): string {
  let out = line.trim().replace(/\s+/g, ' ');
  for (const [pattern, replacement] of [...ADDRESSES, ...extra]) out = out.replace(pattern, replacement);
  return out;
}

/** The seed excerpt's output lines (the command line and blank lines dropped), normalized. */
function seedLines(file: string, extra: Replacer[] = []): string[] {
  const lines = readFileSync(join(FIXTURE_DIR, 'seed', file), 'utf8').split('\n');
  return lines
    .filter((l) => !/^\s*(\d+: )?kd> /.test(l))
    .map((l) => normalize(l, extra))
    .filter((l) => l !== '');
}

/** Every seed line appears in our render, in order. */
function expectSeedIn(file: string, ours: string, extra: Replacer[] = [], skip: RegExp[] = []): void {
  const want = seedLines(file, extra).filter((l) => !skip.some((s) => s.test(l)));
  const have = ours.split('\n').map((l) => normalize(l, extra));
  let at = 0;
  for (const line of want) {
    const found = have.indexOf(line, at);
    if (found < 0)
      expect.fail(
        `seed line not rendered (in order) from ${file}:\n  ${line}\nrendered:\n${have.slice(at).join('\n')}`,
      );
    at = found + 1;
  }
}

describe('simulated kernel: the seed cases, rendered from state', () => {
  it('special pool catches the overrun at once as 0xD6, and !pool / !pte / k read as in the seed', () => {
    const c = seedCase('special-pool-d6');
    const built = buildCase(c);
    const state = built.kernel.state;
    const crash = state.crash;
    expect.ok(crash);
    expect.equal(crash.code, 0xd6);
    const guard = BigInt(`0x${state.pool.special[0]?.page}`) + 0x1000n;
    expect.equal(BigInt(`0x${crash.args[0]}`), guard, 'Arg1 is the guard page');
    expect.equal(crash.args[1], '0000000000000001', 'Arg2 is a write');
    const myfault = state.modules.find((m) => m.name === 'myfault');
    expect.equal(
      BigInt(`0x${crash.args[2]}`),
      BigInt(`0x${myfault?.base}`) + 0x14ebn,
      'Arg3 is inside myfault',
    );
    const r = rendered(c);
    expectSeedIn('analyze-v.d6.txt', text(r, '!analyze -v'));
    // A current kd numbers k's frames (` # `, `00`): the seed's older layout is compared without them.
    expectSeedIn('k.d6.txt', text(r, 'k'), [[/^(?:#|[0-9a-f]{2}) /, '']]);
    expectSeedIn('pool-guard.d6.txt', text(r, '!pool {guard}'));
    expectSeedIn('pte-guard.d6.txt', text(r, '!pte {guard}'), [[/\bpfn [0-9a-f]+/g, 'pfn N']]);
    expectSeedIn('pool-allocation.d6.txt', text(r, '!pool {guard}-1000'));
    expect.match(text(r, '!analyze -v'), /^DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION \(d6\)$/m);
    expect.match(text(r, '!analyze -v'), /^IMAGE_NAME: {2}myfault\.sys$/m);
    expect.match(text(r, '!analyze -v'), /^PROCESS_NAME: {2}notmyfault64\.exe$/m);
  });

  it('the overrun without special pool corrupts silently, then the next allocation stops 0x3B with the pattern in rax', () => {
    const c = seedCase('pool-corruption-3b');
    const kernel = createKernel({ ...GUEST, verifier: c.verifier });
    kernel.apply(c.actions[0] as never);
    expect.deepEqual(kernel.apply(c.actions[1] as never), { kind: 'none' }, 'the overrun itself is silent');
    const outcome = kernel.apply(c.actions[2] as never);
    expect.equal(outcome.kind, 'bugcheck');
    const r = rendered(c);
    expectSeedIn('analyze-v.3b.txt', text(r, '!analyze -v'));
    expectSeedIn('cxr.3b.txt', text(r, '.cxr 0x{cxr}'), [
      [/r15=\S+/, 'r15=T'],
      [/efl=\S+/, 'efl=E'],
      [/ p[eo] /, ' p? '],
    ]);
    // The seed's branch labels are two bytes off their own targets; the targets themselves agree.
    expectSeedIn('ub.3b.txt', text(r, 'ub .'), [[/\+0x[0-9a-f]+ \(/g, '+OFF (']]);
    expectSeedIn('dq-r8.3b.txt', text(r, 'dq {r8} l1'));
    expectSeedIn('pool-corrupt.3b.txt', text(r, '!pool {r8}'));
    expectSeedIn('for-each-module-s.3b.txt', text(r, '!for_each_module s -a @#Base @#End "None"'), [
      [/e9( [0-9a-f]{2}){3}-00/, 'e9 REL'],
      [/None\.[^ ]*$/, 'None'],
      [/e9( [0-9a-f]{2}){4}/, 'e9 REL'],
    ]);
    expectSeedIn('u-none.3b.txt', text(r, 'u {none}-1'), [[/e9[0-9a-f]{8}/, 'e9REL']]);
    // The first two lines of the header dump are the overrun's pattern, as in the seed.
    const dq = text(r, 'dq {page} + 810').split('\n');
    expect.equal(dq.length, 8);
    expect.match(dq[0] ?? '', /4f4f4f4f`4f4f4f4f 4f4f4f4f`4f4f4f4f$/);
    expect.match(dq[1] ?? '', /4f4f4f4f`4f4f4f4f 4f4f4f4f`4f4f4f4f$/);
  });

  it('I/O from the image-load callback with special APCs disabled stops 0xA after APC delivery, with the IRP log of /flags 0x410', () => {
    const c = seedCase('apc-disabled-io-0a');
    const built = buildCase(c);
    expect.equal(built.kernel.state.crash?.code, 0x0a);
    const r = rendered(c);
    const numbers: Replacer[] = [
      [/\b[0-9a-f]{4}\.[0-9a-f]{4}\b/g, 'CID'],
      [/\(0006,[0-9a-f]{4}\)/g, '(0006,S)'],
      [/\b\d+\b/g, 'N'],
    ];
    expectSeedIn('thread.0a.txt', text(r, '!thread'), numbers, [
      /MmAccessFault|memcpy|IopCompleteRequest|KiDeliverApc|MiMapViewOfSection|NtMapViewOfSection|KiPageFault|KiCheckFor|KiSystemService|^A A/,
    ]);
    expectSeedIn('k.0a.txt', text(r, '!thread'));
    // The seed prints its first baddriver frame without the space its other frames have.
    expectSeedIn('verifier-100.0a.txt', text(r, '!verifier 100'), [[/baddriver ?\+/g, 'baddriver +']]);
    expect.match(text(r, '!verifier 100'), /SpecialApcDisable = -1/);
    expect.match(text(r, '!analyze -v'), /^IRQL_NOT_LESS_OR_EQUAL \(a\)$/m);
  });

  it('a miniport that keeps its NBLs hangs PnP remove; !locks, !thread, .fnent, ln, !ndiskd read as in the seed', () => {
    const c = seedCase('nbl-leak-hang');
    const kernel = createKernel({ ...GUEST, ...c.facts, verifier: c.verifier });
    kernel.apply(c.actions[0] as never);
    const outcome = kernel.apply(c.actions[1] as never);
    expect.equal(outcome.kind, 'hang');
    const r = rendered(c);
    const numbers: Replacer[] = [
      [/\b[0-9a-f]{4}\.[0-9a-f]{4}\b/g, 'CID'],
      [/\(0006,[0-9a-f]{4}\)/g, '(0006,S)'],
      [/\b\d+\b/g, 'N'],
    ];
    expectSeedIn('locks.hang.txt', text(r, '!locks'), numbers);
    // The seed spells the BBT label "?? ::" in one stack and "??::" in this one; KD prints it one way.
    expectSeedIn(
      'thread-e.hang.txt',
      text(r, '!thread {thread} e'),
      [...numbers, [/\(N:N:N:N\.N\)/, ''], [/\?\? ?::/g, '?? ::']],
      [/^\*\*\* ERROR: Module load completed/, /^(Wait Start TickCount|Context Switch Count|KernelTime)/],
    );
    expectSeedIn('fnent.hang.txt', text(r, '.fnent {waitret}'));
    expectSeedIn('ln.hang.txt', text(r, 'ln nt+000182f0'));
    expectSeedIn('dp.hang.txt', text(r, 'dp NDIS!ndisTrackNblOwner L1'));
    expectSeedIn(
      'pendingnbls.hang.txt',
      text(r, '!ndiskd.pendingnbls'),
      [],
      [/^Ret of the repeated output omitted$/],
    );
    expectSeedIn('miniport.hang.txt', text(r, '!ndiskd.miniport {miniport}'), [
      [/PCI\\\S+/, 'PCI'],
      [/MAC address \S+/, 'MAC address M'],
    ]);
  });

  it('without TrackNblOwner, !ndiskd.pendingnbls prints the seed text asking for NBL tracking', () => {
    const r = rendered(seedCase('nbl-leak-hang'), { trackNblOwner: 0 });
    expectSeedIn('pendingnbls-off.hang.txt', text(r, '!ndiskd.pendingnbls'));
  });

  it('commit beyond the limit counts MiChargeCommitmentFailures and !vm reports their sum by the seed rule', () => {
    const r = rendered(seedCase('commit-failures'));
    expectSeedIn('vm.commit.txt', text(r, '!vm 1'), [[/\b\d+\b/g, 'N']]);
    expect.match(text(r, '!vm 1'), /^ {6}\*{10} 48440 commit requests have failed {2}\*{10}$/m);
    expectSeedIn('dc.commit.txt', text(r, 'dc nt!MiChargeCommitmentFailures L4'));
    expectSeedIn('evaluate.commit.txt', text(r, '?0000bd38'));
    expect.equal(text(r, '? 0000bd38'), 'Evaluate expression: 48440 = 00000000`0000bd38');
  });

  it('counts member 2 on Windows XP/2003 and member 3 on later builds', () => {
    const kernel = createKernel({ ...GUEST, verifier: { flags: 0, drivers: [] } });
    kernel.state.memory.failures = [1, 2, 30, 400];
    expect.match(kernel.render('!vm 1'), / 403 commit requests have failed/);
    kernel.state.boot.os.family = 'xp-2003';
    expect.match(kernel.render('!vm 1'), / 33 commit requests have failed/);
  });

  it('grows the page file before it fails a commit; a request the maximum cannot hold counts in member 1', () => {
    const kernel = createKernel({
      ...GUEST,
      memory: { physicalMb: 1024, pageFileInitialMb: 512, pageFileMaximumMb: 1024 },
      verifier: { flags: 0, drivers: [] },
    });
    // 307 MB committed + 1700 MB + the system's 5 MB reserve: the page file grows to 989 MB.
    expect.deepEqual(kernel.apply({ kind: 'commit', megabytes: 1700 }), {
      kind: 'commit',
      refused: 0,
      chargedMb: 307,
      limitMb: 2013,
      pageFileMb: 989,
    });
    expect.deepEqual(kernel.state.memory.failures, [0, 0, 0, 0]);
    expect.equal(kernel.state.memory.committedPages, 78643, 'the process exited and released its commit');
    // Growing to the maximum does not make room: the next pass finds the limit at its maximum.
    const refused = kernel.apply({ kind: 'commit', megabytes: 5000 });
    expect.ok(refused.kind === 'commit' && refused.refused === 1 && refused.limitMb === 2048);
    expect.deepEqual(kernel.state.memory.failures, [0, 1, 0, 0]);
    kernel.apply({ kind: 'commit', megabytes: 5000, times: 3 });
    expect.deepEqual(kernel.state.memory.failures, [0, 4, 0, 0]);
    expect.match(
      kernel.render('dc nt!MiChargeCommitmentFailures L4'),
      / 00000000 00000004 00000000 00000000 /,
    );
  });

  it('moves every member of MiChargeCommitmentFailures as its OS version does', () => {
    const at = (family: 'xp-2003' | 'vista-and-later', diskFull = false, pageFileMb = 1024) =>
      createKernel({
        ...GUEST,
        os:
          family === 'xp-2003'
            ? { product: 'Windows Server 2003', build: 3790, processors: 2, family, sku: 'server' }
            : GUEST.os,
        memory: { physicalMb: 1024, pageFileInitialMb: pageFileMb, pageFileMaximumMb: 1024 },
        diskFull,
        verifier: { flags: 0, drivers: [] },
      });
    // Member 0: the page file could grow, but the disk has no room for it.
    const full = at('vista-and-later', true, 512);
    expect.ok(full.apply({ kind: 'commit', megabytes: 1700 }).kind === 'commit');
    expect.deepEqual(full.state.memory.failures, [1, 0, 0, 0]);
    // 1740 MB fits under the limit (2048 MB, 307 committed) but not with the 5 MB reserve: member 3
    // after XP / Server 2003, member 1 on them.
    const vista = at('vista-and-later');
    vista.apply({ kind: 'commit', megabytes: 1740 });
    expect.deepEqual(vista.state.memory.failures, [0, 0, 0, 1]);
    const srv03 = at('xp-2003');
    srv03.apply({ kind: 'commit', megabytes: 1740 });
    expect.deepEqual(srv03.state.memory.failures, [0, 1, 0, 0]);
    // Member 2: a charge under the PFN lock within 64 pages of the limit (no extension is tried).
    const outcome = srv03.apply({
      kind: 'commit',
      megabytes: 1000,
      times: 2,
      hold: true,
      path: 'pfn-lock-held',
    });
    expect.ok(outcome.kind === 'commit' && outcome.refused === 1);
    expect.deepEqual(srv03.state.memory.failures, [0, 1, 1, 0]);
    expect.equal(srv03.state.memory.committedPages, 78643, 'what it held is released when it exits');
    // !vm counts members 0, 1 and 2 on Server 2003, 0, 1 and 3 later.
    expect.match(srv03.render('!vm'), /\*{10} 2 commit requests have failed {2}\*{10}/);
    expect.match(vista.render('!vm'), /\*{10} 1 commit requests have failed {2}\*{10}/);
    expect.doesNotMatch(at('vista-and-later').render('!vm'), /commit requests have failed/);
  });
});

describe('simulated kernel: outcomes follow the state, not a replay', () => {
  const base = { ...GUEST, verifier: { flags: 1, drivers: ['acmedrv.sys'] as string[] } };

  it('an overrun that stays inside the pool block rounding corrupts nothing; one byte more destroys the next header', () => {
    const noSpecialPool = { ...GUEST, verifier: { flags: 0, drivers: [] as string[] } };
    // 0x7f8 bytes + the 0x10 header make 0x808, rounded to 0x810 on x64: 8 bytes of slack.
    const inside = createKernel(noSpecialPool);
    inside.apply({
      kind: 'driver-loaded',
      driver: driver('slackdrv', [overrun({ allocationBytes: 0x7f8, overrunBytes: 8 })]),
    });
    expect.deepEqual(inside.apply({ kind: 'trigger', driver: 'slackdrv', trigger: 'buffer-overflow' }), {
      kind: 'none',
    });
    const page = inside.state.pool.pages[0];
    expect.equal(page?.blocks[0]?.size, 0x810, 'the block is the rounded size');
    expect.equal(page?.corruption, null);
    expect.equal(inside.state.latentCorruption, null);
    expect.deepEqual(inside.apply({ kind: 'image-load', image: 'svchost.exe' }), { kind: 'none' });
    expect.deepEqual(inside.apply({ kind: 'driver-unloaded', driver: 'slackdrv' }), { kind: 'none' });
    const pool = parsers.pool.parse(inside.render(`!pool ${page?.address}`));
    expect.equal(pool.corrupt, false, 'the page walks clean');

    const beyond = createKernel(noSpecialPool);
    beyond.apply({
      kind: 'driver-loaded',
      driver: driver('slackdrv', [overrun({ allocationBytes: 0x7f8, overrunBytes: 9 })]),
    });
    beyond.apply({ kind: 'trigger', driver: 'slackdrv', trigger: 'buffer-overflow' });
    expect.equal(beyond.state.pool.pages[0]?.corruption?.bytes, 1, 'one byte lands in the next header');
    const met = beyond.apply({ kind: 'image-load', image: 'svchost.exe' });
    expect.equal(met.kind === 'bugcheck' && met.bugcheck.code, 0x3b);

    // A block with no slack: every byte past the allocation is in the next header.
    const exact = createKernel(noSpecialPool);
    exact.apply({
      kind: 'driver-loaded',
      driver: driver('slackdrv', [overrun({ allocationBytes: 0x800, overrunBytes: 1 })]),
    });
    exact.apply({ kind: 'trigger', driver: 'slackdrv', trigger: 'buffer-overflow' });
    const freed = exact.apply({ kind: 'driver-unloaded', driver: 'slackdrv' });
    expect.equal(freed.kind === 'bugcheck' && freed.bugcheck.code, 0x19);
  });

  it('another driver, size and tag show up in the 0xD6 analysis and in !pool', () => {
    const kernel = createKernel(base);
    kernel.apply({
      kind: 'driver-loaded',
      driver: driver('acmedrv', [overrun({ allocationBytes: 0x300, tag: 'Acme', trigger: 'go' })], '2.1.0.7'),
    });
    const outcome = kernel.apply({ kind: 'trigger', driver: 'acmedrv', trigger: 'go' });
    expect.equal(outcome.kind === 'bugcheck' && outcome.bugcheck.code, 0xd6);
    const state = kernel.state;
    const page = state.pool.special[0]?.page ?? '';
    const pool = kernel.render(`!pool ${page}`);
    expect.match(pool, new RegExp(`^\\*${page} size:  300 data: [0-9a-f]{16} \\(NonPaged\\) \\*Acme$`, 'm'));
    const analysis = kernel.render('!analyze -v');
    expect.match(analysis, /^IMAGE_NAME: {2}acmedrv\.sys$/m);
    expect.match(analysis, /^IMAGE_VERSION: {2}2\.1\.0\.7$/m);
    expect.match(kernel.render('k'), /acmedrv\+0x14eb$/m);
  });

  it('a driver that is not verified, or flags without special pool, corrupts silently instead', () => {
    for (const verifier of [
      { flags: 1, drivers: ['other.sys'] },
      { flags: 0x10, drivers: 'all' as const },
    ]) {
      const kernel = createKernel({ ...GUEST, verifier });
      kernel.apply({ kind: 'driver-loaded', driver: driver('myfault', [overrun()]) });
      expect.deepEqual(kernel.apply({ kind: 'trigger', driver: 'myfault', trigger: 'buffer-overflow' }), {
        kind: 'none',
      });
      expect.ok(kernel.state.latentCorruption);
    }
  });

  it('/standard (flags 0x209bb) and /all include special pool', () => {
    const kernel = createKernel({ ...GUEST, verifier: { flags: 0x209bb, drivers: 'all' } });
    kernel.apply({ kind: 'driver-loaded', driver: driver('myfault', [overrun()]) });
    const outcome = kernel.apply({ kind: 'trigger', driver: 'myfault', trigger: 'buffer-overflow' });
    expect.equal(outcome.kind === 'bugcheck' && outcome.bugcheck.code, 0xd6);
  });

  it('the corruption met by a worker thread is 0x7E, and by the driver freeing its block is 0x19 type 0x20', () => {
    const worker = createKernel({ ...GUEST, verifier: { flags: 0, drivers: [] } });
    worker.apply({ kind: 'driver-loaded', driver: driver('myfault', [overrun()]) });
    worker.apply({ kind: 'trigger', driver: 'myfault', trigger: 'buffer-overflow' });
    const w = worker.apply({ kind: 'driver-loaded', driver: driver('other', []) });
    expect.equal(w.kind === 'bugcheck' && w.bugcheck.name, 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED');

    const free = createKernel({ ...GUEST, verifier: { flags: 0, drivers: [] } });
    free.apply({ kind: 'driver-loaded', driver: driver('myfault', [overrun({ pattern: 0x41 })]) });
    free.apply({ kind: 'trigger', driver: 'myfault', trigger: 'buffer-overflow' });
    const f = free.apply({ kind: 'driver-unloaded', driver: 'myfault' });
    expect.ok(f.kind === 'bugcheck');
    expect.equal(f.bugcheck.code, 0x19);
    expect.equal(f.bugcheck.args[0], 0x20n);
    expect.equal(f.bugcheck.args[3], 0x41414141n, 'Arg4 carries what the overrun wrote');
    expect.match(
      free.render('!analyze -v'),
      /^Arg1: 0000000000000020, a pool block header size is corrupt\.$/m,
    );
    expect.match(free.render('!analyze -v'), /^FAILURE_BUCKET_ID: {2}0x19_20_myfault!unknown_function$/m);
  });

  it('another pattern and tag change the context registers and what !for_each_module finds', () => {
    const kernel = createKernel({ ...GUEST, verifier: { flags: 0, drivers: [] } });
    kernel.apply({
      kind: 'driver-loaded',
      driver: driver('wrbdrv', [overrun({ pattern: 0x41, tag: 'Wrb1' })]),
    });
    kernel.apply({ kind: 'trigger', driver: 'wrbdrv', trigger: 'buffer-overflow' });
    kernel.apply({ kind: 'commit', megabytes: 1 });
    const crash = kernel.state.crash;
    expect.equal(crash?.code, 0x3b);
    expect.match(kernel.render(`.cxr 0x${crash?.context?.address}`), /^rax=4141414141414141 /m);
    const hits = kernel.render('!for_each_module s -a @#Base @#End "Wrb1"').split('\n');
    expect.equal(hits.length, 1);
    const hit = BigInt(`0x${(hits[0] ?? '').split(/\s+/)[0]?.replace('`', '')}`);
    const wrb = kernel.state.modules.find((m) => m.name === 'wrbdrv');
    expect.ok(
      wrb && hit > BigInt(`0x${wrb.base}`) && hit < BigInt(`0x${wrb.base}`) + BigInt(wrb.size),
      'the tag is in the driver image',
    );
    expect.match(kernel.render(`u ${(hit - 1n).toString(16)} L1`), /mov {5}edx,31627257h$/m);
  });

  it('without IRP logging (flags 0x10) the 0xA crash still happens but !verifier 100 has no entries; the fixed build runs clean', () => {
    const noLog = createKernel({ ...GUEST, verifier: { flags: 0x10, drivers: 'all' } });
    noLog.apply({ kind: 'driver-loaded', driver: driver('baddriver', [APC_FAULT]) });
    const outcome = noLog.apply({ kind: 'image-load', image: 'notepad.exe' });
    expect.equal(outcome.kind === 'bugcheck' && outcome.bugcheck.code, 0x0a);
    expect.equal(noLog.render('!verifier 100'), '# Parsing 00004000 array entries.');
    expect.deepEqual(parsers['verifier-irplog'].parse(noLog.render('!verifier 100')).entries, []);
    expect.match(noLog.render('!thread'), /IRP List:/);

    const fixed = createKernel({ ...GUEST, verifier: { flags: 0x410, drivers: 'all' } });
    fixed.apply({ kind: 'driver-loaded', driver: driver('baddriver', [], '1.0.1.0') });
    expect.deepEqual(fixed.apply({ kind: 'image-load', image: 'notepad.exe' }), { kind: 'none' });
  });

  it('a remove of a miniport without the fault completes, and the hung thread ages with lab time', () => {
    const clean = createKernel({ ...GUEST, verifier: { flags: 0, drivers: [] } });
    clean.apply({ kind: 'driver-loaded', driver: driver('goodnic', []) });
    expect.deepEqual(clean.apply({ kind: 'pnp-remove', driver: 'goodnic' }), { kind: 'none' });

    const hung = createKernel({ ...GUEST, verifier: { flags: 0, drivers: [] } });
    hung.apply({ kind: 'driver-loaded', driver: driver('MyMiniPortDriver', [NBL_FAULT]) });
    hung.apply({ kind: 'pnp-remove', driver: 'MyMiniPortDriver' });
    hung.elapse(243);
    const thread = hung.state.hang?.thread;
    expect.match(hung.render(`!thread ${thread}`), /Ticks: 15577 \(0:00:04:03\.002\)/);
  });

  it('a state the seed never showed gets a coherent answer', () => {
    const kernel = createKernel({ ...GUEST, verifier: { flags: 0, drivers: [] } });
    kernel.breakIn();
    expect.match(kernel.render('k'), /^00 [0-9a-f`]{17} [0-9a-f`]{17} {5}nt!DbgBreakPointWithStatus$/m);
    expect.match(kernel.render('!analyze -v'), /^Unknown bugcheck code \(0\)$/m);
    expect.match(kernel.render('!pool fffff80000001000'), /region is Unknown/);
    expect.match(kernel.render('.bugcheck'), /^Bugcheck code 00000000$/m);
    expect.equal(kernel.render('!locks').trim().split('\n').pop()?.endsWith('total locks'), true);
    expect.equal(kernel.render('!verifier 100'), '# Parsing 00004000 array entries.');
  });

  it('answers an unknown command the way kd does', () => {
    const kernel = createKernel({ ...GUEST, verifier: { flags: 0, drivers: [] } });
    expect.equal(
      kernel.render('frobnicate', { processor: 0, source: 'live', cxr: null }),
      "       ^ Syntax error in 'frobnicate'",
    );
    expect.equal(
      kernel.render('frobnicate', { processor: null, source: 'live', cxr: null }),
      "    ^ Syntax error in 'frobnicate'",
    );
    expect.equal(kernel.render('!frobnicate'), 'No export frobnicate found');
    expect.equal(kernel.render('dd nosuch!symbol'), "Couldn't resolve error at 'nosuch!symbol'");
  });

  it('is deterministic per VM and boot, and different for another VM or boot', () => {
    const a = buildCase(seedCase('special-pool-d6')).kernel.render('!analyze -v');
    const b = buildCase(seedCase('special-pool-d6')).kernel.render('!analyze -v');
    const c = buildCase(seedCase('special-pool-d6'), { vmName: 'win10-b' }).kernel.render('!analyze -v');
    const d = buildCase(seedCase('special-pool-d6'), { bootCount: 2 }).kernel.render('!analyze -v');
    expect.equal(a, b);
    expect.notEqual(a, c);
    expect.notEqual(a, d);
  });

  it('keeps its state as JSON: a restored state renders the same', () => {
    const built = buildCase(seedCase('pool-corruption-3b'));
    const json = JSON.parse(JSON.stringify(built.kernel.state));
    const copy = restoreKernel(json);
    for (const command of built.commands)
      expect.equal(copy.render(command, built.context), built.kernel.render(command, built.context));
    expect.throws(() => restoreKernel({ ...json, version: 2 }));
  });

  it('answers every further action of a bugchecked kernel with the same bugcheck', () => {
    const kernel = createKernel({ ...GUEST, verifier: { flags: 0, drivers: [] } });
    const first = kernel.apply({ kind: 'nmi' });
    expect.deepEqual(kernel.apply({ kind: 'image-load', image: 'x.exe' }), first);
    expect.ok(
      first.kind === 'bugcheck' && first.bugcheck.code === 0x80 && first.bugcheck.args[0] === 0x4f4454n,
    );
  });
});

describe('reference renders', () => {
  it('are what the simulator renders now (regenerate with render-fixtures.ts)', async () => {
    const { renderedFixtures } = await import('./render-fixtures.js');
    for (const [name, expected] of renderedFixtures()) {
      const onDisk = readFileSync(join(FIXTURE_DIR, name), 'utf8');
      expect.equal(
        onDisk,
        expected,
        `${name} is out of date; run node --import tsx lab/sim/kernel/render-fixtures.ts`,
      );
    }
  });
});
