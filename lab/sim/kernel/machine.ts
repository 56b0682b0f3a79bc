/**
 * The machine the fault rules work on: the address allocator (every address derives from VM name,
 * boot count and a label, so a state is the same wherever it is built), modules, processes,
 * threads and code sites. Plain functions over the state; nothing here decides an outcome.
 */
import type { DriverFault } from '../../config/embedded.js';
import type { LoadedDriver } from '../ports.js';
import { addressSpace } from './address-space.js';
import { addr, hex16, pick } from './hex.js';
import type { DriverRecord, KernelState, Module, Process, Site, Thread } from './state.js';

/** A page (x64). */
export const PAGE = 0x1000n;
/** The process a trigger or a commit runs in when the action does not name one. */
export const DEFAULT_TRIGGER_PROCESS = 'drvtrig.exe';

export const site = (module: string, fn: string | null, offset: number): Site => ({ module, fn, offset });
export const nt = (fn: string, offset = 0): Site => site('nt', fn, offset);

export function seedOf(state: KernelState): string {
  return `${state.boot.vmName}#${state.boot.bootCount}`;
}

export function roundUp(value: bigint, to: bigint): bigint {
  return ((value + to - 1n) / to) * to;
}

export function numberOf(value: number | string): number {
  return typeof value === 'number' ? value : Number.parseInt(value, 16);
}

/** The module name KD shows for a driver binary ("myfault.sys" → "myfault"). */
export function moduleNameOf(binary: string): string {
  return binary.replace(/\.sys$/i, '');
}

export function isVerified(
  state: KernelState,
  driver: LoadedDriver | { binary: string; name: string },
): boolean {
  const { drivers } = state.boot.verifier;
  if (drivers === 'all') return true;
  const names = [driver.binary, `${driver.name}.sys`, driver.name].map((n) => n.toLowerCase());
  return drivers.some((d) => names.includes(d.toLowerCase()));
}

// ---------------------------------------------------------------- allocation of addresses

export function take(
  state: KernelState,
  cursor: 'nonpaged' | 'paged' | 'special' | 'stack',
  bytes: bigint,
): bigint {
  const at = addr(state.cursors[cursor]);
  state.cursors[cursor] = hex16(at + bytes);
  return at;
}

/** A nonpaged-pool object (EPROCESS, ETHREAD, NDIS blocks): 16-byte aligned, seed-jittered. */
export function allocObject(state: KernelState, label: string, bytes: number): bigint {
  const jitter = BigInt(pick(0x40, seedOf(state), label, state.cursors.nonpaged) * 0x10);
  take(state, 'nonpaged', jitter);
  return take(state, 'nonpaged', roundUp(BigInt(bytes), 0x10n));
}

export function allocPages(
  state: KernelState,
  cursor: 'nonpaged' | 'paged' | 'special',
  pages: number,
): bigint {
  const at = roundUp(addr(state.cursors[cursor]), PAGE);
  state.cursors[cursor] = hex16(at);
  return take(state, cursor, BigInt(pages) * PAGE);
}

export function loadModule(
  state: KernelState,
  name: string,
  image: string,
  size: number,
  symbols: 'pdb' | 'none',
  version: string,
): Module {
  const base = roundUp(addr(state.cursors.driver), PAGE);
  const gap = BigInt(1 + pick(8, seedOf(state), 'gap', name)) * PAGE;
  state.cursors.driver = hex16(base + roundUp(BigInt(size), PAGE) + gap);
  const module: Module = {
    name,
    image,
    base: hex16(base),
    size,
    symbols,
    version,
    timestamp: 0x4a000000 + pick(0x20000000, 'timestamp', image),
  };
  state.modules.push(module);
  return module;
}

// ---------------------------------------------------------------- processes and threads

export function processNamed(state: KernelState, image: string): Process | undefined {
  const lower = image.toLowerCase();
  return state.processes.find((p) => p.image.toLowerCase() === lower);
}

export function createProcess(state: KernelState, image: string): Process {
  const pid = state.cursors.nextPid;
  state.cursors.nextPid += 4 * (1 + pick(24, seedOf(state), 'pid', image, pid));
  const process: Process = {
    address: hex16(allocObject(state, `process:${image}`, 0x4d0)),
    pid,
    image,
    deviceMap: hex16(take(state, 'paged', 0x1000n) + 0x890n),
  };
  state.processes.push(process);
  return process;
}

export function processFor(state: KernelState, image: string): Process {
  return processNamed(state, image) ?? createProcess(state, image);
}

export interface ThreadOptions {
  processor?: number;
  state?: Thread['state'];
  frames: Site[];
  startAddress: Site;
  user: boolean;
  priority?: number;
}

export function createThread(state: KernelState, process: Process, options: ThreadOptions): Thread {
  const seed = seedOf(state);
  const address = allocObject(state, `thread:${process.image}`, 0x4a0);
  const stackBase = roundUp(take(state, 'stack', 0x8000n), PAGE) + 0x6000n;
  const stackInit = stackBase - 0x390n;
  const used = BigInt(0x800 + pick(0x40, seed, 'stack', hex16(address)) * 0x10 + 8);
  const tid = process.pid + 4 * (1 + pick(8, seed, 'tid', hex16(address)));
  const thread: Thread = {
    address: hex16(address),
    pid: process.pid,
    tid,
    process: process.address,
    teb: options.user
      ? hex16(addressSpace(state.boot).tebTop - BigInt(pick(16, seed, 'teb', tid)) * 0x2000n)
      : hex16(0n),
    state: options.state ?? 'running',
    processor: options.processor ?? pick(state.boot.os.processors, seed, 'cpu', hex16(address)),
    idealProcessor: pick(state.boot.os.processors, seed, 'ideal', hex16(address)),
    wait: null,
    waitStartTick: state.tick,
    contextSwitches: 10 + pick(5000, seed, 'switches', hex16(address)),
    kernelTimeMs: 0,
    startAddress: options.startAddress,
    stackInit: hex16(stackInit),
    stackCurrent: hex16(stackInit - used),
    stackBase: hex16(stackBase),
    stackLimit: hex16(stackBase - 0x6000n),
    priority: options.priority ?? 9,
    basePriority: (options.priority ?? 9) - 1,
    kernelApcDisable: 0,
    specialApcDisable: 0,
    irps: [],
    frames: options.frames,
    userSp: options.user ? hex16(0x4d0000n + BigInt(pick(0x1000, seed, 'usp', tid)) * 0x8n + 0x8n) : null,
  };
  state.threads.push(thread);
  return thread;
}

export function userReturn(state: KernelState, label: string): Site {
  return {
    raw: hex16(
      addressSpace(state.boot).userDlls + BigInt(pick(0x1000000, seedOf(state), 'user', label)) * 0x2n,
    ),
  };
}

/** The lab file's record of a loaded driver, by name, binary or service name (case-insensitive). */
export function driverRecord(state: KernelState, name: string): DriverRecord | undefined {
  const lower = name.toLowerCase();
  return state.drivers.find(
    (d) =>
      d.name.toLowerCase() === lower || d.binary.toLowerCase() === lower || d.service.toLowerCase() === lower,
  );
}

/** A driver record as the loaded driver it was made from (its faults were validated when it loaded). */
export function loadedDriver(record: DriverRecord): LoadedDriver {
  return { ...record, faults: record.faults as DriverFault[] };
}
