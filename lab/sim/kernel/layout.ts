/**
 * The images the simulated kernel knows the inside of: which functions each module has, where
 * (relative virtual addresses), and the few instruction sequences the debugger disassembles.
 *
 * Where the seed transcripts show an nt RVA (ExWaitForRundownProtectionReleaseCacheAware at
 * nt+0x182f0, the BBT chunk at nt+0xda7d0 chained to it, IopDeviceTreeLock at nt+0x27ac80, the
 * ExAllocatePoolWithTag code around +0x419), the model uses it, so `.fnent` and `ln` agree with each
 * other the way they do in the seed. Everything else is a fixed, non-overlapping layout: the image
 * is a model, and what matters is that every command sees the same one.
 */

export interface FunctionSymbol {
  name: string;
  rva: number;
  size: number;
}

/** A BBT-moved chunk of a function ("cold" code): `.fnent` shows its parent as chained info. */
export interface ColdChunk {
  begin: number;
  end: number;
  unwind: number;
  parent: string;
}

/** A range of a function where another function was inlined (what `u`/`ub` labels show). */
export interface InlineRange {
  function: string;
  begin: number;
  end: number;
  inlinee: string;
  site: number;
}

export interface DataSymbol {
  name: string;
  rva: number;
}

export interface ImageLayout {
  /** Module name as KD shows it ("nt", "NDIS"). */
  module: string;
  /** File name ("ntkrnlmp.exe", "ndis.sys"). */
  image: string;
  size: number;
  functions: FunctionSymbol[];
  data: DataSymbol[];
  cold: ColdChunk[];
  inlines: InlineRange[];
  /** Unwind-info RVAs that the seed shows; others are derived. */
  unwind: Record<string, number>;
}

const f = (name: string, rva: number, size: number): FunctionSymbol => ({ name, rva, size });

/** The nt image (ntkrnlmp.exe). */
export const NT: ImageLayout = {
  module: 'nt',
  image: 'ntkrnlmp.exe',
  size: 0x5e5000,
  functions: [
    f('KiInitializeBootStructures', 0x1000, 0x400),
    f('IofCallDriver', 0x12a00, 0x80),
    f('ExWaitForRundownProtectionReleaseCacheAware', 0x182f0, 0x68),
    f('KeGetRecommendedSharedDataAlignment', 0x18358, 0x40),
    f('IopCompleteRequest', 0x2b000, 0xd00),
    f('KiDeliverApc', 0x2c000, 0x300),
    f('KiCheckForKernelApcDelivery', 0x2c400, 0x40),
    f('MmAccessFault', 0x50000, 0x800),
    f('KiStartSystemThread', 0x6f000, 0x40),
    f('KiGeneralProtectionFault', 0x6fb00, 0x200),
    f('KiPageFault', 0x6fd80, 0x300),
    f('KeBugCheckEx', 0x70f00, 0x110),
    f('KeBugCheck2', 0x71100, 0xa00),
    f('KiBugCheckDebugBreak', 0x71b00, 0x60),
    f('DbgBreakPointWithStatus', 0x71b80, 0x10),
    f('KiSystemServiceCopyStart', 0x73400, 0x40),
    f('KiSystemServiceCopyEnd', 0x73440, 0x60),
    f('KiServiceLinkage', 0x73500, 0x10),
    f('KiBugCheckDispatch', 0x738c0, 0x90),
    f('KiExceptionDispatch', 0x73a00, 0x180),
    f('KiBreakpointTrap', 0x73c00, 0x180),
    f('KiNmiInterrupt', 0x73e00, 0x300),
    f('KxNmiInterrupt', 0x74200, 0x100),
    f('memcpy', 0x74400, 0x300),
    f('KiSwapContext', 0x75000, 0x100),
    f('KiCommitThreadWait', 0x76000, 0x300),
    f('KeWaitForSingleObject', 0x77000, 0x300),
    f('KiIdleLoop', 0x78000, 0x100),
    f('KiProcessNMI', 0x79000, 0x300),
    f('KdCheckForDebugBreak', 0x7a000, 0x60),
    f('KeClockInterruptNotify', 0x7a100, 0x300),
    f('ExpWorkerThread', 0x88000, 0x200),
    f('ExAllocatePool', 0x9b000, 0x10),
    f('KiSystemServiceHandler', 0x9c000, 0x100),
    f('RtlpExecuteHandlerForException', 0x9c100, 0x40),
    f('RtlDispatchException', 0x9c200, 0x600),
    f('KiDispatchException', 0x9c900, 0x300),
    f('KdpSendWaitContinue', 0x9d000, 0x300),
    f('KdpReportExceptionStateChange', 0x9d300, 0x100),
    f('KdpReport', 0x9d400, 0x100),
    f('KdpTrap', 0x9d500, 0x200),
    f('KdTrap', 0x9d700, 0x40),
    // BBT-moved cold code shows up as these pseudo-symbols with large offsets.
    f("?? ::FNODOBFM::`string'", 0xc7820, 0x40000),
    f('vDbgPrintExWithPrefixInternal', 0x107820, 0x200),
    f("?? ::NNGAKEGL::`string'", 0x110000, 0x60000),
    f('PnpRemoveLockedDeviceNode', 0x178000, 0x240),
    f('IoBuildDeviceIoControlRequest', 0x1ab0b0, 0x200),
    f('ExAllocatePoolWithTag', 0x1ac000, 0xc00),
    f('ExFreePoolWithTag', 0x1ad000, 0x600),
    f('MiChargeCommitment', 0x1ae000, 0x400),
    f('NtAllocateVirtualMemory', 0x1ae400, 0x600),
    f('IopSynchronousCall', 0x2e5000, 0x120),
    f('MiMapViewOfSection', 0x300000, 0x30000),
    f('PspSystemThreadStartup', 0x330000, 0x80),
    f('NtMapViewOfSection', 0x340000, 0x300),
    f('PsCallImageNotifyRoutines', 0x340400, 0x100),
    f('IopXxxControlFile', 0x3e0000, 0x900),
    f('NtDeviceIoControlFile', 0x3e0a00, 0x80),
    f('NtReadFile', 0x3e0b00, 0x400),
    f('IopLoadDriver', 0x3e1000, 0x600),
    f('PnpCallDriverEntry', 0x3e1600, 0x80),
    f('IopLoadUnloadDriver', 0x3e1700, 0x80),
    f('IopRemoveDevice', 0x465000, 0x180),
    f('PnpDeleteLockedDeviceNode', 0x465200, 0x80),
    f('PnpDeleteLockedDeviceNodes', 0x465300, 0x100),
    f('IovAllocateIrp', 0x4f0000, 0x80),
    f('IovCallDriver', 0x4f0100, 0x600),
    f('IovBuildDeviceIoControlRequest', 0x4f0700, 0x80),
    f('PnpProcessQueryRemoveAndEject', 0x4f5000, 0x1000),
    f('PnpProcessTargetDeviceEvent', 0x4f6000, 0x80),
    f('WheaReportHwError', 0x4f7000, 0x400),
  ],
  data: [
    { name: 'KiBugCheckData', rva: 0x23e000 },
    { name: 'MiChargeCommitmentFailures', rva: 0x23ece0 },
    { name: 'PsLoadedModuleList', rva: 0x24b890 },
    { name: 'PiEngineLock', rva: 0x27ab80 },
    { name: 'IopDeviceTreeLock', rva: 0x27ac80 },
    { name: 'NonPagedPoolDescriptor', rva: 0x289460 },
    { name: 'KiInitialThread', rva: 0x28bcc0 },
    { name: 'KiInitialProcess', rva: 0x28c140 },
  ],
  cold: [
    // The seed's `.fnent`: the chunk at nt+0xda7d0 is chained to nt+0x182f0.
    { begin: 0xda7d0, end: 0xda81c, unwind: 0x1c8a54, parent: 'ExWaitForRundownProtectionReleaseCacheAware' },
    { begin: 0xfb420, end: 0xfb470, unwind: 0x1c9f20, parent: 'MmAccessFault' },
    { begin: 0x16ab80, end: 0x16abc0, unwind: 0x1cb410, parent: 'ExpWorkerThread' },
  ],
  inlines: [
    // The seed's `ub .` label: "nt!KzAcquireQueuedSpinLock [inlined in nt!ExAllocatePoolWithTag+0x421]".
    {
      function: 'ExAllocatePoolWithTag',
      begin: 0x419,
      end: 0x43a,
      inlinee: 'KzAcquireQueuedSpinLock',
      site: 0x421,
    },
  ],
  unwind: { ExWaitForRundownProtectionReleaseCacheAware: 0x1bf910 },
};

const driverImage = (
  module: string,
  image: string,
  size: number,
  functions: FunctionSymbol[],
  data: DataSymbol[] = [],
): ImageLayout => ({ module, image, size, functions, data, cold: [], inlines: [], unwind: {} });

/** The Microsoft images the seed's stacks run through (with public symbols). */
export const SYSTEM_IMAGES: ImageLayout[] = [
  driverImage('hal', 'hal.dll', 0x49000, [
    f('HalpTimerClockInterrupt', 0x3000, 0x200),
    f('HalHandleNMI', 0x8000, 0x200),
    f('HalBugCheckSystem', 0x9000, 0x300),
  ]),
  driverImage('kdcom', 'kdcom.dll', 0xa000, [f('KdReceivePacket', 0x1000, 0x400)]),
  driverImage(
    'NDIS',
    'ndis.sys',
    0xf2000,
    [
      f('ndisPnPRemoveDeviceEx', 0x3bb20, 0x100),
      f('ndisPnPNotifyBinding', 0x47a70, 0x180),
      f('ndisPnPNotifyAllTransports', 0x48140, 0x400),
      f('ndisCloseMiniportBindings', 0x61800, 0x200),
      f('ndisPnPRemoveDevice', 0x62a00, 0x300),
      f('ndisPnPDispatch', 0x65560, 0x700),
    ],
    [{ name: 'ndisTrackNblOwner', rva: 0xd1a30 }],
  ),
  driverImage('fltmgr', 'fltmgr.sys', 0x4c000, [f('FltGetVolumeGuidName', 0x1ba40, 0x200)]),
  driverImage('mountmgr', 'mountmgr.sys', 0x1b000, [
    f('MountMgrQueryPoints', 0x9c1c, 0x400),
    f('QueryPointsFromMemory', 0x9814, 0x100),
    f('QueryDeviceInformation', 0x864, 0x300),
    f('MountMgrDeviceControl', 0xe988, 0x200),
    f('MountMgrSendDeviceControl', 0xee54, 0x100),
  ]),
  driverImage('tcpip', 'tcpip.sys', 0x200000, [
    f('FlPnpEvent', 0x105e50, 0x200),
    f('Fl48PnpEvent', 0x12c540, 0x20),
  ]),
];

/** Where a fault's code sits inside a driver image without symbols (offsets KD prints as module+0x…). */
export const DRIVER_SITES = {
  /** The instruction that writes past the allocation, and the IOCTL dispatch that calls it. */
  overrunWrite: 0x14eb,
  overrunDispatch: 0x1727,
  /** Where the driver loads its pool tag into edx before calling ExAllocatePoolWithTag. */
  tagLoad: 0x1490,
  /** The image-load notify routine's call chain down to FltGetVolumeGuidName (the seed's offsets). */
  imageNotifyChain: [0x12be1, 0x36523, 0x3600c, 0x35cce, 0x22715, 0xf6c7, 0xb342, 0x2144e, 0x21638],
  /** The miniport's return-NBL path that never runs. */
  miniportSend: 0x2a10,
} as const;

/**
 * The size given to a driver image that declares no size (bytes): at least the page past `reach`,
 * the highest offset its faults' frames return to.
 */
export function driverImageSize(faultCount: number, name: string, reach = 0): number {
  const base = 0x8000 + (name.length % 5) * 0x1000;
  const size = faultCount > 0 ? Math.max(base, 0x3a000) : base;
  return Math.max(size, (Math.floor(reach / 0x1000) + 1) * 0x1000);
}

/** The functions of a layout in address order (for `ln`'s "next symbol"). */
export function sortedFunctions(layout: ImageLayout): FunctionSymbol[] {
  return [...layout.functions].sort((a, b) => a.rva - b.rva);
}

/** The function containing an RVA, if any. */
export function functionAt(layout: ImageLayout, rva: number): FunctionSymbol | undefined {
  return layout.functions.find((fn) => rva >= fn.rva && rva < fn.rva + fn.size);
}
