/**
 * io-with-apcs-disabled: the driver calls a routine that issues I/O (its `call`) while special APCs
 * are disabled on the thread, and waits on an event on its stack; the routine returns without
 * pending, the stack unwinds, and when APCs are enabled again the I/O completion APC writes that
 * event: stop 0xA in nt!IopCompleteRequest after APC delivery.
 *
 * Where it calls from decides the thread and its APC-disable counts (thread state):
 * - no `trigger`: its image-load notify routine, run by the memory manager while it maps the image
 *   (MiMapViewOfSection holds KernelApcDisable -4 and SpecialApcDisable -1, the seed's counts);
 * - `trigger`: its IOCTL dispatch routine for that trigger, in a guarded region it entered itself
 *   (SpecialApcDisable -1), in the user process that sent the IOCTL.
 * Every IRP the call issues is on the thread's IRP list; with Driver Verifier's IRP logging (flags
 * 0x400 and 0x10, the driver verified) each is also in the IRP log, with the thread's counts at
 * that moment (the call's own critical regions included) and its allocation stack down into the
 * driver's own call chain (io-calls.ts).
 */
import type { KernelOutcome, LoadedDriver } from '../../ports.js';
import { args4, bugcheck } from '../crash.js';
import { addr, hex16, pick } from '../hex.js';
import { allocationFrames, IO_CALLS } from '../io-calls.js';
import {
  allocObject,
  allocPages,
  createThread,
  DEFAULT_TRIGGER_PROCESS,
  isVerified,
  moduleNameOf,
  nt,
  numberOf,
  PAGE,
  processFor,
  roundUp,
  seedOf,
  site,
  userReturn,
} from '../machine.js';
import type { KernelState, Site, Thread } from '../state.js';
import { moduleNamed, siteAddress } from '../symbols.js';
import type { FaultOf, FaultRule } from './rule.js';

type IoWithApcsDisabled = FaultOf<'io-with-apcs-disabled'>;

/** How far past its call site the dispatch routine returns when it leaves its guarded region. */
const DISPATCH_EXIT = 0x3c;

/**
 * The highest offset in the driver's image that this fault's frames return to: its declared call
 * chain and the dispatch routine's exit past it. The image is mapped at least this large, so every
 * frame of the driver resolves to `driver+0x…` (kernel.ts).
 */
export function imageReach(fault: IoWithApcsDisabled): number {
  if (!fault.callChain) return 0;
  return Math.max(...fault.callChain.map((offset) => numberOf(offset))) + DISPATCH_EXIT;
}

/** The counts MiMapViewOfSection holds while it calls the image-load notify routines (the seed's log). */
const IMAGE_NOTIFY_APC_DISABLE = { kernel: -4, special: -1 } as const;

/** Verifier flags: I/O verification, and IRP logging (which needs it). */
const IO_VERIFICATION = 0x10;
const IRP_LOGGING = 0x400;

type Caller = { kind: 'image-load'; image: string } | { kind: 'dispatch'; process: string };

/**
 * The driver's own frames from the call site outwards: the fault's `callChain` when it declares one,
 * else offsets derived from the driver's name (its image is its own), inside the image it loaded.
 */
function driverChain(
  state: KernelState,
  driver: LoadedDriver,
  fault: IoWithApcsDisabled,
  caller: Caller['kind'],
): Site[] {
  const name = moduleNamed(state, moduleNameOf(driver.binary))?.name ?? moduleNameOf(driver.binary);
  if (fault.callChain) return fault.callChain.map((offset) => site(name, null, numberOf(offset)));
  const size = moduleNamed(state, name)?.size ?? 0x3a000;
  const frames = caller === 'image-load' ? 9 : 3;
  // Inside the image, with room for the dispatch routine's exit past the last one.
  const room = Math.max(0x100, size - 0x1000 - DISPATCH_EXIT);
  return Array.from({ length: frames }, (_, i) =>
    site(name, null, 0x1000 + pick(room, 'io-chain', caller, driver.name, i)),
  );
}

function crashFrames(state: KernelState, caller: Caller, chain: Site[], verified: boolean): Site[] {
  const delivery = [
    nt('KeBugCheckEx'),
    nt('KiBugCheckDispatch', 0x69),
    nt('KiPageFault', 0x260),
    nt('IopCompleteRequest', 0xc73),
    nt('KiDeliverApc', 0x1d7),
    nt('KiCheckForKernelApcDelivery', 0x25),
  ];
  if (caller.kind === 'image-load')
    return [
      ...delivery,
      nt('MiMapViewOfSection', 0x2bafa),
      nt('NtMapViewOfSection', 0x2be),
      nt('KiSystemServiceCopyEnd', 0x13),
      userReturn(state, `map:${caller.image}`),
    ];
  // The dispatch routine leaves its guarded region (inline) on its way out: the APC runs there.
  const dispatch = chain[chain.length - 1] as Site;
  return [
    ...delivery,
    'raw' in dispatch ? dispatch : { ...dispatch, offset: dispatch.offset + DISPATCH_EXIT },
    verified ? nt('IovCallDriver', 0xba) : nt('IofCallDriver', 0x55),
    nt('IopXxxControlFile', 0x7e5),
    nt('NtDeviceIoControlFile', 0x56),
    nt('KiSystemServiceCopyEnd', 0x13),
    userReturn(state, `ioctl:${caller.process}`),
  ];
}

/** The driver makes its call on a thread with special APCs disabled, and the completion APC crashes it. */
function issue(
  state: KernelState,
  driver: LoadedDriver,
  fault: IoWithApcsDisabled,
  caller: Caller,
): KernelOutcome {
  const { flags } = state.boot.verifier;
  const verified = isVerified(state, driver);
  const ioVerification = (flags & IO_VERIFICATION) !== 0 && verified;
  const logging = ioVerification && (flags & IRP_LOGGING) !== 0;
  const image = caller.kind === 'image-load' ? caller.image : caller.process;
  const chain = driverChain(state, driver, fault, caller.kind);
  const thread: Thread = createThread(state, processFor(state, image), {
    frames: crashFrames(state, caller, chain, flags !== 0 && verified),
    startAddress: userReturn(state, `start:${image}`),
    user: true,
    priority: caller.kind === 'image-load' ? 14 : 9,
  });

  // The thread's APC state while the driver's code runs.
  const before = { kernel: thread.kernelApcDisable, special: thread.specialApcDisable };
  if (caller.kind === 'image-load') {
    thread.kernelApcDisable += IMAGE_NOTIFY_APC_DISABLE.kernel;
    thread.specialApcDisable += IMAGE_NOTIFY_APC_DISABLE.special;
  } else thread.specialApcDisable -= 1; // KeEnterGuardedRegion

  IO_CALLS[fault.call].irps(fault.irps).forEach((issued, i) => {
    thread.kernelApcDisable -= issued.criticalRegions;
    // Under I/O verification IRPs come from special pool, at the end of their page.
    const irpAddress = ioVerification
      ? allocPages(state, 'special', 2) + PAGE - roundUp(BigInt(issued.size), 0x10n)
      : allocObject(state, `irp:${i}`, issued.size);
    const irp = {
      address: hex16(irpAddress),
      thread: thread.address,
      type: 6,
      size: issued.size,
      flags: 0x40060070,
      mdl: 0,
    };
    state.irps.push(irp);
    thread.irps.unshift(irp.address);
    if (logging)
      state.irpLog.push({
        irp: irp.address,
        thread: thread.address,
        irql: 0,
        kernelApcDisable: thread.kernelApcDisable,
        specialApcDisable: thread.specialApcDisable,
        major: issued.major,
        device: issued.device,
        stack: [
          ...allocationFrames(issued.major, true),
          ...issued.callers,
          ...chain.slice(0, issued.driverFrames),
        ],
      });
    thread.kernelApcDisable += issued.criticalRegions;
  });

  // The caller leaves its regions: APCs are enabled, the completion APC runs on the unwound stack.
  thread.kernelApcDisable = before.kernel;
  thread.specialApcDisable = before.special;
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
    rule: `io-with-apcs-disabled/${caller.kind}/${logging ? 'irp-logging' : 'no-irp-log'}`,
  });
}

/** Image-load notify routines run for every loaded driver; a trigger reaches the driver it names. */
export const ioWithApcsDisabled: FaultRule<IoWithApcsDisabled> = {
  'image-load': ({ state, driver, fault }, action) =>
    fault.trigger === undefined
      ? issue(state, driver, fault, { kind: 'image-load', image: action.image })
      : null,
  trigger: ({ state, driver, fault }, action) =>
    fault.trigger !== undefined && fault.trigger === action.trigger
      ? issue(state, driver, fault, { kind: 'dispatch', process: action.process ?? DEFAULT_TRIGGER_PROCESS })
      : null,
};
