/**
 * nbl-leak-on-remove: the driver is an NDIS miniport that never returns the NBLs it holds. Loading
 * it creates its miniport; a PnP remove of it hangs: the PnP worker owns IopDeviceTreeLock (shared)
 * and PiEngineLock (exclusive) and waits for the NBLs, the miniport QUERY_REMOVED / DORMANT_PAUSED.
 */
import type { KernelOutcome, LoadedDriver } from '../../ports.js';
import { addr, hash64, hex16, pick } from '../hex.js';
import { allocObject, allocPages, createThread, nt, processFor, seedOf, site } from '../machine.js';
import type { KernelState, Miniport } from '../state.js';
import type { FaultOf, FaultRule } from './rule.js';

type NblLeak = FaultOf<'nbl-leak-on-remove'>;

function createMiniport(state: KernelState, driver: LoadedDriver, fault: NblLeak): void {
  const seed = seedOf(state);
  const handle = allocObject(state, `miniport:${driver.name}`, 0x2000);
  const mac = Array.from({ length: 3 }, (_, i) =>
    pick(256, seed, 'mac', driver.name, i).toString(16).padStart(2, '0'),
  );
  const hexId = (label: string, digits: number) =>
    (hash64(seed, label, driver.name) & ((1n << BigInt(digits * 4)) - 1n)).toString(16).padStart(digits, '0');
  const total = fault.totalNbls;
  state.miniports.push({
    handle: hex16(handle),
    name: fault.adapter,
    driver: driver.service,
    driverHandle: hex16(allocObject(state, `mdriver:${driver.name}`, 0x200)),
    driverVersion: driver.version,
    adapterContext: hex16(allocPages(state, 'nonpaged', 1)),
    networkInterface: hex16(allocObject(state, `netif:${driver.name}`, 0x900)),
    deviceObject: hex16(handle - 0x150n),
    deviceInstance: `PCI\\VEN_1414&DEV_${hexId('dev', 4).toUpperCase()}&SUBSYS_${hexId('subsys', 8).toUpperCase()}&REV_01\\4&${hexId('inst', 8)}&0&0010`,
    mac: `00-15-5d-${mac.join('-')}`,
    pnp: 'STARTED',
    operStatus: 'UP',
    operFlags: 'NONE',
    references: 3 + pick(8, seed, 'refs', driver.name),
    pendingNbls: 0,
    totalNbls: total,
    nblBase: hex16(allocPages(state, 'nonpaged', Math.max(1, Math.ceil((total * 0x1a0) / 0x1000)))),
  });
}

function hangOnRemove(state: KernelState, miniport: Miniport, fault: NblLeak): KernelOutcome {
  miniport.pnp = 'QUERY_REMOVED';
  miniport.operStatus = 'DORMANT';
  miniport.operFlags = 'DORMANT_PAUSED';
  miniport.pendingNbls = Math.min(fault.pendingNbls, fault.totalNbls);
  miniport.references = 9;
  const system = processFor(state, 'System');
  const worker = createThread(state, system, {
    state: 'waiting',
    frames: [
      nt('KiSwapContext', 0x7a),
      nt('KiCommitThreadWait', 0x1d2),
      nt('KeWaitForSingleObject', 0x19f),
      nt("?? ::FNODOBFM::`string'", 0x12ff6),
      site('tcpip', 'FlPnpEvent', 0x17d),
      site('tcpip', 'Fl48PnpEvent', 0xe),
      site('NDIS', 'ndisPnPNotifyBinding', 0xbf),
      site('NDIS', 'ndisPnPNotifyAllTransports', 0x377),
      site('NDIS', 'ndisCloseMiniportBindings', 0x111),
      site('NDIS', 'ndisPnPRemoveDevice', 0x25b),
      site('NDIS', 'ndisPnPRemoveDeviceEx', 0xa2),
      site('NDIS', 'ndisPnPDispatch', 0x609),
      nt('IopSynchronousCall', 0xc5),
      nt('IopRemoveDevice', 0x101),
      nt('PnpRemoveLockedDeviceNode', 0x1a3),
      nt('PnpDeleteLockedDeviceNode', 0x44),
      nt('PnpDeleteLockedDeviceNodes', 0xa0),
      nt('PnpProcessQueryRemoveAndEject', 0xc34),
      nt('PnpProcessTargetDeviceEvent', 0x4c),
      nt("?? ::NNGAKEGL::`string'", 0x5ab9b),
      nt('ExpWorkerThread', 0x111),
      nt('PspSystemThreadStartup', 0x5a),
      nt('KiStartSystemThread', 0x16),
    ],
    startAddress: nt('ExpWorkerThread'),
    user: false,
    priority: 12,
  });
  worker.basePriority = 12;
  worker.wait = {
    object: hex16(addr(worker.stackCurrent) + 0x2e8n),
    type: 'SynchronizationEvent',
    reason: 'Executive',
    mode: 'KernelMode',
    alertable: false,
  };
  const irp = allocObject(state, 'pnp-irp', 0x310);
  state.irps.push({ address: hex16(irp), thread: worker.address, type: 6, size: 0x310, flags: 0, mdl: 0 });
  worker.irps.push(hex16(irp));
  for (const lock of state.locks) {
    if (lock.name === 'IopDeviceTreeLock' || lock.name === 'PiEngineLock') {
      lock.owners = [{ thread: worker.address, count: 1 }];
      lock.contention = lock.mode === 'Exclusive' ? 1 + pick(9, seedOf(state), 'contention') : 0;
    }
  }
  const what = `PnP remove of '${miniport.name}' waits for ${miniport.pendingNbls} NBLs the miniport never returns`;
  state.hang = { what, thread: worker.address };
  return { kind: 'hang', what };
}

/** The miniport of a driver (by its service name), if it has one. */
export function miniportOf(state: KernelState, driver: LoadedDriver): Miniport | undefined {
  return state.miniports.find((m) => m.driver === driver.service);
}

/** Loading the driver starts its miniport; removing the adapter waits for the NBLs it never returns. */
export const nblLeakOnRemove: FaultRule<NblLeak> = {
  'driver-loaded': ({ state, driver, fault }) => {
    createMiniport(state, driver, fault);
    return { kind: 'none' };
  },
  'pnp-remove': ({ state, driver, fault }) => {
    const miniport = miniportOf(state, driver);
    return miniport ? hangOnRemove(state, miniport, fault) : null;
  },
};
