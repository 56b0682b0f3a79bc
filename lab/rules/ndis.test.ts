import { deepStrictEqual, equal } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { type PendingNblsResult, parsers } from '../parsers/index.js';
import { isRemovingAdapter, nblHolders, pnpEngineLockOwner } from './ndis.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
/** What the simulated kernel renders for the seed's hang (lab/sim/kernel/fixtures/SOURCES.md). */
const rendered = (name: string) => read(`../sim/kernel/fixtures/${name}`);
/** The corpus keeps each real capture's parse beside it (lab/parsers/corpus/README.md). */
const corpus = <T>(path: string) => (JSON.parse(read(`../parsers/corpus/${path}`)) as { value: T }).value;

const ADAPTER = 'My Ethernet 1Gb 4-port Adapter';

describe('who holds the pending NBLs', () => {
  test("the seed's 1854 pending NBLs are all held by its miniport", () => {
    const seed = corpus<PendingNblsResult>('pendingnbls/seed-miniport-holds-1854.json');
    const { held, holders, onlyThisMiniport } = nblHolders(seed, ADAPTER);
    equal(onlyThisMiniport, true);
    equal(held.length, seed.rows.length);
    deepStrictEqual(holders, [`${ADAPTER} [Miniport]`]);
    equal(held[0]?.heldBy, '0xfffffa80142d31a0');
  });

  test('the simulator renders the same holding from its state', () => {
    const pending = parsers.pendingnbls.parse(rendered('ndiskd-pendingnbls.nbl-leak-hang.txt'));
    equal(nblHolders(pending, ADAPTER).onlyThisMiniport, true);
  });

  test('with tracking off nothing is held by anyone; a debug adapter’s NBL is no miniport’s', () => {
    const off = corpus<PendingNblsResult>('pendingnbls/seed-tracking-disabled.json');
    equal(nblHolders(off, ADAPTER).onlyThisMiniport, false);
    const kdnet = corpus<PendingNblsResult>('pendingnbls/wdd-kdnet-adapter.json');
    const { onlyThisMiniport, holders } = nblHolders(kdnet, 'Microsoft Kernel Debug Network Adapter');
    equal(onlyThisMiniport, false);
    deepStrictEqual(holders, ['Microsoft Kernel Debug Network Adapter [NetAdapter]']);
  });
});

describe('the removal holds the PnP engine lock', () => {
  test("the hang's PnP worker owns nt!PiEngineLock exclusively and is removing the adapter", () => {
    const owner = pnpEngineLockOwner(parsers.locks.parse(rendered('locks.nbl-leak-hang.txt')));
    equal(owner, '0xfffffa80039bd300');
    const thread = parsers.thread.parse(rendered('thread-thread-e.nbl-leak-hang.txt'));
    equal(isRemovingAdapter(thread.stack), true);
  });

  test('a thread waiting elsewhere is not removing an adapter; a lock held shared has no exclusive owner', () => {
    const other = parsers.thread.parse(rendered('thread.apc-disabled-io-0a.txt'));
    equal(isRemovingAdapter(other.stack), false);
    equal(
      pnpEngineLockOwner({
        resources: [
          {
            address: '0x1',
            symbol: 'nt!PiEngineLock',
            mode: 'shared',
            sharedOwners: 1,
            contentionCount: null,
            exclusiveWaiters: null,
            sharedWaiters: null,
            owners: [{ thread: '0x2', printedThread: null, count: 1, owner: true }],
            waiters: [],
          },
        ],
        totalLocks: 1,
        heldLocks: 1,
        truncated: false,
      }),
      null,
    );
  });
});
