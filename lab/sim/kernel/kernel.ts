/**
 * The simulated kernel: it boots from KernelFacts, decides the outcome of each KernelAction and
 * keeps everything the debugger can be asked about in a plain-JSON state. Nothing is replayed: the
 * renderer reads this state.
 *
 * What a driver's declared fault does is the fault × action rule table (faults/index.ts, one module
 * per fault kind); this module decides which drivers an action reaches and what happens around the
 * rules: a latent pool corruption met by the next pool operation (crash.ts), loading and unloading
 * images, commit charge (commit.ts), NMI and `.crash`. The outcome table is in README.md.
 * Once the kernel is bugchecked, every further action answers the same bugcheck.
 */
import type { KernelAction, KernelFacts, KernelOutcome, LoadedDriver } from '../ports.js';
import { addressSpace } from './address-space.js';
import { commit } from './commit.js';
import { args4, bugcheck, meetCorruption, outcomeOf } from './crash.js';
import { driverImageReach, faultOutcome, miniportOf } from './faults/index.js';
import { addr, hex16, pick } from './hex.js';
import { driverImageSize, NT, SYSTEM_IMAGES } from './layout.js';
import {
  createProcess,
  createThread,
  DEFAULT_TRIGGER_PROCESS,
  driverRecord,
  loadedDriver,
  loadModule,
  moduleNameOf,
  nt,
  processFor,
  seedOf,
  site,
} from './machine.js';
import { osVersion } from './os.js';
import type { KernelState, Thread } from './state.js';
import { lookupSymbol, moduleNamed } from './symbols.js';

const NMI_ARG1 = 0x4f4454n;

// ---------------------------------------------------------------- boot

/** A freshly booted kernel's state. */
export function bootState(facts: KernelFacts): KernelState {
  const bootCount = facts.bootCount;
  const seed = `${facts.vmName}#${bootCount}`;
  const space = addressSpace(facts);
  const state: KernelState = {
    version: 1,
    boot: {
      vmName: facts.vmName,
      bootCount,
      os: { ...facts.os },
      verifier: {
        flags: facts.verifier.flags,
        drivers: facts.verifier.drivers === 'all' ? 'all' : [...facts.verifier.drivers],
      },
      trackNblOwner: facts.trackNblOwner,
      memory: { ...facts.memory },
      diskFull: facts.diskFull,
    },
    tick: 1000 + pick(2000, seed, 'tick'),
    modules: [],
    unloadedModules: [],
    drivers: [],
    processes: [],
    threads: [],
    irps: [],
    irpLog: [],
    pool: { pages: [], special: [] },
    locks: [],
    miniports: [],
    memory: {
      committedPages: Math.floor(facts.memory.physicalMb * 256 * 0.3),
      pageFileCurrentMb: facts.memory.pageFileInitialMb,
      failures: [0, 0, 0, 0],
    },
    cursors: {
      driver: hex16(space.ntBase),
      nonpaged: hex16(space.nonpagedStart),
      paged: hex16(space.pagedStart),
      special: hex16(space.specialStart),
      stack: hex16(space.stackStart),
      nextPid: 0x200 + 4 * pick(64, seed, 'pid'),
    },
    latentCorruption: null,
    crash: null,
    hang: null,
    breakIn: null,
    verifierAsserts: { pending: null, zapped: [], removed: [], disabled: false },
  };
  const { version } = osVersion(facts.os.build);
  loadModule(state, NT.module, NT.image, NT.size, 'pdb', version);
  // Before Windows 8, hal and kdcom follow nt and boot drivers live in fffff880`…; later, all of
  // them load in the drivers' own range (address-space.ts).
  const [hal, kdcom, ...drivers] = SYSTEM_IMAGES;
  if (space.halBase !== null) state.cursors.driver = hex16(space.halBase);
  if (hal) loadModule(state, hal.module, hal.image, hal.size, 'pdb', version);
  if (kdcom) loadModule(state, kdcom.module, kdcom.image, kdcom.size, 'pdb', version);
  if (space.halBase === null) state.cursors.driver = hex16(space.driverBase);
  for (const image of drivers) loadModule(state, image.module, image.image, image.size, 'pdb', version);

  const ntAt = (name: string) => hex16(lookupSymbol(state, `nt!${name}`) ?? 0n);
  state.processes.push({ address: ntAt('KiInitialProcess'), pid: 0, image: 'Idle', deviceMap: hex16(0n) });
  const system = createProcess(state, 'System');
  system.pid = 4;
  createProcess(state, 'csrss.exe');
  createProcess(state, 'services.exe');
  state.locks.push(
    {
      name: 'IopDeviceTreeLock',
      address: ntAt('IopDeviceTreeLock'),
      mode: 'Shared',
      owners: [],
      contention: 0,
    },
    { name: 'PiEngineLock', address: ntAt('PiEngineLock'), mode: 'Exclusive', owners: [], contention: 0 },
  );
  return state;
}

/** The idle thread of a processor (processor 0's is nt!KiInitialThread). */
export function idleThread(state: KernelState, processor: number): Thread {
  const idleProcess = state.processes.find((p) => p.pid === 0);
  const existing = state.threads.find((t) => t.pid === 0 && t.processor === processor);
  if (existing || !idleProcess) return existing ?? (state.threads[0] as Thread);
  const thread = createThread(state, idleProcess, {
    processor,
    frames: [nt('KiIdleLoop', 0x5a)],
    startAddress: nt('KiIdleLoop'),
    user: false,
    priority: 0,
  });
  thread.tid = 0;
  if (processor === 0)
    thread.address = hex16(lookupSymbol(state, 'nt!KiInitialThread') ?? addr(thread.address));
  return thread;
}

/** The drivers an action reaches: the one it names, or (image-load) every loaded driver's notify routine. */
function reachedDrivers(state: KernelState, action: KernelAction): LoadedDriver[] {
  switch (action.kind) {
    case 'driver-loaded':
      return [action.driver];
    case 'trigger':
    case 'pnp-remove':
    case 'driver-unloaded': {
      const record = driverRecord(state, action.driver);
      return record ? [loadedDriver(record)] : [];
    }
    case 'image-load':
      return state.drivers.map(loadedDriver);
    default:
      return [];
  }
}

/** Where each action allocates pool, so that a latent corruption is met there (and by whom). */
function poolEncounter(
  state: KernelState,
  action: KernelAction,
): Parameters<typeof meetCorruption>[1] | null {
  switch (action.kind) {
    case 'driver-loaded':
      return {
        kind: 'worker',
        tag: 'MmLd',
        callers: [
          site(moduleNameOf(action.driver.binary), null, 0x5010),
          nt('PnpCallDriverEntry', 0x54),
          nt('IopLoadDriver', 0x523),
          nt('IopLoadUnloadDriver', 0x57),
        ],
      };
    case 'driver-unloaded': {
      // Only the overrunning driver's own free walks into its corrupt neighbour.
      const record = driverRecord(state, action.driver);
      return record && state.latentCorruption?.driver === record.name
        ? { kind: 'free', driver: record.binary }
        : null;
    }
    case 'trigger':
      return {
        kind: 'syscall',
        process: action.process ?? DEFAULT_TRIGGER_PROCESS,
        tag: 'Irp ',
        callers: [nt('IopXxxControlFile', 0x3c1), nt('NtDeviceIoControlFile', 0x56)],
      };
    case 'image-load':
      return {
        kind: 'syscall',
        process: action.image,
        tag: 'MmCa',
        callers: [nt('MiMapViewOfSection', 0x1f4c), nt('NtMapViewOfSection', 0x2be)],
      };
    case 'pnp-remove':
      return {
        kind: 'worker',
        tag: 'PpRe',
        callers: [
          site('NDIS', 'ndisPnPDispatch', 0x609),
          nt('IopSynchronousCall', 0xc5),
          nt('IopRemoveDevice', 0x101),
          nt('PnpRemoveLockedDeviceNode', 0x1a3),
        ],
      };
    case 'commit':
      return {
        kind: 'syscall',
        process: action.process ?? DEFAULT_TRIGGER_PROCESS,
        tag: 'MmSt',
        callers: [nt('MiChargeCommitment', 0x1d3), nt('NtAllocateVirtualMemory', 0x3e2)],
      };
    default:
      return null;
  }
}

/** The image is mapped before its DriverEntry runs, so a crash in DriverEntry shows it loaded. */
function mapDriverImage(state: KernelState, driver: LoadedDriver): void {
  if (moduleNamed(state, moduleNameOf(driver.binary))) return;
  loadModule(
    state,
    moduleNameOf(driver.binary),
    driver.binary,
    driverImageSize(driver.faults.length, driver.name, driverImageReach(driver)),
    'none',
    driver.version,
  );
  const reloaded = state.unloadedModules.findIndex(
    (m) => m.image.toLowerCase() === driver.binary.toLowerCase(),
  );
  if (reloaded >= 0) state.unloadedModules.splice(reloaded, 1);
}

/** What happens to the system itself, after the drivers' faults had nothing to say. */
function systemOutcome(state: KernelState, action: KernelAction): KernelOutcome {
  switch (action.kind) {
    case 'driver-loaded':
    case 'trigger':
      return { kind: 'none' };
    case 'driver-unloaded': {
      const record = driverRecord(state, action.driver);
      if (record) {
        state.drivers.splice(state.drivers.indexOf(record), 1);
        const module = moduleNamed(state, moduleNameOf(record.binary));
        if (module) {
          state.modules.splice(state.modules.indexOf(module), 1);
          state.unloadedModules.push(module);
        }
      }
      return { kind: 'none' };
    }
    case 'image-load':
      processFor(state, action.image);
      return { kind: 'none' };
    case 'pnp-remove': {
      // A miniport without a fault that holds NBLs goes away with its adapter.
      const record = driverRecord(state, action.driver);
      const miniport = record ? miniportOf(state, loadedDriver(record)) : undefined;
      if (miniport) state.miniports.splice(state.miniports.indexOf(miniport), 1);
      return { kind: 'none' };
    }
    case 'commit':
      return commit(state, {
        megabytes: action.megabytes,
        times: Math.max(1, Math.floor(action.times ?? 1)),
        path: action.path ?? 'user',
        hold: action.hold ?? false,
      });
    case 'nmi':
      return nmi(state);
    case 'manual-crash':
      return manualCrash(state);
  }
}

/** Applies one action to a state (mutating it) and returns its outcome. */
export function applyAction(state: KernelState, action: KernelAction): KernelOutcome {
  if (state.crash) return outcomeOf(state.crash);
  state.tick += 1 + pick(64, seedOf(state), 'tick', state.tick);
  if (action.kind === 'driver-loaded') mapDriverImage(state, action.driver);
  const encounter = state.latentCorruption ? poolEncounter(state, action) : null;
  if (encounter) {
    const met = meetCorruption(state, encounter);
    if (met.kind !== 'none') return met;
  }
  if (action.kind === 'driver-loaded') {
    const existing = driverRecord(state, action.driver.name);
    if (existing) state.drivers.splice(state.drivers.indexOf(existing), 1);
    const { name, binary, service, version, faults } = action.driver;
    state.drivers.push({ name, binary, service, version, faults });
  }
  return faultOutcome(state, reachedDrivers(state, action), action) ?? systemOutcome(state, action);
}

function nmi(state: KernelState): KernelOutcome {
  const idle = idleThread(state, 0);
  idle.frames = [
    nt('KeBugCheckEx'),
    site('hal', 'HalBugCheckSystem', 0x1e3),
    nt('WheaReportHwError', 0x26d),
    site('hal', 'HalHandleNMI', 0xfe),
    nt('KiProcessNMI', 0x192),
    nt('KxNmiInterrupt', 0x82),
    nt('KiNmiInterrupt', 0x212),
    nt('KiIdleLoop', 0x5a),
  ];
  return bugcheck(state, {
    code: 0x80,
    args: args4(NMI_ARG1, 0n, 0n, 0n),
    thread: idle.address,
    processor: 0,
    culprit: nt('KiProcessNMI', 0x192),
    context: null,
    access: null,
    rule: 'nmi',
  });
}

function manualCrash(state: KernelState): KernelOutcome {
  const processor = state.breakIn?.processor ?? 0;
  const idle = idleThread(state, processor);
  idle.frames = [
    nt('KeBugCheckEx'),
    nt('KdpSendWaitContinue', 0x1e6),
    nt('KdpReportExceptionStateChange', 0xb1),
    nt('KdpReport', 0x74),
    nt('KdpTrap', 0x14d),
    nt('KdTrap', 0x2c),
    nt('KiDispatchException', 0x15f),
    nt('KiExceptionDispatch', 0xc2),
    nt('KiBreakpointTrap', 0xf4),
    nt('DbgBreakPointWithStatus'),
    nt('KdCheckForDebugBreak', 0x2e),
    nt('KeClockInterruptNotify', 0x8d),
    site('hal', 'HalpTimerClockInterrupt', 0x56),
    nt('KiIdleLoop', 0x5a),
  ];
  state.breakIn = null;
  return bugcheck(state, {
    code: 0xe2,
    args: args4(0n, 0n, 0n, 0n),
    thread: idle.address,
    processor,
    culprit: nt('KdpSendWaitContinue', 0x1e6),
    context: null,
    access: null,
    rule: 'manual-crash',
  });
}

/** The debugger broke in: the target stops in the idle loop of processor 0 (nt!DbgBreakPointWithStatus). */
export function breakInto(state: KernelState): Thread {
  const idle = idleThread(state, 0);
  if (!state.crash) {
    idle.frames = [
      nt('DbgBreakPointWithStatus'),
      nt('KdCheckForDebugBreak', 0x2e),
      nt('KeClockInterruptNotify', 0x8d),
      site('hal', 'HalpTimerClockInterrupt', 0x56),
      nt('KiIdleLoop', 0x5a),
    ];
    state.breakIn = { processor: 0, thread: idle.address };
  }
  return idle;
}

/** Lab time passes: the tick count advances (waits get older); a stopped kernel's clock stands still. */
export function elapse(state: KernelState, seconds: number): void {
  if (state.crash || state.breakIn) return;
  state.tick += Math.max(0, Math.round((seconds * 1000) / 15.6001));
}
