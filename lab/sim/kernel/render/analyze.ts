/**
 * `!analyze -v`, `!analyze` and `.bugcheck`, in the layout of real captures (banner, title
 * `NAME (code)`, description, Arguments, Debugging Details, KEY_VALUES_STRING, BUGCHECK_*,
 * PROCESS_NAME, STACK_TEXT, SYMBOL_NAME, MODULE_NAME, IMAGE_NAME, FAILURE_BUCKET_ID, …).
 * A target that has not bugchecked reads a zero KiBugCheckData, as KD does ("Unknown bugcheck code (0)").
 */
import { argumentLines, bugcheckText } from '../bugchecks.js';
import { addr, bare, hex16, tick } from '../hex.js';
import { osVersion } from '../os.js';
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
    symbol,
    module: module.name,
    image: module.image,
    offset,
    version: module.symbols === 'none' ? module.version : null,
    bucket,
  };
}

function regionOf(address: string): string {
  const a = addr(address);
  if (a >= 0xfffff98000000000n && a < 0xfffffa8000000000n) return 'Special pool';
  if (a >= 0xfffffa8000000000n) return 'Nonpaged pool';
  if (a >= 0xfffff8a000000000n && a < 0xfffff98000000000n) return 'Paged pool';
  return '';
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

/** `!analyze -v`. */
export function renderAnalyzeVerbose(state: KernelState, context: RenderContext): string {
  const crash = state.crash;
  const culprit = culpritOf(state);
  const out = [...header(state), 'Debugging Details:', '------------------', '', ''];
  if (culprit) {
    const hash = guidOf(culprit.bucket);
    out.push(
      'KEY_VALUES_STRING: 1',
      '',
      '    Key  : Bugcheck.Code.LegacyAPI',
      `    Value: 0x${bare(crash?.code ?? 0)}`,
      '',
      '    Key  : Failure.Bucket',
      `    Value: ${culprit.bucket}`,
      '',
      '    Key  : Failure.Hash',
      `    Value: ${hash}`,
      '',
      '    Key  : WER.OS.Version',
      `    Value: ${osVersion(state.boot.os.build).version}`,
      '',
      '',
    );
  }
  out.push(...details(state));
  if (context.source === 'dump' && context.dumpFile) out.push(`FILE_IN_CAB:  ${context.dumpFile}`, '');
  if (crash?.access) {
    const region = regionOf(crash.access.address);
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
    `OSNAME:  ${state.boot.os.product}`,
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
