/**
 * Crashes: the bugcheck a rule raises, and the latent pool corruption that the next pool operation
 * meets (who meets it decides the stop code: a system call 0x3B, a worker thread 0x7E, the
 * overrunning driver's own free 0x19).
 */
import type { KernelOutcome } from '../ports.js';
import { bugcheckText } from './bugchecks.js';
import { addr, hex16, tagValue } from './hex.js';
import { createThread, moduleNameOf, nt, processFor, site, userReturn } from './machine.js';
import { type Crash, type KernelState, type Registers, type Site, zeroRegisters } from './state.js';
import { lookupSymbol, moduleNamed, siteAddress } from './symbols.js';

/** Stops the kernel with this crash; every later action answers it. */
export function bugcheck(state: KernelState, crash: Crash): KernelOutcome {
  state.crash = crash;
  return outcomeOf(crash);
}

/** The outcome the VM sees for a crash (code, name and the four arguments). */
export function outcomeOf(crash: Crash): KernelOutcome {
  const args = crash.args.map((a) => addr(a)) as [bigint, bigint, bigint, bigint];
  return { kind: 'bugcheck', bugcheck: { code: crash.code, name: bugcheckText(crash.code).name, args } };
}

/** The four bugcheck arguments as the state keeps them. */
export function args4(a: bigint, b: bigint, c: bigint, d: bigint): Crash['args'] {
  return [hex16(a), hex16(b), hex16(c), hex16(d)];
}

/** Where a pool walk meets the corrupt header: the kind of thread decides the stop code. */
export type Encounter =
  | { kind: 'syscall'; process: string; callers: Site[]; tag: string }
  | { kind: 'worker'; callers: Site[]; tag: string }
  | { kind: 'free'; driver: string };

/** The next pool operation meets the latent corruption, if any: the crash that follows, or nothing. */
export function meetCorruption(state: KernelState, encounter: Encounter): KernelOutcome {
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
