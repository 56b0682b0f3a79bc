/**
 * `!analyze -v`, `!analyze` and `.bugcheck`, in the layout of real captures (banner, title
 * `NAME (code)`, description, Arguments, Debugging Details, KEY_VALUES_STRING, BUGCHECK_*,
 * PROCESS_NAME, STACK_TEXT, SYMBOL_NAME, MODULE_NAME, IMAGE_NAME, FAILURE_BUCKET_ID, …).
 * A target that has not bugchecked reads a zero KiBugCheckData, as KD does ("Unknown bugcheck code (0)").
 */
import { addressSpace, poolRegionOf } from '../address-space.js';
import { argumentLines, bugcheckText } from '../bugchecks.js';
import { addr, bare, hash64, hex16, tick } from '../hex.js';
import { kdProductName, osVersion } from '../os.js';
import type { KernelState } from '../state.js';
import { moduleAt, moduleNamed, siteAddress } from '../symbols.js';
import { currentThread, type RenderContext } from './context.js';
import { renderRegisters } from './memory.js';
import { guidOf, rows, stackText } from './stack.js';

const BANNER = [
  '*******************************************************************************',
  '*                                                                             *',
  '*                        Bugcheck Analysis                                    *',
  '*                                                                             *',
  '*******************************************************************************',
];

interface Culprit {
  /** The faulting instruction and its offset in the module's image. */
  ip: { address: bigint; rva: bigint } | null;
  symbol: string;
  module: string;
  image: string;
  offset: string;
  version: string | null;
  bucket: string;
}

function culpritOf(state: KernelState): Culprit | null {
  const crash = state.crash;
  if (!crash) return null;
  const site = crash.culprit;
  const at = siteAddress(state, site);
  const module =
    ('raw' in site ? moduleAt(state, at) : moduleNamed(state, site.module)) ?? moduleAt(state, at);
  if (!module || 'raw' in site) return null;
  const fn = site.fn;
  const offset = bare(site.offset);
  const symbol = fn ? `${module.name}!${fn}+${offset}` : `${module.name}+${offset}`;
  const where = fn ? `${module.name}!${fn}` : `${module.name}!unknown_function`;
  const bucket = (() => {
    switch (crash.code) {
      case 0xd6:
        return `AV_VRF_W_${where}`;
      case 0x19:
        return `0x19_${bare(addr(crash.args[0]))}_${where}`;
      case 0xe2:
        return 'MANUALLY_INITIATED_CRASH';
      case 0x80:
        return 'NMI_HARDWARE_FAILURE';
      default:
        return `AV_${where}`;
    }
  })();
  return {
    ip: { address: at, rva: at - addr(module.base) },
    symbol,
    module: module.name,
    image: module.image,
    offset,
    version: module.symbols === 'none' ? module.version : null,
    bucket,
  };
}

function regionOf(state: KernelState, address: string): string {
  return poolRegionOf(addressSpace(state.boot), addr(address)) ?? '';
}

function header(state: KernelState): string[] {
  const code = state.crash?.code ?? 0;
  const args = state.crash ? state.crash.args.map(addr) : [0n, 0n, 0n, 0n];
  const text = bugcheckText(code);
  const title = state.crash ? `${text.name} (${bare(code)})` : 'Unknown bugcheck code (0)';
  return [...BANNER, '', title, ...text.description, 'Arguments:', ...argumentLines(code, args), ''];
}

function processName(state: KernelState): string {
  const thread = currentThread(state);
  const process = state.processes.find((p) => p.address === thread?.process);
  return process?.image ?? 'System';
}

function details(state: KernelState): string[] {
  const args = state.crash ? state.crash.args.map(addr) : [0n, 0n, 0n, 0n];
  return [
    `BUGCHECK_CODE:  ${bare(state.crash?.code ?? 0)}`,
    '',
    ...args.flatMap((a, i) => [`BUGCHECK_P${i + 1}: ${bare(a)}`, '']),
  ];
}

function culpritLines(culprit: Culprit): string[] {
  return [
    `SYMBOL_NAME:  ${culprit.symbol}`,
    '',
    `MODULE_NAME: ${culprit.module}`,
    '',
    `IMAGE_NAME:  ${culprit.image}`,
    '',
  ];
}

/** The version lines of the kd the simulated debugger claims (10.0.29617.1000, lab/sim/kd/banners.ts). */
const ANALYSIS_VERSION = [
  ['Analysis.Version.DbgEng', '10.0.29617.1000'],
  ['Analysis.Version.Description', '10.2604.29.1 amd64fre'],
  ['Analysis.Version.Ext', '1.2604.29.1'],
] as const;

/**
 * What a Hyper-V guest's analysis shows of its hypervisor, as a current kd printed it for a guest
 * (lab/kd/replay/corpus/live-bugcheck-0x50-win11-26100.txt).
 */
const HYPERVISOR: readonly (readonly [string, string])[] = [
  ['Hypervisor.Enlightenments.ValueHex', '0x6010fbe4'],
  ['Hypervisor.Flags.AnyHypervisorPresent', '1'],
  ['Hypervisor.Flags.ApicEnlightened', '0'],
  ['Hypervisor.Flags.ApicVirtualizationAvailable', '0'],
  ['Hypervisor.Flags.AsyncMemoryHint', '0'],
  ['Hypervisor.Flags.CoreSchedulerRequested', '0'],
  ['Hypervisor.Flags.CpuManager', '0'],
  ['Hypervisor.Flags.DeprecateAutoEoi', '1'],
  ['Hypervisor.Flags.DynamicCpuDisabled', '1'],
  ['Hypervisor.Flags.Epf', '0'],
  ['Hypervisor.Flags.ExtendedProcessorMasks', '1'],
  ['Hypervisor.Flags.HardwareMbecAvailable', '1'],
  ['Hypervisor.Flags.MaxBankNumber', '0'],
  ['Hypervisor.Flags.MemoryZeroingControl', '0'],
  ['Hypervisor.Flags.NoExtendedRangeFlush', '0'],
  ['Hypervisor.Flags.NoNonArchCoreSharing', '0'],
  ['Hypervisor.Flags.Phase0InitDone', '1'],
  ['Hypervisor.Flags.PowerSchedulerQos', '0'],
  ['Hypervisor.Flags.RootScheduler', '0'],
  ['Hypervisor.Flags.SynicAvailable', '1'],
  ['Hypervisor.Flags.UseQpcBias', '0'],
  ['Hypervisor.Flags.Value', '659708'],
  ['Hypervisor.Flags.ValueHex', '0xa10fc'],
  ['Hypervisor.Flags.VpAssistPage', '1'],
  ['Hypervisor.Flags.VsmAvailable', '1'],
  ['Hypervisor.RootFlags.AccessStats', '0'],
  ['Hypervisor.RootFlags.CrashdumpEnlightened', '0'],
  ['Hypervisor.RootFlags.CreateVirtualProcessor', '0'],
  ['Hypervisor.RootFlags.DisableHyperthreading', '0'],
  ['Hypervisor.RootFlags.HostTimelineSync', '0'],
  ['Hypervisor.RootFlags.HypervisorDebuggingEnabled', '0'],
  ['Hypervisor.RootFlags.IsHyperV', '0'],
  ['Hypervisor.RootFlags.LivedumpEnlightened', '0'],
  ['Hypervisor.RootFlags.MapDeviceInterrupt', '0'],
  ['Hypervisor.RootFlags.MceEnlightened', '0'],
  ['Hypervisor.RootFlags.Nested', '0'],
  ['Hypervisor.RootFlags.StartLogicalProcessor', '0'],
  ['Hypervisor.RootFlags.Value', '0'],
  ['Hypervisor.RootFlags.ValueHex', '0x0'],
];

/**
 * KEY_VALUES_STRING as a current kd prints it (keys in order: Analysis.*, Bugcheck.Code.*,
 * Dump.Attributes.* for a triage dump, Failure.*, Hypervisor.* on a Hyper-V guest, WER.OS.*). The
 * Analysis.* measurements are stable per bucket, in the ranges the captures show.
 */
function keyValues(state: KernelState, culprit: Culprit, context: RenderContext): string[] {
  const crash = state.crash;
  const code = `0x${bare(crash?.code ?? 0)}`;
  const mini = isMinidump(context);
  const modern = state.boot.os.build >= 10240;
  const measure = (name: string, range: number, floor: number) =>
    String(floor + Number(hash64('analysis', name, culprit.bucket) % BigInt(range)));
  const pairs: [string, string][] = [];
  // An access violation says what kind first (a live 0x50 on 26100: "AV.Type  Read").
  if (crash?.access) pairs.push(['AV.Type', crash.access.kind === 'WRITE' ? 'Write' : 'Read']);
  pairs.push(
    ['Analysis.CPU.mSec', measure('cpu', 4000, 1500)],
    ['Analysis.Elapsed.mSec', measure('elapsed', 20000, 8000)],
    ['Analysis.IO.Other.Mb', measure('io-other', 8, 0)],
    ['Analysis.IO.Read.Mb', measure('io-read', 8, 1)],
    ['Analysis.IO.Write.Mb', measure('io-write', 40, 10)],
    ['Analysis.Init.CPU.mSec', measure('init-cpu', 2000, 500)],
    ['Analysis.Init.Elapsed.mSec', measure('init-elapsed', 30000, 15000)],
    ['Analysis.Memory.CommitPeak.Mb', measure('commit', 200, 80)],
    ...ANALYSIS_VERSION.map(([k, v]): [string, string] => [k, v]),
  );
  // KiBugCheckData is read from a live target and a kernel dump, not from a triage dump.
  if (!mini) pairs.push(['Bugcheck.Code.KiBugCheckData', code]);
  pairs.push(['Bugcheck.Code.LegacyAPI', code], ['Bugcheck.Code.TargetModel', code]);
  if (mini)
    pairs.push(['Dump.Attributes.AsUlong', '0x8'], ['Dump.Attributes.KernelGeneratedTriageDump', '1']);
  pairs.push(['Failure.Bucket', culprit.bucket]);
  if (crash?.access && culprit.ip) {
    pairs.push(
      ['Failure.Exception.IP.Address', `0x${bare(culprit.ip.address)}`],
      ['Failure.Exception.IP.Module', culprit.module],
      ['Failure.Exception.IP.Offset', `0x${bare(culprit.ip.rva)}`],
    );
  }
  pairs.push(['Failure.Hash', guidOf(culprit.bucket)]);
  // The hypervisor's and the secure kernel's keys come from kernel globals Windows 10 has.
  if (modern) {
    pairs.push(...HYPERVISOR.map(([k, v]): [string, string] => [k, v]));
    pairs.push(['SecureKernel.HalpHvciEnabled', '0']);
  }
  pairs.push(
    ['WER.OS.Branch', osVersion(state.boot.os.build).lab],
    ['WER.OS.Version', osVersion(state.boot.os.build).version],
  );
  return pairs.flatMap(([key, value]) => [`    Key  : ${key}`, `    Value: ${value}`, '']);
}

function isMinidump(context: RenderContext): boolean {
  return (
    context.source === 'dump' && context.dumpFile !== undefined && !/^memory\.dmp$/i.test(context.dumpFile)
  );
}

/** `!analyze -v`. */
export function renderAnalyzeVerbose(state: KernelState, context: RenderContext): string {
  const crash = state.crash;
  const culprit = culpritOf(state);
  const out = [...header(state), 'Debugging Details:', '------------------', '', ''];
  if (culprit) out.push('KEY_VALUES_STRING: 1', '', ...keyValues(state, culprit, context), '');
  out.push(...details(state));
  const dump = context.source === 'dump';
  const mini = isMinidump(context);
  const modern = state.boot.os.build >= 10240;
  if (dump && context.dumpFile) out.push(`FILE_IN_CAB:  ${context.dumpFile}`, '');
  // A Windows 10 Hyper-V guest's kernel dump names its hypervisor (a 19041 guest's MEMORY.DMP).
  if (dump && !mini && modern) out.push('VIRTUAL_MACHINE:  HyperV', '');
  if (mini) out.push('DUMP_FILE_ATTRIBUTES: 0x8', '  Kernel Generated Triage Dump', '');
  const faulting = currentThread(state);
  if (faulting) out.push(`FAULTING_THREAD:  ${bare(addr(faulting.address))}`, '');
  // The black boxes (!blackboxbsd, …) are data Windows 10 keeps for a dump.
  if (dump && modern) {
    out.push(
      'BLACKBOXBSD: 1 (!blackboxbsd)',
      '',
      'BLACKBOXNTFS: 1 (!blackboxntfs)',
      '',
      'BLACKBOXPNP: 1 (!blackboxpnp)',
      '',
      'BLACKBOXWINLOGON: 1 (!blackboxwinlogon) (!blackboxwinlogonnotify)',
      '',
      'CUSTOMER_CRASH_COUNT:  1',
      '',
    );
  }
  if (crash?.access) {
    const region = regionOf(state, crash.access.address);
    out.push(`${crash.access.kind}_ADDRESS:  ${crash.access.address}${region ? ` ${region}` : ' '}`, '');
  }
  out.push(`PROCESS_NAME:  ${processName(state)}`, '');
  if (crash?.context) {
    out.push(
      `CONTEXT:  ${crash.context.address} -- (.cxr 0x${crash.context.address};r)`,
      renderRegisters(state, crash.context.registers),
      'Resetting default scope',
      '',
    );
  }
  const thread = currentThread(state);
  if (thread) out.push('STACK_TEXT:  ', ...stackText(rows(state, thread, context)), '', '');
  if (culprit) {
    out.push(...culpritLines(culprit));
    if (culprit.version) out.push(`IMAGE_VERSION:  ${culprit.version}`, '');
    out.push(
      `STACK_COMMAND:  ${crash?.context ? '.cxr; .ecxr ; kb' : 'kb'}`,
      '',
      `BUCKET_ID_FUNC_OFFSET:  ${culprit.offset}`,
      '',
      `FAILURE_BUCKET_ID:  ${culprit.bucket}`,
      '',
    );
  }
  out.push(
    `OS_VERSION:  ${osVersion(state.boot.os.build).version}`,
    '',
    `BUILDLAB_STR:  ${osVersion(state.boot.os.build).lab}`,
    '',
    'OSPLATFORM_TYPE:  x64',
    '',
    `OSNAME:  ${kdProductName(state.boot.os.build)}`,
    '',
  );
  if (culprit) out.push(`FAILURE_ID_HASH:  ${guidOf(culprit.bucket)}`, '');
  out.push('Followup:     MachineOwner', '---------', '');
  return out.join('\n');
}

/** `!analyze` without -v: the same header, the short Debugging Details. */
export function renderAnalyze(state: KernelState): string {
  const culprit = culpritOf(state);
  const out = [...header(state), 'Debugging Details:', '------------------', '', '', ...details(state)];
  out.push(`PROCESS_NAME:  ${processName(state)}`, '');
  if (culprit)
    out.push(
      ...culpritLines(culprit),
      `FAILURE_BUCKET_ID:  ${culprit.bucket}`,
      '',
      `FAILURE_ID_HASH:  ${guidOf(culprit.bucket)}`,
      '',
    );
  out.push('Followup:     MachineOwner', '---------', '');
  return out.join('\n');
}

/** `.bugcheck`. */
export function renderBugcheck(state: KernelState): string {
  const code = state.crash?.code ?? 0;
  const args = state.crash ? state.crash.args.map(addr) : [0n, 0n, 0n, 0n];
  return [
    `Bugcheck code ${hex16(BigInt(code)).slice(8).toUpperCase()}`,
    `Arguments ${args.map(tick).join(' ')}`,
  ].join('\n');
}
