/**
 * The simulated kernel: it boots from KernelFacts, decides the outcome of each KernelAction (driver
 * faults × verifier settings, following the seed cases) and keeps everything the debugger can be
 * asked about in a plain-JSON state. Nothing is replayed: the renderer reads this state.
 *
 * Outcome rules (also in README.md of this folder):
 * - pool-overrun, special pool in effect for the driver (verifier flag 0x1 and the driver verified)
 *   and the overrun reaching the guard page → stop 0xD6 at once.
 * - pool-overrun otherwise → silent corruption of the next block's header; the next pool operation
 *   meets it: an allocation from a user thread's system call (trigger, image-load, commit) → 0x3B
 *   c0000005 in nt!ExAllocatePoolWithTag; an allocation from a system worker thread (driver-loaded,
 *   pnp-remove) → 0x7E c0000005; the overrunning driver's own free (driver-unloaded) → 0x19 type
 *   0x20. 0xC2 is a caller error (double free, bad IRQL) that none of the declared faults makes.
 * - io-with-apcs-disabled + image-load → stop 0xA after APC delivery; the IRP log records each IRP
 *   when verifier flags include 0x400 and 0x10 (IRP logging needs I/O verification) and the driver
 *   is verified.
 * - nbl-leak-on-remove + pnp-remove → hang: the PnP worker holds the device-tree locks and waits.
 * - commit beyond the limit (RAM + page file at its maximum) → MiChargeCommitmentFailures[0] when the
 *   page file could still grow but not enough, [1] when it is already at its maximum; a granted
 *   commit is released when its process exits. The outcome says how many requests were refused.
 * - nmi → 0x80 (Arg1 0x4f4454, as a real NMI dump shows); manual-crash → 0xE2.
 * Once the kernel is bugchecked, every further action answers the same bugcheck.
 */
import type { DriverFault } from '../../config/embedded.js';
import type { KernelAction, KernelFacts, KernelOutcome, LoadedDriver } from '../ports.js';
import { bugcheckText } from './bugchecks.js';
import { addr, hash64, hex16, pick, tagValue } from './hex.js';
import { DRIVER_SITES, driverImageSize, NT, SYSTEM_IMAGES } from './layout.js';
import {
  type Crash,
  type KernelState,
  type Module,
  type Process,
  type Registers,
  type Site,
  type Thread,
  zeroRegisters,
} from './state.js';
import { lookupSymbol, moduleNamed, siteAddress } from './symbols.js';
import { wdmDriverError } from './verifier-questions.js';

const PAGE = 0x1000n;
const POOL_HEADER = 0x10;
const NMI_ARG1 = 0x4f4454n;
/** The process a trigger or a commit runs in when the action does not name one. */
export const DEFAULT_TRIGGER_PROCESS = 'drvtrig.exe';

type PoolOverrun = Extract<DriverFault, { kind: 'pool-overrun' }>;
type IoWithApcsDisabled = Extract<DriverFault, { kind: 'io-with-apcs-disabled' }>;
type NblLeak = Extract<DriverFault, { kind: 'nbl-leak-on-remove' }>;
type WdmDriverError = Extract<DriverFault, { kind: 'wdm-driver-error' }>;

const site = (module: string, fn: string | null, offset: number): Site => ({ module, fn, offset });
const nt = (fn: string, offset = 0): Site => site('nt', fn, offset);

function seedOf(state: KernelState): string {
  return `${state.boot.vmName}#${state.boot.bootCount}`;
}

function roundUp(value: bigint, to: bigint): bigint {
  return ((value + to - 1n) / to) * to;
}

function numberOf(value: number | string): number {
  return typeof value === 'number' ? value : Number.parseInt(value, 16);
}

/** The module name KD shows for a driver binary ("myfault.sys" → "myfault"). */
export function moduleNameOf(binary: string): string {
  return binary.replace(/\.sys$/i, '');
}

function isVerified(state: KernelState, driver: LoadedDriver | { binary: string; name: string }): boolean {
  const { drivers } = state.boot.verifier;
  if (drivers === 'all') return true;
  const names = [driver.binary, `${driver.name}.sys`, driver.name].map((n) => n.toLowerCase());
  return drivers.some((d) => names.includes(d.toLowerCase()));
}

// ---------------------------------------------------------------- allocation of addresses

function take(state: KernelState, cursor: 'nonpaged' | 'paged' | 'special' | 'stack', bytes: bigint): bigint {
  const at = addr(state.cursors[cursor]);
  state.cursors[cursor] = hex16(at + bytes);
  return at;
}

/** A nonpaged-pool object (EPROCESS, ETHREAD, NDIS blocks): 16-byte aligned, seed-jittered. */
function allocObject(state: KernelState, label: string, bytes: number): bigint {
  const jitter = BigInt(pick(0x40, seedOf(state), label, state.cursors.nonpaged) * 0x10);
  take(state, 'nonpaged', jitter);
  return take(state, 'nonpaged', roundUp(BigInt(bytes), 0x10n));
}

function allocPages(state: KernelState, cursor: 'nonpaged' | 'paged' | 'special', pages: number): bigint {
  const at = roundUp(addr(state.cursors[cursor]), PAGE);
  state.cursors[cursor] = hex16(at);
  return take(state, cursor, BigInt(pages) * PAGE);
}

function loadModule(
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

function processNamed(state: KernelState, image: string): Process | undefined {
  const lower = image.toLowerCase();
  return state.processes.find((p) => p.image.toLowerCase() === lower);
}

function createProcess(state: KernelState, image: string): Process {
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

function processFor(state: KernelState, image: string): Process {
  return processNamed(state, image) ?? createProcess(state, image);
}

interface ThreadOptions {
  processor?: number;
  state?: Thread['state'];
  frames: Site[];
  startAddress: Site;
  user: boolean;
  priority?: number;
}

function createThread(state: KernelState, process: Process, options: ThreadOptions): Thread {
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
    teb: options.user ? hex16(0x7fffffde000n - BigInt(pick(16, seed, 'teb', tid)) * 0x2000n) : hex16(0n),
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

function userReturn(state: KernelState, label: string): Site {
  return { raw: hex16(0x7fe00000000n + BigInt(pick(0x1000000, seedOf(state), 'user', label)) * 0x2n) };
}

// ---------------------------------------------------------------- boot

/** A freshly booted kernel's state. */
export function bootState(facts: KernelFacts): KernelState {
  const bootCount = facts.bootCount;
  const seed = `${facts.vmName}#${bootCount}`;
  const ntBase =
    0xfffff80000000000n +
    BigInt(0x10 + pick(0x3f0, seed, 'nt')) * 0x200000n +
    BigInt(pick(16, seed, 'ntpage')) * PAGE;
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
      driver: hex16(ntBase),
      nonpaged: hex16(0xfffffa8000000000n + BigInt(0x1000 + pick(0x8000, seed, 'npp')) * PAGE),
      paged: hex16(0xfffff8a000000000n + BigInt(0x10 + pick(0x800, seed, 'pp')) * PAGE),
      special: hex16(0xfffff98000000000n + BigInt(0x1000 + pick(0x8000, seed, 'sp')) * PAGE * 2n),
      stack: hex16(0xfffff88002000000n + BigInt(pick(0x2000, seed, 'stack')) * PAGE),
      nextPid: 0x200 + 4 * pick(64, seed, 'pid'),
    },
    latentCorruption: null,
    crash: null,
    hang: null,
    breakIn: null,
    verifierAsserts: { pending: null, zapped: [], removed: [], disabled: false },
  };
  const version = `10.0.${facts.os.build}.1`;
  loadModule(state, NT.module, NT.image, NT.size, 'pdb', version);
  // Boot drivers live in the fffff880`… range, after the nt/hal/kdcom images.
  const [hal, kdcom, ...drivers] = SYSTEM_IMAGES;
  if (hal) loadModule(state, hal.module, hal.image, hal.size, 'pdb', version);
  if (kdcom) loadModule(state, kdcom.module, kdcom.image, kdcom.size, 'pdb', version);
  state.cursors.driver = hex16(0xfffff88000c00000n + BigInt(pick(0x40, seed, 'drivers')) * 0x10000n);
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

// ---------------------------------------------------------------- crashes

function bugcheck(state: KernelState, crash: Crash): KernelOutcome {
  state.crash = crash;
  return outcomeOf(crash);
}

function outcomeOf(crash: Crash): KernelOutcome {
  const args = crash.args.map((a) => addr(a)) as [bigint, bigint, bigint, bigint];
  return { kind: 'bugcheck', bugcheck: { code: crash.code, name: bugcheckText(crash.code).name, args } };
}

function args4(a: bigint, b: bigint, c: bigint, d: bigint): Crash['args'] {
  return [hex16(a), hex16(b), hex16(c), hex16(d)];
}

/** Where a pool walk meets the corrupt header: the kind of thread decides the stop code. */
type Encounter =
  | { kind: 'syscall'; process: string; callers: Site[]; tag: string }
  | { kind: 'worker'; callers: Site[]; tag: string }
  | { kind: 'free'; driver: string };

function meetCorruption(state: KernelState, encounter: Encounter): KernelOutcome {
  const latent = state.latentCorruption;
  const page = latent ? state.pool.pages.find((p) => p.address === latent.page) : undefined;
  const corruption = page?.corruption;
  if (!latent || !page || !corruption) return { kind: 'none' };
  state.latentCorruption = null;
  const victim = addr(corruption.at);
  const patternQword = BigInt(`0x${corruption.pattern.toString(16).padStart(2, '0').repeat(8)}`);

  if (encounter.kind === 'free') {
    const owner = moduleNamed(state, moduleNameOf(encounter.driver));
    const system = processFor(state, 'System');
    const thread = createThread(state, system, {
      frames: [
        nt('KeBugCheckEx'),
        nt('ExFreePoolWithTag', 0x29c),
        site(owner?.name ?? encounter.driver, null, 0x1170),
        nt('IopLoadUnloadDriver', 0x57),
        nt('ExpWorkerThread', 0x111),
        nt('PspSystemThreadStartup', 0x5a),
        nt('KiStartSystemThread', 0x16),
      ],
      startAddress: nt('ExpWorkerThread'),
      user: false,
      priority: 13,
    });
    const ulong1 = patternQword & 0xffffffffn;
    return bugcheck(state, {
      code: 0x19,
      args: args4(0x20n, addr(corruption.block), victim, ulong1),
      thread: thread.address,
      processor: thread.processor,
      culprit: site(owner?.name ?? encounter.driver, null, 0x1170),
      context: null,
      access: null,
      rule: 'pool-overrun/no-special-pool/free',
    });
  }

  const faulting = nt('ExAllocatePoolWithTag', 0x43a);
  const exceptionFrames = [
    nt('RtlpExecuteHandlerForException', 0xd),
    nt('RtlDispatchException', 0x45a),
    nt('KiDispatchException', 0x135),
    nt('KiExceptionDispatch', 0xc2),
    nt('KiGeneralProtectionFault', 0x10a),
    faulting,
  ];
  const thread =
    encounter.kind === 'syscall'
      ? createThread(state, processFor(state, encounter.process), {
          frames: [
            nt('KeBugCheckEx'),
            nt('KiBugCheckDispatch', 0x69),
            nt('KiSystemServiceHandler', 0x7c),
            ...exceptionFrames,
            ...encounter.callers,
            nt('KiSystemServiceCopyEnd', 0x13),
            userReturn(state, `syscall:${encounter.process}`),
          ],
          startAddress: userReturn(state, `start:${encounter.process}`),
          user: true,
        })
      : createThread(state, processFor(state, 'System'), {
          frames: [
            nt('KeBugCheckEx'),
            nt("?? ::FNODOBFM::`string'", 0x2a4e0),
            ...exceptionFrames,
            ...encounter.callers,
            nt('ExpWorkerThread', 0x111),
            nt('PspSystemThreadStartup', 0x5a),
            nt('KiStartSystemThread', 0x16),
          ],
          startAddress: nt('ExpWorkerThread'),
          user: false,
          priority: 13,
        });

  const rip = siteAddress(state, faulting);
  const contextAddress = addr(thread.stackCurrent) + 0x908n;
  const listHead = (lookupSymbol(state, 'nt!NonPagedPoolDescriptor') ?? 0n) + 0x1000n;
  const registers: Registers = {
    ...zeroRegisters(0x10202),
    rax: hex16(patternQword),
    rbx: hex16(listHead),
    rcx: hex16(listHead + 0x6b800n),
    rsi: hex16(0x1000n),
    rip: hex16(rip),
    rsp: hex16(contextAddress + 0xa00n),
    rbp: hex16(listHead - 0xa920n),
    r8: hex16(victim + 0x10n),
    r9: hex16(1n),
    r10: hex16(listHead + 0x6b800n),
    r11: hex16(0x11n),
    r13: hex16(listHead - 0xa918n),
    r14: hex16(0x12n),
    r15: hex16(tagValue(encounter.tag)),
    efl: 0x10202,
  };
  const code = encounter.kind === 'syscall' ? 0x3b : 0x7e;
  return bugcheck(state, {
    code,
    args:
      code === 0x3b
        ? args4(0xc0000005n, rip, contextAddress, 0n)
        : args4(0xc0000005n, rip, contextAddress - 0x5b0n, contextAddress),
    thread: thread.address,
    processor: thread.processor,
    culprit: faulting,
    context: { address: hex16(contextAddress), registers },
    access: { address: 'ffffffffffffffff', kind: 'READ' },
    rule: `pool-overrun/no-special-pool/${encounter.kind}`,
  });
}

// ---------------------------------------------------------------- faults

function driverRecord(state: KernelState, name: string) {
  const lower = name.toLowerCase();
  return state.drivers.find(
    (d) =>
      d.name.toLowerCase() === lower || d.binary.toLowerCase() === lower || d.service.toLowerCase() === lower,
  );
}

function faultsOf(state: KernelState, name: string): DriverFault[] {
  return (driverRecord(state, name)?.faults ?? []) as DriverFault[];
}

function poolOverrun(
  state: KernelState,
  driver: LoadedDriver,
  fault: PoolOverrun,
  processImage: string,
): KernelOutcome {
  const size = numberOf(fault.allocationBytes);
  const module = moduleNamed(state, moduleNameOf(driver.binary));
  const moduleName = module?.name ?? moduleNameOf(driver.binary);
  const specialPool = (state.boot.verifier.flags & 0x1) !== 0 && isVerified(state, driver);

  if (specialPool) {
    const pages = Math.ceil(size / 0x1000);
    const first = allocPages(state, 'special', pages + 1);
    const guard = first + BigInt(pages) * PAGE;
    const data = guard - roundUp(BigInt(size), 0x10n);
    const dataPage = guard - PAGE;
    state.pool.special.push({
      page: hex16(dataPage),
      data: hex16(data),
      size,
      // Verifier tags an allocation made without a tag 'Wrap' (the seed, Part 2).
      tag: fault.tag === 'None' ? 'Wrap' : fault.tag,
      poolType: fault.poolType,
      owner: driver.name,
    });
    const slop = Number(guard - data) - size;
    if (fault.overrunBytes <= slop) return { kind: 'none' };
    const process = processFor(state, processImage);
    const callDriver =
      state.boot.verifier.flags !== 0 && isVerified(state, driver)
        ? nt('IovCallDriver', 0xba)
        : nt('IofCallDriver', 0x55);
    const thread = createThread(state, process, {
      frames: [
        nt('KeBugCheckEx'),
        nt("?? ::FNODOBFM::`string'", 0x33c2b),
        nt('MmAccessFault', 0x55b),
        nt('KiPageFault', 0x16e),
        site(moduleName, null, DRIVER_SITES.overrunWrite),
        site(moduleName, null, DRIVER_SITES.overrunDispatch),
        callDriver,
        nt('IopXxxControlFile', 0x7e5),
        nt('NtDeviceIoControlFile', 0x56),
        nt('KiSystemServiceCopyEnd', 0x13),
        userReturn(state, `ioctl:${processImage}`),
      ],
      startAddress: userReturn(state, `start:${processImage}`),
      user: true,
    });
    const ip = siteAddress(state, site(moduleName, null, DRIVER_SITES.overrunWrite));
    return bugcheck(state, {
      code: 0xd6,
      args: args4(guard, 1n, ip, 0n),
      thread: thread.address,
      processor: thread.processor,
      culprit: site(moduleName, null, DRIVER_SITES.overrunWrite),
      context: null,
      access: { address: hex16(guard), kind: 'WRITE' },
      rule: 'pool-overrun/special-pool',
    });
  }

  // Ordinary pool: the block shares its page with the next one, whose header the overrun destroys.
  const blockSize = Number(roundUp(BigInt(size + POOL_HEADER), 0x10n));
  const pages = Math.ceil((blockSize + 0x100) / 0x1000);
  const region = fault.poolType === 'Paged' ? 'paged' : 'nonpaged';
  const page = allocPages(state, region, pages);
  const pageBytes = pages * 0x1000;
  const next = page + BigInt(blockSize);
  state.pool.pages.push({
    address: hex16(page),
    region: fault.poolType === 'Paged' ? 'Paged pool' : 'Nonpaged pool',
    blocks: [
      {
        address: hex16(page),
        size: blockSize,
        previousSize: 0,
        state: 'Allocated',
        tag: fault.tag,
        owner: driver.name,
      },
      {
        address: hex16(next),
        size: pageBytes - blockSize,
        previousSize: blockSize,
        state: 'Free',
        tag: 'Free',
        owner: null,
      },
    ],
    corruption: {
      block: hex16(page),
      at: hex16(next),
      bytes: fault.overrunBytes,
      pattern: fault.pattern,
      driver: driver.name,
    },
  });
  state.latentCorruption = { page: hex16(page), driver: driver.name };
  return { kind: 'none' };
}

function ioWithApcsDisabled(
  state: KernelState,
  driver: LoadedDriver,
  fault: IoWithApcsDisabled,
  image: string,
): KernelOutcome {
  const moduleName = moduleNamed(state, moduleNameOf(driver.binary))?.name ?? moduleNameOf(driver.binary);
  const { flags } = state.boot.verifier;
  const verified = isVerified(state, driver);
  const ioVerification = (flags & 0x10) !== 0 && verified;
  const logging = ioVerification && (flags & 0x400) !== 0;
  const process = processFor(state, image);
  const thread = createThread(state, process, {
    frames: [
      nt('KeBugCheckEx'),
      nt('KiBugCheckDispatch', 0x69),
      nt('KiPageFault', 0x260),
      nt('IopCompleteRequest', 0xc73),
      nt('KiDeliverApc', 0x1d7),
      nt('KiCheckForKernelApcDelivery', 0x25),
      nt('MiMapViewOfSection', 0x2bafa),
      nt('NtMapViewOfSection', 0x2be),
      nt('KiSystemServiceCopyEnd', 0x13),
      userReturn(state, `map:${image}`),
    ],
    startAddress: userReturn(state, `start:${image}`),
    user: true,
    priority: 14,
  });
  const chain = DRIVER_SITES.imageNotifyChain.map((offset) => site(moduleName, null, offset));
  const allocate = (first: boolean): Site[] =>
    ioVerification
      ? [
          nt('IovAllocateIrp', 0x28),
          nt('IoBuildDeviceIoControlRequest', 0x32),
          nt('IovBuildDeviceIoControlRequest', 0x4e),
        ]
      : [nt('IoBuildDeviceIoControlRequest', first ? 0x32 : 0x32)];
  for (let i = 0; i < fault.irps; i += 1) {
    const irpAddress = ioVerification
      ? allocPages(state, 'special', 2) + PAGE - (i === 0 ? 0x120n : 0x3a0n)
      : allocObject(state, `irp:${i}`, i === 0 ? 0x118 : 0x3a0);
    const irp = {
      address: hex16(irpAddress),
      thread: thread.address,
      type: 6,
      size: i === 0 ? 0x118 : 0x3a0,
      flags: 0x40060070,
      mdl: 0,
    };
    state.irps.push(irp);
    thread.irps.unshift(irp.address);
    if (!logging) continue;
    const stack: Site[] =
      i === 0
        ? [...allocate(true), site('fltmgr', 'FltGetVolumeGuidName', 0x18c), ...chain]
        : [
            ...allocate(false),
            site('mountmgr', 'MountMgrSendDeviceControl', 0x73),
            site('mountmgr', 'QueryDeviceInformation', i % 2 === 1 ? 0x207 : 0x299),
            site('mountmgr', 'QueryPointsFromMemory', 0x57),
            site('mountmgr', 'MountMgrQueryPoints', 0x36a),
            site('mountmgr', 'MountMgrDeviceControl', 0xe9),
            nt('IovCallDriver', 0x566),
            site('fltmgr', 'FltGetVolumeGuidName', 0x1ac),
            ...chain.slice(0, 3),
          ];
    state.irpLog.push({
      irp: irp.address,
      thread: thread.address,
      irql: 0,
      kernelApcDisable: i === 0 ? -4 : -5,
      specialApcDisable: -1,
      stack,
    });
  }
  // The completion APC signals an event that lived on the notify routine's (now unwound) stack.
  const referenced = addr(thread.stackLimit) - 0x1d8n + BigInt(pick(0x10, seedOf(state), 'event') * 0x8);
  const ip = siteAddress(state, nt('IopCompleteRequest', 0xc73));
  return bugcheck(state, {
    code: 0x0a,
    args: args4(referenced, 2n, 1n, ip),
    thread: thread.address,
    processor: thread.processor,
    culprit: nt('IopCompleteRequest', 0xc73),
    context: null,
    access: { address: hex16(referenced), kind: 'WRITE' },
    rule: logging ? 'io-with-apcs-disabled/irp-logging' : 'io-with-apcs-disabled/no-irp-log',
  });
}

function createMiniport(state: KernelState, driver: LoadedDriver, fault: NblLeak | null): void {
  const seed = seedOf(state);
  const handle = allocObject(state, `miniport:${driver.name}`, 0x2000);
  const mac = Array.from({ length: 3 }, (_, i) =>
    pick(256, seed, 'mac', driver.name, i).toString(16).padStart(2, '0'),
  );
  const hexId = (label: string, digits: number) =>
    (hash64(seed, label, driver.name) & ((1n << BigInt(digits * 4)) - 1n)).toString(16).padStart(digits, '0');
  const total = fault?.totalNbls ?? 0;
  state.miniports.push({
    handle: hex16(handle),
    name: fault?.adapter ?? driver.name,
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

function pnpRemove(state: KernelState, driverName: string): KernelOutcome {
  const fault = faultsOf(state, driverName).find((f): f is NblLeak => f.kind === 'nbl-leak-on-remove');
  const record = driverRecord(state, driverName);
  const miniport = state.miniports.find((m) => record && m.driver === record.service);
  if (!fault || !miniport) {
    if (miniport) state.miniports.splice(state.miniports.indexOf(miniport), 1);
    return { kind: 'none' };
  }
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

/**
 * A process commits `megabytes`, `times` over; each request that fits is granted and released when
 * the process exits, each that does not is refused after the page file grew as far as it could.
 */
function commit(state: KernelState, megabytes: number, times: number): KernelOutcome {
  const physicalPages = state.boot.memory.physicalMb * 256;
  const request = megabytes * 256;
  let refused = 0;
  for (let i = 0; i < times; i += 1) {
    const wanted = state.memory.committedPages + request;
    if (wanted <= physicalPages + state.memory.pageFileCurrentMb * 256) continue;
    const maximum = state.boot.memory.pageFileMaximumMb;
    if (state.memory.pageFileCurrentMb < maximum) {
      const grown = Math.min(maximum, Math.ceil((wanted - physicalPages) / 256));
      state.memory.pageFileCurrentMb = grown;
      if (wanted <= physicalPages + grown * 256) continue;
      state.memory.failures[0] += 1;
    } else {
      state.memory.failures[1] += 1;
    }
    refused += 1;
  }
  return {
    kind: 'commit',
    refused,
    chargedMb: Math.floor(state.memory.committedPages / 256),
    limitMb: state.boot.memory.physicalMb + state.memory.pageFileCurrentMb,
    pageFileMb: state.memory.pageFileCurrentMb,
  };
}

// ---------------------------------------------------------------- actions

/** Applies one action to a state (mutating it) and returns its outcome. */
export function applyAction(state: KernelState, action: KernelAction): KernelOutcome {
  if (state.crash) return outcomeOf(state.crash);
  state.tick += 1 + pick(64, seedOf(state), 'tick', state.tick);
  switch (action.kind) {
    case 'driver-loaded': {
      const { driver } = action;
      // The image is mapped before its DriverEntry runs, so a crash in DriverEntry's allocation
      // shows the driver as a loaded module on the stack and in lm.
      if (!moduleNamed(state, moduleNameOf(driver.binary))) {
        loadModule(
          state,
          moduleNameOf(driver.binary),
          driver.binary,
          driverImageSize(driver.faults.length, driver.name),
          'none',
          driver.version,
        );
        const reloaded = state.unloadedModules.findIndex(
          (m) => m.image.toLowerCase() === driver.binary.toLowerCase(),
        );
        if (reloaded >= 0) state.unloadedModules.splice(reloaded, 1);
      }
      if (state.latentCorruption)
        return meetCorruption(state, {
          kind: 'worker',
          tag: 'MmLd',
          callers: [
            site(moduleNameOf(driver.binary), null, 0x5010),
            nt('PnpCallDriverEntry', 0x54),
            nt('IopLoadDriver', 0x523),
            nt('IopLoadUnloadDriver', 0x57),
          ],
        });
      const existing = driverRecord(state, driver.name);
      if (existing) state.drivers.splice(state.drivers.indexOf(existing), 1);
      state.drivers.push({
        name: driver.name,
        binary: driver.binary,
        service: driver.service,
        version: driver.version,
        faults: driver.faults,
      });
      const leak = driver.faults.find((f): f is NblLeak => f.kind === 'nbl-leak-on-remove');
      if (leak) createMiniport(state, driver, leak);
      return { kind: 'none' };
    }
    case 'driver-unloaded': {
      const record = driverRecord(state, action.driver);
      if (state.latentCorruption && record && state.latentCorruption.driver === record.name)
        return meetCorruption(state, { kind: 'free', driver: record.binary });
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
    case 'trigger': {
      const process = action.process ?? DEFAULT_TRIGGER_PROCESS;
      if (state.latentCorruption)
        return meetCorruption(state, {
          kind: 'syscall',
          process,
          tag: 'Irp ',
          callers: [nt('IopXxxControlFile', 0x3c1), nt('NtDeviceIoControlFile', 0x56)],
        });
      const record = driverRecord(state, action.driver);
      const faults = faultsOf(state, action.driver);
      const wdm = faults.find(
        (f): f is WdmDriverError => f.kind === 'wdm-driver-error' && f.trigger === action.trigger,
      );
      if (record && wdm) return wdmDriverError(state, record, wdm, isVerified(state, record));
      const fault = faults.find(
        (f): f is PoolOverrun => f.kind === 'pool-overrun' && f.trigger === action.trigger,
      );
      if (!record || !fault) return { kind: 'none' };
      return poolOverrun(state, { ...record, faults: record.faults as DriverFault[] }, fault, process);
    }
    case 'image-load': {
      if (state.latentCorruption)
        return meetCorruption(state, {
          kind: 'syscall',
          process: action.image,
          tag: 'MmCa',
          callers: [nt('MiMapViewOfSection', 0x1f4c), nt('NtMapViewOfSection', 0x2be)],
        });
      for (const record of state.drivers) {
        const fault = (record.faults as DriverFault[]).find(
          (f): f is IoWithApcsDisabled => f.kind === 'io-with-apcs-disabled',
        );
        if (fault)
          return ioWithApcsDisabled(
            state,
            { ...record, faults: record.faults as DriverFault[] },
            fault,
            action.image,
          );
      }
      processFor(state, action.image);
      return { kind: 'none' };
    }
    case 'pnp-remove':
      if (state.latentCorruption)
        return meetCorruption(state, {
          kind: 'worker',
          tag: 'PpRe',
          callers: [
            site('NDIS', 'ndisPnPDispatch', 0x609),
            nt('IopSynchronousCall', 0xc5),
            nt('IopRemoveDevice', 0x101),
            nt('PnpRemoveLockedDeviceNode', 0x1a3),
          ],
        });
      return pnpRemove(state, action.driver);
    case 'commit': {
      const process = action.process ?? DEFAULT_TRIGGER_PROCESS;
      if (state.latentCorruption)
        return meetCorruption(state, {
          kind: 'syscall',
          process,
          tag: 'MmSt',
          callers: [nt('MiChargeCommitment', 0x1d3), nt('NtAllocateVirtualMemory', 0x3e2)],
        });
      return commit(state, action.megabytes, Math.max(1, Math.floor(action.times ?? 1)));
    }
    case 'nmi': {
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
    case 'manual-crash': {
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
  }
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
