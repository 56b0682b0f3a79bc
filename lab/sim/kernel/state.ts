/**
 * The simulated kernel's state: plain JSON, so a VM checkpoint and a crash dump carry it whole.
 * Every address is 16 lowercase hex digits (`hex16`), every count a number. The schema is the
 * type; `parseKernelState` is the only way a state read back from a file is used.
 */
import * as z from 'zod';

const address = z.string().regex(/^[0-9a-f]{16}$/, '16 lowercase hex digits');

/** A place in code: a module-relative site (with a function when the module has symbols), or a raw address. */
export const Site = z.union([
  z.strictObject({ module: z.string(), fn: z.string().nullable(), offset: z.number().int().nonnegative() }),
  z.strictObject({ raw: address }),
]);
export type Site = z.infer<typeof Site>;

export const Module = z.strictObject({
  /** The name KD shows ("nt", "myfault"). */
  name: z.string(),
  /** The file name ("ntkrnlmp.exe", "myfault.sys"). */
  image: z.string(),
  base: address,
  size: z.number().int().positive(),
  /** Public symbols (Microsoft images) or none (lab drivers). */
  symbols: z.enum(['pdb', 'none']),
  version: z.string(),
  /** Link timestamp (seconds since 1970), derived from the seed. */
  timestamp: z.number().int().nonnegative(),
});
export type Module = z.infer<typeof Module>;

export const DriverRecord = z.strictObject({
  name: z.string(),
  binary: z.string(),
  service: z.string(),
  version: z.string(),
  faults: z.array(z.unknown()),
});
export type DriverRecord = z.infer<typeof DriverRecord>;

export const Process = z.strictObject({
  address,
  pid: z.number().int().nonnegative(),
  image: z.string(),
  deviceMap: address,
});
export type Process = z.infer<typeof Process>;

export const Thread = z.strictObject({
  address,
  pid: z.number().int().nonnegative(),
  tid: z.number().int().nonnegative(),
  process: address,
  teb: address,
  state: z.enum(['running', 'waiting', 'ready']),
  processor: z.number().int().nonnegative(),
  idealProcessor: z.number().int().nonnegative(),
  /** What a waiting thread waits on. */
  wait: z
    .strictObject({
      object: address,
      type: z.string(),
      reason: z.string(),
      mode: z.enum(['KernelMode', 'UserMode']),
      alertable: z.boolean(),
    })
    .nullable(),
  waitStartTick: z.number().int().nonnegative(),
  contextSwitches: z.number().int().nonnegative(),
  kernelTimeMs: z.number().int().nonnegative(),
  startAddress: Site,
  stackInit: address,
  stackCurrent: address,
  stackBase: address,
  stackLimit: address,
  priority: z.number().int(),
  basePriority: z.number().int(),
  kernelApcDisable: z.number().int(),
  specialApcDisable: z.number().int(),
  irps: z.array(address),
  /** The call stack, most recent first. */
  frames: z.array(Site),
  /** The user-mode stack pointer of the last frame, when the stack ends in user mode. */
  userSp: address.nullable(),
});
export type Thread = z.infer<typeof Thread>;

export const Irp = z.strictObject({
  address,
  thread: address,
  type: z.number().int(),
  size: z.number().int(),
  flags: z.number().int().nonnegative(),
  mdl: z.number().int().nonnegative(),
});
export type Irp = z.infer<typeof Irp>;

export const IrpLogEntry = z.strictObject({
  irp: address,
  thread: address,
  irql: z.number().int(),
  kernelApcDisable: z.number().int(),
  specialApcDisable: z.number().int(),
  /** IRP_MJ_* of the IRP, and the device it was sent to (the log does not print them; the stack shows them). */
  major: z.number().int().min(0).max(0x1b).default(0x0e),
  device: z.string().default(''),
  stack: z.array(Site),
});
export type IrpLogEntry = z.infer<typeof IrpLogEntry>;

export const PoolBlock = z.strictObject({
  address,
  /** Size including the 0x10-byte header (what !pool prints). */
  size: z.number().int().positive(),
  previousSize: z.number().int().nonnegative(),
  state: z.enum(['Allocated', 'Free']),
  tag: z.string(),
  /** The driver that allocated it, when it is a lab driver. */
  owner: z.string().nullable(),
});
export type PoolBlock = z.infer<typeof PoolBlock>;

export const PoolPage = z.strictObject({
  address,
  region: z.enum(['Nonpaged pool', 'Paged pool']),
  blocks: z.array(PoolBlock),
  /** Bytes written past the end of a block: the header after it is destroyed. */
  corruption: z
    .strictObject({
      /** The block whose allocation was overrun. */
      block: address,
      /** The first byte written past the allocation. */
      at: address,
      bytes: z.number().int().positive(),
      pattern: z.number().int().min(0).max(255),
      driver: z.string(),
    })
    .nullable(),
});
export type PoolPage = z.infer<typeof PoolPage>;

export const SpecialPoolBlock = z.strictObject({
  /** The page holding the data (the guard page follows it). */
  page: address,
  data: address,
  /** Requested bytes. */
  size: z.number().int().positive(),
  tag: z.string(),
  poolType: z.enum(['NonPaged', 'Paged']),
  owner: z.string(),
});
export type SpecialPoolBlock = z.infer<typeof SpecialPoolBlock>;

export const Lock = z.strictObject({
  name: z.string(),
  address,
  mode: z.enum(['Shared', 'Exclusive']),
  owners: z.array(z.strictObject({ thread: address, count: z.number().int().positive() })),
  contention: z.number().int().nonnegative(),
});
export type Lock = z.infer<typeof Lock>;

export const Miniport = z.strictObject({
  handle: address,
  name: z.string(),
  driver: z.string(),
  driverHandle: address,
  driverVersion: z.string(),
  adapterContext: address,
  networkInterface: address,
  deviceObject: address,
  deviceInstance: z.string(),
  mac: z.string(),
  pnp: z.enum(['STARTED', 'QUERY_REMOVED']),
  operStatus: z.enum(['UP', 'DORMANT']),
  operFlags: z.enum(['NONE', 'DORMANT_PAUSED']),
  references: z.number().int().nonnegative(),
  pendingNbls: z.number().int().nonnegative(),
  totalNbls: z.number().int().nonnegative(),
  /** Where the NBL pool of this miniport starts; pending NBL addresses are derived from it. */
  nblBase: address,
});
export type Miniport = z.infer<typeof Miniport>;

export const Registers = z.strictObject({
  rax: address,
  rbx: address,
  rcx: address,
  rdx: address,
  rsi: address,
  rdi: address,
  rip: address,
  rsp: address,
  rbp: address,
  r8: address,
  r9: address,
  r10: address,
  r11: address,
  r12: address,
  r13: address,
  r14: address,
  r15: address,
  efl: z.number().int().nonnegative(),
});
export type Registers = z.infer<typeof Registers>;

/** All registers zero, with the given flags. */
export function zeroRegisters(efl: number): Registers {
  const zero = '0000000000000000';
  return {
    rax: zero,
    rbx: zero,
    rcx: zero,
    rdx: zero,
    rsi: zero,
    rdi: zero,
    rip: zero,
    rsp: zero,
    rbp: zero,
    r8: zero,
    r9: zero,
    r10: zero,
    r11: zero,
    r12: zero,
    r13: zero,
    r14: zero,
    r15: zero,
    efl,
  };
}

export const Crash = z.strictObject({
  code: z.number().int().nonnegative(),
  args: z.tuple([address, address, address, address]),
  thread: address,
  processor: z.number().int().nonnegative(),
  /** The module and offset !analyze blames (SYMBOL_NAME), or null when only nt is on the stack. */
  culprit: Site,
  /** The exception context (.cxr) of a 0x3B / 0x7E, with its registers. */
  context: z.strictObject({ address, registers: Registers }).nullable(),
  /** The address the faulting instruction read or wrote, with the access kind. */
  access: z.strictObject({ address, kind: z.enum(['READ', 'WRITE']) }).nullable(),
  /** Which rule produced this crash (for the outcome table and tests). */
  rule: z.string(),
});
export type Crash = z.infer<typeof Crash>;

export const KernelState = z.strictObject({
  version: z.literal(1),
  boot: z.strictObject({
    vmName: z.string(),
    bootCount: z.number().int().positive(),
    os: z.strictObject({
      product: z.string(),
      build: z.number().int().positive(),
      processors: z.number().int().positive(),
      family: z.enum(['xp-2003', 'vista-and-later']),
      sku: z.enum(['client', 'server']),
    }),
    verifier: z.strictObject({
      flags: z.number().int().nonnegative(),
      drivers: z.union([z.array(z.string()), z.literal('all')]),
    }),
    trackNblOwner: z.number().int().nonnegative(),
    memory: z.strictObject({
      physicalMb: z.number().int().positive(),
      pageFileInitialMb: z.number().int().nonnegative(),
      pageFileMaximumMb: z.number().int().nonnegative(),
    }),
    diskFull: z.boolean(),
  }),
  /** Clock ticks since boot (15.6001 ms each); every action advances it. */
  tick: z.number().int().nonnegative(),
  modules: z.array(Module),
  unloadedModules: z.array(Module),
  drivers: z.array(DriverRecord),
  processes: z.array(Process),
  threads: z.array(Thread),
  irps: z.array(Irp),
  irpLog: z.array(IrpLogEntry),
  pool: z.strictObject({ pages: z.array(PoolPage), special: z.array(SpecialPoolBlock) }),
  locks: z.array(Lock),
  miniports: z.array(Miniport),
  memory: z.strictObject({
    committedPages: z.number().int().nonnegative(),
    pageFileCurrentMb: z.number().int().nonnegative(),
    failures: z.tuple([
      z.number().int().nonnegative(),
      z.number().int().nonnegative(),
      z.number().int().nonnegative(),
      z.number().int().nonnegative(),
    ]),
  }),
  /** Cursors of the address allocator, so every new object gets a fresh, seed-derived address. */
  cursors: z.strictObject({
    driver: address,
    nonpaged: address,
    paged: address,
    special: address,
    stack: address,
    nextPid: z.number().int().positive(),
  }),
  /** A pool overrun that nobody has tripped over yet (the next pool operation meets it). */
  latentCorruption: z.strictObject({ page: address, driver: z.string() }).nullable(),
  crash: Crash.nullable(),
  hang: z.strictObject({ what: z.string(), thread: address }).nullable(),
  /** The debugger broke in (CTRL+C / NMI break) on this processor; null while running. */
  breakIn: z.strictObject({ processor: z.number().int().nonnegative(), thread: address }).nullable(),
  /**
   * Driver Verifier's non-fatal I/O errors as the debugger's answers left them: the one waiting for
   * an answer, those zapped (printed, not asked) or removed (silent), by driver and code, and
   * whether all of them were disabled (`d`).
   */
  verifierAsserts: z
    .strictObject({
      pending: z.strictObject({ key: z.string(), text: z.string() }).nullable(),
      zapped: z.array(z.string()),
      removed: z.array(z.string()),
      disabled: z.boolean(),
    })
    .default({ pending: null, zapped: [], removed: [], disabled: false }),
});
export type KernelState = z.infer<typeof KernelState>;

/** Reads a state from untrusted JSON (a checkpoint, a dump); throws zod's error when it is not one. */
export function parseKernelState(json: unknown): KernelState {
  return KernelState.parse(json);
}
