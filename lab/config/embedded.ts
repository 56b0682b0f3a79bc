/**
 * The part of an embedded lab file that only the simulator reads: what each simulated guest is
 * (OS, memory, accounts, filters, writers, NICs), how each lab driver misbehaves, and which lab
 * faults each VM injects on purpose.
 *
 * A real Hyper-V lab file has none of this; everything here describes the world the embedded lab
 * host simulates, never harness behaviour.
 */
import * as z from 'zod';
import { Duration } from './duration.js';

const secretRef = z.union([z.strictObject({ env: z.string() }), z.strictObject({ file: z.string() })]);
const altitude = z
  .string()
  .regex(/^\d{1,6}(\.\d{1,6})?$/, "an altitude as a string of digits such as '328000' or '149998.99'");
const hexOrNumber = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^0x[0-9a-fA-F]+$/, 'a hex string such as 0x800'),
]);

/** A lab fault a VM injects on purpose, to prove the harness reports it as the lab's fault. */
export const LabFault = z.discriminatedUnion('kind', [
  /** The Heartbeat integration service never reports OK after a boot. */
  z.strictObject({ kind: z.literal('heartbeat-never') }),
  /** Booting takes this long instead of the guest's timings.boot. */
  z.strictObject({ kind: z.literal('slow-boot'), boot: Duration }),
  /** PowerShell Direct answers "The credential is invalid." whatever credential is given. */
  z.strictObject({ kind: z.literal('psdirect-credential-refused') }),
  /** The named checkpoint (the baseline when absent) does not exist. */
  z.strictObject({ kind: z.literal('checkpoint-missing'), checkpoint: z.string().optional() }),
  /** The system disk is full: a bugcheck writes no dump and event 1001 says so. */
  z.strictObject({ kind: z.literal('disk-full') }),
  /** The host's PowerShell process exits after this many operations (default: the first). */
  z.strictObject({
    kind: z.literal('host-shell-dies'),
    afterOperations: z.number().int().nonnegative().default(0),
  }),
]);
export type LabFault = z.infer<typeof LabFault>;

/** How a simulated driver misbehaves; the simulated kernel turns these into crashes or hangs. */
export const DriverFault = z.discriminatedUnion('kind', [
  /** Writes `overrunBytes` past the end of an `allocationBytes` pool block when `trigger` runs. */
  z.strictObject({
    kind: z.literal('pool-overrun'),
    trigger: z.string(),
    allocationBytes: hexOrNumber,
    overrunBytes: z.number().int().positive(),
    /** The pool tag the driver allocates with; 'None' for ExAllocatePool without a tag. */
    tag: z
      .string()
      .regex(/^[\x20-\x7e]{1,4}$/, 'a pool tag of 1 to 4 printable characters')
      .default('None'),
    poolType: z.enum(['NonPaged', 'Paged']).default('NonPaged'),
    /** The byte the overrun writes (0x4f in the seed's NotMyFault case). */
    pattern: z.number().int().min(0).max(255).default(0x4f),
  }),
  /**
   * It issues I/O while special APCs are disabled, waiting on an event on its stack: without
   * `trigger`, from its image-load notification routine (the memory manager calls it with
   * KernelApcDisable -4 and SpecialApcDisable -1, the seed's counts); with `trigger`, from its
   * IOCTL dispatch routine for that trigger, inside a guarded region it entered itself. The
   * completion APC runs once APCs are enabled again, on a stack that has unwound: stop 0xA.
   */
  z.strictObject({
    kind: z.literal('io-with-apcs-disabled'),
    /**
     * The routine that issues the I/O: FltGetVolumeGuidName (an IOCTL to the mount manager, which
     * queries the volume with IRPs of its own) or ZwReadFile (an IRP_MJ_READ to the file's volume).
     */
    call: z.enum(['FltGetVolumeGuidName', 'ZwReadFile']).default('FltGetVolumeGuidName'),
    /** How many IRPs the call issues before the completion APC runs on a dead stack. */
    irps: z.number().int().positive().max(64).default(3),
    /** The driver's trigger whose dispatch routine issues the I/O; the image-load notify routine when absent. */
    trigger: z.string().optional(),
    /**
     * Where the driver's own frames return to, from the call outwards (offsets in its image, as a
     * stack prints `driver+0x12be1`); derived from the driver's name when absent.
     */
    callChain: z.array(hexOrNumber).min(1).max(32).optional(),
  }),
  /**
   * When `trigger` runs, the driver sends an IRP that Driver Verifier's I/O verification (flag 0x10,
   * driver verified) reports as a non-fatal WDM DRIVER ERROR: with a kernel debugger attached the
   * target prints it and asks "Break, Ignore, Zap, Remove, Disable all (bizrd)?", waiting for the
   * answer; without one the error is ignored.
   */
  z.strictObject({
    kind: z.literal('wdm-driver-error'),
    trigger: z.string(),
    /**
     * The non-fatal WDM DRIVER ERROR: 0x20E / 0x20F / 0x210 a PnP / Power / WMI IRP sent with its
     * status not initialized to STATUS_NOT_SUPPORTED, 0x211 an IRP sent skipping a device object.
     */
    code: z.union([z.literal(0x20e), z.literal(0x20f), z.literal(0x210), z.literal(0x211)]).default(0x20e),
  }),
  /** As an NDIS miniport it never returns NBLs, so a PnP remove hangs. */
  z.strictObject({
    kind: z.literal('nbl-leak-on-remove'),
    adapter: z.string(),
    pendingNbls: z.number().int().positive(),
    totalNbls: z.number().int().positive(),
  }),
  /**
   * As a storage miniport its requests time out when `trigger` runs; needs no kernel: the guest
   * logs what Windows logs. 129: storport timed the request out and reset the device (source: the
   * miniport's service name). 153: the miniport timed it out and the disk class driver retried it
   * (source: Disk), with the SCSI status, SRB status and opcode in the event's binary data.
   */
  z.strictObject({
    kind: z.literal('storage-timeout'),
    trigger: z.string(),
    event: z.union([z.literal(129), z.literal(153)]),
    /** How many events one run of the trigger logs. */
    count: z.number().int().positive().max(1000).default(1),
    /** The storport device the 129 reset names. */
    port: z
      .string()
      .regex(/^\\Device\\RaidPort\d+$/, 'a storport device such as \\Device\\RaidPort1')
      .default('\\Device\\RaidPort1'),
    disk: z.number().int().nonnegative().default(0),
    /** The disk's PDO name, as the 153 message shows it. */
    pdo: z.string().default('\\Device\\00000034'),
    /** The logical block address of the first retried request. */
    lba: hexOrNumber.default('0x1c8f0'),
    scsiStatus: z.number().int().min(0).max(255).default(0x00),
    /** SRB_STATUS_* with its flag bits; 0x09 is SRB_STATUS_TIMEOUT. */
    srbStatus: z.number().int().min(0).max(255).default(0x09),
    /** SCSIOP_*; 0x28 is READ(10). */
    opcode: z.number().int().min(0).max(255).default(0x28),
  }),
]);
export type DriverFault = z.infer<typeof DriverFault>;

/** A file-system filter the simulated driver registers as, when it is one. */
export const FilterDeclaration = z.strictObject({
  kind: z.enum(['minifilter', 'legacy']),
  altitude,
  loadOrderGroup: z.string(),
  /** Boot-start filters load at boot in load-order-group order; others when their service starts. */
  startType: z.enum(['boot', 'system', 'auto', 'demand']).default('demand'),
  /** The volumes a minifilter attaches an instance to (fltmc's Num Instances); all when absent. */
  volumes: z.array(z.string()).optional(),
});

export const SimulatedDriver = z.strictObject({
  faults: z.array(DriverFault).default([]),
  filter: FilterDeclaration.optional(),
  /** Build shown by `lm` and in IMAGE_VERSION. */
  version: z.string().default('1.0.0.0'),
});
export type SimulatedDriver = z.infer<typeof SimulatedDriver>;

export const GuestDeclaration = z.strictObject({
  os: z
    .strictObject({
      product: z.string().default('Windows 10'),
      build: z.number().int().positive().default(19041),
      processors: z.number().int().positive().default(4),
      /** Windows 2003/XP count MiChargeCommitmentFailures[2], later builds [3] (seed rule). */
      family: z.enum(['xp-2003', 'vista-and-later']).default('vista-and-later'),
      sku: z.enum(['client', 'server']).default('client'),
    })
    .default({
      product: 'Windows 10',
      build: 19041,
      processors: 4,
      family: 'vista-and-later',
      sku: 'client',
    }),
  /** Accounts PowerShell Direct accepts. */
  accounts: z.array(z.strictObject({ user: z.string(), password: secretRef })).min(1),
  /** How long a boot, a checkpoint restore, a guest command and a shutdown take (lab ms once read). */
  timings: z
    .strictObject({
      boot: Duration.default(40_000),
      restore: Duration.default(8_000),
      command: Duration.default(300),
      shutdown: Duration.default(10_000),
    })
    .default({ boot: 40_000, restore: 8_000, command: 300, shutdown: 10_000 }),
  memory: z
    .strictObject({
      physicalMb: z.number().int().positive().default(8192),
      pageFileInitialMb: z.number().int().positive().default(4096),
      pageFileMaximumMb: z.number().int().positive().default(8192),
    })
    .default({ physicalMb: 8192, pageFileInitialMb: 4096, pageFileMaximumMb: 8192 }),
  /** The guest's IP addresses, as Get-VMNetworkAdapter reports them. */
  addresses: z.array(z.string()).default([]),
  /** The guest's computer name (Test-VMPowerShellDirect answers it); the VM name upper-cased when absent. */
  computerName: z.string().optional(),
  /** Volumes filter instances attach to, as fltmc names them ('C:', '\\Device\\Mup', or '' for unnamed). */
  volumes: z.array(z.string()).default(['C:']),
  /** PnP devices present in the baseline, which lab driver packages install on by hardware ID. */
  devices: z
    .array(
      z.strictObject({
        instanceId: z.string().min(1),
        description: z.string().min(1),
        /** Hardware IDs, most specific first; an INF model matching one of them installs on the device. */
        hardwareIds: z.array(z.string().min(1)).min(1),
        class: z.string().default('Net'),
      }),
    )
    .default([]),
  /** Filters installed in the baseline image (FileInfo, luafv, …). */
  filters: z.array(z.strictObject({ name: z.string() }).extend(FilterDeclaration.shape)).default([]),
  /** NDIS TrackNblOwner registry value in the baseline. */
  trackNblOwner: z.union([z.literal(0), z.literal(1)]).optional(),
  /**
   * What the guest's KDNET does after Restore-VMCheckpoint of a running checkpoint: `rearms` — it
   * connects to the debugger again by itself — or `silent` — it stays quiet until the guest
   * restarts (reports of real guests that log "Bad packet sent from <host>" and need a reboot).
   * Which one a real guest does is what `driverlab doctor --lab` finds out (lab/kd/restore.ts).
   */
  kdnetAfterRestore: z.enum(['rearms', 'silent']).default('rearms'),
});
export type GuestDeclaration = z.infer<typeof GuestDeclaration>;

/**
 * A user-mode test program in every guest image that scenarios run by its kind (on a real lab the
 * program must be in the baseline image; in the embedded lab the guest model runs it itself).
 */
export const GuestTool = z.strictObject({
  /** The program's guest path, e.g. C:\\Tools\\commithog.exe. */
  program: z.string().regex(/^[A-Za-z]:\\/, 'a guest path such as C:\\Tools\\commithog.exe'),
  /** `commit`: commits the number of megabytes given as its one argument, then exits and releases it. */
  kind: z.literal('commit'),
});
export type GuestTool = z.infer<typeof GuestTool>;

export const EmbeddedDeclaration = z.strictObject({
  /** The simulated guest behind each VM, by VM name. */
  guests: z.record(z.string(), GuestDeclaration),
  /** How each lab driver behaves in the simulated kernel, by driver name. */
  drivers: z.record(z.string(), SimulatedDriver).default({}),
  /** Lab faults each VM injects, by VM name. */
  faults: z.record(z.string(), z.array(LabFault)).default({}),
});
export type EmbeddedDeclaration = z.infer<typeof EmbeddedDeclaration>;
