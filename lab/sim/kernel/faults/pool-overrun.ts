/**
 * pool-overrun: when its trigger runs, the driver writes `overrunBytes` past the end of an
 * `allocationBytes` pool block.
 * - Special pool in effect for the driver (verifier flag 0x1, driver verified): the allocation ends
 *   at a guard page (16-byte aligned); an overrun past the alignment slack stops 0xD6 at once.
 * - Otherwise the block sits in an ordinary pool page: header (0x10 bytes) + data, rounded up to the
 *   pool's granularity (16 bytes on x64, 8 on x86; the simulated guests are x64). An overrun within
 *   that rounding corrupts nothing; a longer one destroys the next block's header, which the next
 *   pool operation meets (crash.ts).
 */
import type { KernelOutcome, LoadedDriver } from '../../ports.js';
import { args4, bugcheck } from '../crash.js';
import { hex16 } from '../hex.js';
import { DRIVER_SITES } from '../layout.js';
import {
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
  site,
  userReturn,
} from '../machine.js';
import type { KernelState } from '../state.js';
import { moduleNamed, siteAddress } from '../symbols.js';
import type { FaultOf, FaultRule } from './rule.js';

type PoolOverrun = FaultOf<'pool-overrun'>;

/** The pool header that precedes every small pool block (x64). */
export const POOL_HEADER = 0x10;
/** Small pool blocks are whole multiples of this many bytes: 16 on x64 (8 on x86). */
export const POOL_GRANULARITY = 0x10;

function overrun(
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

  // Ordinary pool: the block (header + data, rounded up to the pool's granularity) shares its page
  // with the next one. Bytes written past the allocation land first in the rounding slack of the
  // block itself, which nothing reads; only what goes beyond it destroys the next block's header.
  const blockSize = Number(roundUp(BigInt(size + POOL_HEADER), BigInt(POOL_GRANULARITY)));
  const slack = blockSize - POOL_HEADER - size;
  const beyond = fault.overrunBytes - slack;
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
    corruption:
      beyond > 0
        ? {
            block: hex16(page),
            at: hex16(next),
            bytes: beyond,
            pattern: fault.pattern,
            driver: driver.name,
          }
        : null,
  });
  if (beyond > 0) state.latentCorruption = { page: hex16(page), driver: driver.name };
  return { kind: 'none' };
}

/** The trigger named by the fault runs: the driver overruns its allocation. */
export const poolOverrun: FaultRule<PoolOverrun> = {
  trigger: ({ state, driver, fault }, action) =>
    fault.trigger === action.trigger
      ? overrun(state, driver, fault, action.process ?? DEFAULT_TRIGGER_PROCESS)
      : null,
};
