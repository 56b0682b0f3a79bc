/**
 * The seed's cases as kernel inputs: the facts of the guest, the actions that lead to the state
 * the seed's author debugged, and the commands the seed runs on it. The tests and the fixture
 * generator (render-fixtures.ts) both build their states from here.
 */
import type { DriverFault } from '../../config/embedded.js';
import type { KernelAction, KernelFacts, LoadedDriver } from '../ports.js';
import { createKernel, type Kernel } from './index.js';
import { DRIVER_SITES } from './layout.js';
import type { RenderContext } from './render/index.js';

export const GUEST: Omit<KernelFacts, 'verifier'> = {
  vmName: 'win10-a',
  bootCount: 1,
  os: { product: 'Windows 10', build: 19041, processors: 2, family: 'vista-and-later', sku: 'client' },
  trackNblOwner: 1,
  memory: { physicalMb: 8192, pageFileInitialMb: 4096, pageFileMaximumMb: 8192 },
  diskFull: false,
};

export function driver(name: string, faults: DriverFault[], version = '1.0.0.0'): LoadedDriver {
  return { name, binary: `${name}.sys`, service: name, version, faults };
}

/** NotMyFault's buffer overflow: 0x800 bytes allocated without a tag, 0x30 written past the end. */
export function overrun(
  overrides: Partial<Extract<DriverFault, { kind: 'pool-overrun' }>> = {},
): DriverFault {
  return {
    kind: 'pool-overrun',
    trigger: 'buffer-overflow',
    allocationBytes: 0x800,
    overrunBytes: 0x30,
    tag: 'None',
    poolType: 'NonPaged',
    pattern: 0x4f,
    ...overrides,
  };
}

/** The seed's baddriver: FltGetVolumeGuidName from its image-load notify routine, its frames as the seed's log shows them. */
export const APC_FAULT: DriverFault = {
  kind: 'io-with-apcs-disabled',
  call: 'FltGetVolumeGuidName',
  irps: 3,
  callChain: [...DRIVER_SITES.imageNotifyChain],
};

export const NBL_FAULT: DriverFault = {
  kind: 'nbl-leak-on-remove',
  adapter: 'My Ethernet 1Gb 4-port Adapter',
  pendingNbls: 1854,
  totalNbls: 3005,
};

export interface SeedCase {
  name: string;
  verifier: KernelFacts['verifier'];
  facts?: Partial<KernelFacts>;
  actions: KernelAction[];
  /** Break in after the actions (a hang is looked at by breaking in). */
  breakIn?: boolean;
  source: RenderContext['source'];
  /** Commands with placeholders the state fills: {guard} {page} {cxr} {r8} {thread} {miniport} {rip}. */
  commands: string[];
}

export const SEED_CASES: SeedCase[] = [
  {
    name: 'special-pool-d6',
    verifier: { flags: 0x1, drivers: ['myfault.sys'] },
    actions: [
      { kind: 'driver-loaded', driver: driver('myfault', [overrun()]) },
      { kind: 'trigger', driver: 'myfault', trigger: 'buffer-overflow', process: 'notmyfault64.exe' },
    ],
    source: 'dump',
    commands: ['!analyze -v', 'k', '!pool {guard}', '!pte {guard}', '!pool {guard}-1000', '.bugcheck', 'lm'],
  },
  {
    name: 'pool-corruption-3b',
    verifier: { flags: 0, drivers: [] },
    actions: [
      { kind: 'driver-loaded', driver: driver('myfault', [overrun()]) },
      { kind: 'trigger', driver: 'myfault', trigger: 'buffer-overflow', process: 'notmyfault64.exe' },
      { kind: 'image-load', image: 'svchost.exe' },
    ],
    source: 'dump',
    commands: [
      '!analyze -v',
      '.cxr 0x{cxr}',
      'ub .',
      'dq {r8} l1',
      '!pool {r8}',
      'dq {page} + 810',
      '!for_each_module s -a @#Base @#End "None"',
      'u {none}-1',
      'kb',
    ],
  },
  {
    name: 'apc-disabled-io-0a',
    verifier: { flags: 0x410, drivers: 'all' },
    actions: [
      { kind: 'driver-loaded', driver: driver('baddriver', [APC_FAULT]) },
      { kind: 'image-load', image: 'csrss.exe' },
    ],
    source: 'dump',
    commands: ['!thread', '!verifier 100', '!analyze -v', 'kn'],
  },
  {
    name: 'nbl-leak-hang',
    verifier: { flags: 0, drivers: [] },
    facts: {
      os: {
        product: 'Windows Server 2008 R2',
        build: 7601,
        processors: 24,
        family: 'vista-and-later',
        sku: 'server',
      },
    },
    actions: [
      { kind: 'driver-loaded', driver: driver('MyMiniPortDriver', [NBL_FAULT], '1.0.0.0') },
      { kind: 'pnp-remove', driver: 'MyMiniPortDriver' },
    ],
    breakIn: true,
    source: 'live',
    commands: [
      '!locks',
      '!thread {thread} e',
      '.fnent {waitret}',
      'ln nt+000182f0',
      'dp NDIS!ndisTrackNblOwner L1',
      '!ndiskd.pendingnbls',
      '!ndiskd.miniport {miniport}',
      'k',
    ],
  },
  {
    name: 'commit-failures',
    verifier: { flags: 0, drivers: [] },
    // The seed's page file is at its maximum (Current = Minimum = Maximum), so every failure is member 1.
    facts: { memory: { physicalMb: 4096, pageFileInitialMb: 6144, pageFileMaximumMb: 6144 } },
    actions: [{ kind: 'commit', megabytes: 12000, times: 48440 }],
    breakIn: true,
    source: 'live',
    commands: ['!vm 1', 'dc nt!MiChargeCommitmentFailures L4', '? 0000bd38', '?0000bd38'],
  },
  {
    name: 'manual-crash-e2',
    verifier: { flags: 0, drivers: [] },
    actions: [{ kind: 'manual-crash' }],
    source: 'live',
    commands: ['!analyze -v', '!analyze', '.bugcheck', 'k', 'r'],
  },
  {
    name: 'nmi-80',
    verifier: { flags: 0, drivers: [] },
    actions: [{ kind: 'nmi' }],
    source: 'dump',
    commands: ['!analyze -v', 'kb', '.bugcheck'],
  },
];

export interface BuiltCase {
  kernel: Kernel;
  context: RenderContext;
  /** The commands with their placeholders filled from the state. */
  commands: string[];
}

/** Builds a case's kernel by applying its actions, and fills its command placeholders. */
export function buildCase(seedCase: SeedCase, overrides: Partial<KernelFacts> = {}): BuiltCase {
  const kernel = createKernel({
    ...GUEST,
    ...seedCase.facts,
    ...overrides,
    verifier: overrides.verifier ?? seedCase.verifier,
  });
  for (const action of seedCase.actions) kernel.apply(action);
  if (seedCase.breakIn) kernel.breakIn();
  const state = kernel.state;
  const crash = state.crash;
  const special = state.pool.special[0];
  const page = state.pool.pages[0];
  const hangThread = state.threads.find((t) => t.address === state.hang?.thread);
  const fill: Record<string, string> = {
    guard: special ? (BigInt(`0x${special.page}`) + 0x1000n).toString(16) : '0',
    page: page?.address ?? '0',
    cxr: crash?.context?.address ?? '0',
    r8: crash?.context?.registers.r8 ?? '0',
    thread: hangThread?.address ?? crash?.thread ?? '0',
    miniport: state.miniports[0]?.handle ?? '0',
    none: kernel.render('!for_each_module s -a @#Base @#End "None"').split(/\s+/)[0] ?? '0',
    waitret: kernel.render(`kn`, { processor: 0, source: 'dump', cxr: null }) ? waitReturn(kernel) : '0',
  };
  const commands = seedCase.commands.map((c) =>
    c.replace(/\{(\w+)\}/g, (_, key: string) => fill[key] ?? '0'),
  );
  const context: RenderContext =
    seedCase.source === 'dump'
      ? { processor: kernel.promptProcessor(), source: 'dump', dumpFile: 'MEMORY.DMP', cxr: null }
      : { processor: kernel.promptProcessor(), source: 'live', cxr: null };
  return { kernel, context, commands };
}

/** The return address the seed runs `.fnent` on: the frame after KeWaitForSingleObject of the hung thread. */
function waitReturn(kernel: Kernel): string {
  const state = kernel.state;
  const thread = state.hang?.thread;
  if (!thread) return '0';
  const lines = kernel.render(`!thread ${thread}`).split('\n');
  const row = lines.find((l) => l.endsWith('nt!KeWaitForSingleObject+0x19f'));
  return row?.split(/\s+/)[1] ?? '0';
}

/** Renders every command of a case, as a transcript of (command, text). */
export function renderCase(seedCase: SeedCase): { command: string; text: string }[] {
  const built = buildCase(seedCase);
  let context = built.context;
  return built.commands.map((command) => {
    const rendered = built.kernel.renderCommand(command, context);
    context = rendered.context;
    return { command, text: rendered.text };
  });
}
