import { strict as expect } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addressSpace, eraOf, selfMap } from './address-space.js';
import { buildCase, GUEST, SEED_CASES } from './cases.js';
import { addr } from './hex.js';
import { createKernel } from './index.js';
import { identityOf } from './target.js';

const CORPUS = fileURLToPath(new URL('../../kd/replay/corpus/', import.meta.url));

/** The seed's kd sessions as the replay corpus keeps them (seed-*.txt, copied from the seed with its provenance). */
function seedSessions(): string {
  return readdirSync(CORPUS)
    .filter((f) => f.startsWith('seed-'))
    .map((f) => readFileSync(join(CORPUS, f), 'utf8'))
    .join('\n');
}

/** The (build, kernel base) pairs real kd printed on connect or for a dump, from the replay corpus. */
function realKernelBases(): { file: string; build: number; base: bigint }[] {
  const out: { file: string; build: number; base: bigint }[] = [];
  for (const file of readdirSync(CORPUS)) {
    const text = readFileSync(join(CORPUS, file), 'utf8');
    const build = /Windows 10 (?:Kernel Version )?(\d{5})/.exec(text)?.[1];
    const base = /^Kernel base = 0x([0-9a-f]{8})`([0-9a-f]{8})/m.exec(text);
    if (build && base) out.push({ file, build: Number(build), base: BigInt(`0x${base[1]}${base[2]}`) });
  }
  return out;
}

/** Every kernel-mode address (ffff…`…) a text prints, outside module ranges of the nt/driver slots. */
function kernelDataAddresses(text: string): bigint[] {
  return [...text.matchAll(/\b(ffff[0-9a-f]{4})`?([0-9a-f]{8})\b/g)]
    .map((m) => BigInt(`0x${m[1]}${m[2]}`))
    .filter((a) => a < 0xfffff80000000000n);
}

const legacyPrefixes = [0xfffff880n, 0xfffff8a0n, 0xfffff980n, 0xfffffa80n];
const inLegacyRegion = (a: bigint) => legacyPrefixes.some((p) => a >> 32n >= p && a >> 32n < p + 0x80n);

describe('the kernel address space of a guest', () => {
  it('puts nt where real Windows 10 kernels sat in the replay corpus, for the same builds', () => {
    const real = realKernelBases();
    expect.ok(real.length >= 4, 'the corpus has Windows 10 kernel bases');
    for (const { file, build, base } of real) {
      // The real one: a fffff80x`… slot; 2 MB aligned from 18362 on.
      expect.equal(base >> 35n, 0xfffff80000000000n >> 35n, file);
      const realAligned = base % 0x200000n === 0n;
      const kernel = createKernel({
        ...GUEST,
        vmName: `corpus-${file}`,
        os: { ...GUEST.os, build },
        verifier: { flags: 0, drivers: [] },
      });
      const simulated = addr(kernel.state.modules[0]?.base ?? '0');
      expect.equal(simulated >> 35n, base >> 35n, `${file}: nt in the fffff80x\` slots`);
      if (build >= 18362) {
        expect.ok(realAligned, `${file}: the capture's kernel is 2 MB aligned`);
        expect.equal(simulated % 0x200000n, 0n, `${file}: so is the simulated one`);
      }
    }
  });

  it('gives a Windows 10 guest pool, threads and stacks in the dynamic ffff8…–ffffe… regions the captures show, never a Windows 7 range', () => {
    const real = readdirSync(CORPUS)
      .filter((f) => /^(live-bugcheck|reboot-breakpoints|dump-whea)/.test(f))
      .flatMap((f) => kernelDataAddresses(readFileSync(join(CORPUS, f), 'utf8')));
    expect.ok(real.length > 20);
    for (const a of real) expect.ok(!inLegacyRegion(a) && a >= 0xffff800000000000n, a.toString(16));

    for (const seedCase of SEED_CASES.filter((c) => (c.facts?.os?.build ?? GUEST.os.build) >= 14393)) {
      const built = buildCase(seedCase);
      const state = built.kernel.state;
      const simulated = [
        ...state.processes.filter((p) => p.pid !== 0).map((p) => addr(p.address)),
        // The idle thread of processor 0 is nt!KiInitialThread, inside nt's image, as on a real kernel.
        ...state.threads.filter((t) => t.pid !== 0).flatMap((t) => [addr(t.address), addr(t.stackCurrent)]),
        ...state.pool.pages.map((p) => addr(p.address)),
        ...state.pool.special.map((b) => addr(b.data)),
      ];
      expect.ok(simulated.length >= 3, seedCase.name);
      for (const a of simulated) {
        expect.ok(
          !inLegacyRegion(a) && a >= 0xffff800000000000n && a < 0xfffff00000000000n,
          `${seedCase.name}: ${a.toString(16)}`,
        );
      }
      for (const m of state.modules)
        expect.equal(addr(m.base) >> 35n, 0xfffff80000000000n >> 35n, `${seedCase.name}: ${m.name}`);
    }
  });

  it("keeps a Windows 7 / Server 2008 R2 guest in the seed's own layout", () => {
    const seed = seedSessions();
    // The seed's captures (Windows 7 era) print drivers and stacks at fffff880`…, nonpaged pool at fffffa80`….
    expect.match(seed, /fffff880`[0-9a-f]{8}/);
    expect.match(seed, /fffffa80`[0-9a-f]{8}/);
    const hang = SEED_CASES.find((c) => c.name === 'nbl-leak-hang');
    expect.ok(hang && hang.facts?.os?.build === 7601);
    const state = buildCase(hang).kernel.state;
    const nt = state.modules.find((m) => m.name === 'nt');
    expect.equal(addr(nt?.base ?? '0') >> 32n, 0xfffff800n);
    for (const m of state.modules.filter((x) => !['nt', 'hal', 'kdcom'].includes(x.name))) {
      expect.equal(addr(m.base) >> 32n, 0xfffff880n, m.name);
    }
    for (const p of state.processes.filter((x) => x.pid !== 0))
      expect.equal(addr(p.address) >> 40n, 0xfffffan);
    expect.equal(identityOf(state, 1).kernelBase.slice(0, 11), '0xfffff800`');
  });

  it('keeps the x64 self-map of Windows 7 at FFFFF680`00000000 and moves it per boot from 1607 on', () => {
    expect.deepEqual(selfMap(0x1edn), {
      pte: 0xfffff68000000000n,
      pde: 0xfffff6fb40000000n,
      ppe: 0xfffff6fb7da00000n,
      pxe: 0xfffff6fb7dbed000n,
    });
    const facts = (vmName: string, build: number) => ({ vmName, bootCount: 1, os: { build } });
    expect.equal(addressSpace(facts('a', 7601)).selfMapIndex, 0x1edn);
    expect.equal(addressSpace(facts('a', 9600)).selfMapIndex, 0x1edn);
    const indices = new Set(['a', 'b', 'c', 'd'].map((v) => addressSpace(facts(v, 19041)).selfMapIndex));
    expect.ok(indices.size > 1);
    expect.deepEqual([3790, 7601, 9200, 10586, 14393, 26100].map(eraOf), [
      'nt6',
      'nt6',
      'nt62',
      'nt62',
      'kaslr',
      'kaslr',
    ]);
  });
});
