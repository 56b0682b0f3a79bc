/**
 * Every single-command parser by kind: what `driverlab parse <kind>` and `parse auto` dispatch to.
 */
import type * as z from 'zod';
import { AnalyzeResult, parseAnalyze } from './analyze.js';
import { BcdDbgSettingsResult, BcdEnumResult, parseBcdDbgSettings, parseBcdEnum } from './bcdedit.js';
import { BugcheckBannerResult, parseBugcheckBanner } from './bugcheck.js';
import { DwordsResult, parseDwords } from './dwords.js';
import { ParseError } from './errors.js';
import { EventResult, parseEvent } from './event.js';
import { FltmcFiltersResult, FltmcInstancesResult, parseFltmcFilters, parseFltmcInstances } from './fltmc.js';
import { IrpResult, parseIrp } from './irp.js';
import { LmResult, parseLm } from './lm.js';
import { LocksResult, parseLocks } from './locks.js';
import { MiniportResult, PendingNblsResult, parseMiniport, parsePendingNbls } from './ndiskd.js';
import { normalize } from './normalize.js';
import { PoolResult, parsePool } from './pool.js';
import { PoolUsedResult, parsePoolUsed } from './poolused.js';
import { PteResult, parsePte } from './pte.js';
import { parseRegisters, RegistersResult } from './registers.js';
import { parseStack, StackResult } from './stack.js';
import { looksLocalized, Reader } from './text.js';
import { parseThread, ThreadResult } from './thread.js';
import { parseVerifier, VerifierResult } from './verifier.js';
import { IrpLogResult, parseVerifierIrpLog } from './verifier-irplog.js';
import { parseVerifierQuery, VerifierQueryResult } from './verifier-query.js';
import { parseVm, VmResult } from './vm.js';
import { parseVssadminWriters, VssWritersResult } from './vssadmin.js';

export interface ParserEntry<T = unknown> {
  /** Text in, zod-validated value out; throws ParseError when the text cannot be read. */
  parse(text: string): T;
  /** The same value without the schema pass (for streaming, see built.ts); throws ParseError too. */
  read(text: string): T;
  schema: z.ZodType<T>;
  /** One line for `driverlab parse --help`. */
  description: string;
}

/**
 * A parser behind the shared normalisation (normalize.ts): it reads the text as printed, and a
 * line number in its error is the line of the text as given. `withCommand`: the typed command is
 * part of the output (`!irp <address>` names the IRP no other line names).
 */
/** What each kind's refusal asks for ("give it the complete, English output of …"). */
const COMMAND_OF: Record<string, string> = {
  analyze: '!analyze -v',
  'bcdedit-dbgsettings': 'bcdedit /dbgsettings',
  'bcdedit-enum': 'bcdedit /enum',
  'bugcheck-banner': 'the kd bug check banner (or .bugcheck)',
  dwords: 'dd (or dc)',
  event: 'the event (text, Event Viewer copy, CSV or JSON)',
  'fltmc-filters': 'fltmc filters',
  'fltmc-instances': 'fltmc instances',
  irp: '!irp <address>',
  lm: 'lm',
  locks: '!locks',
  miniport: '!ndiskd.miniport <handle>',
  pendingnbls: '!ndiskd.pendingnbls',
  pool: '!pool <address>',
  poolused: '!poolused',
  pte: '!pte <address>',
  registers: 'r (or .cxr)',
  stack: 'k (or kb, kn, kp, kv, kc)',
  thread: '!thread',
  verifier: '!verifier',
  'verifier-irplog': '!verifier 100',
  'verifier-query': 'verifier /querysettings',
  vm: '!vm',
  'vssadmin-writers': 'vssadmin list writers',
};

function entry<T>(
  kind: string,
  read: (text: string) => T,
  schema: z.ZodType<T>,
  description: string,
  withCommand = false,
): ParserEntry<T> {
  const readText = (text: string) => {
    const n = normalize(text);
    // Localized output is refused as a whole: half of it read in English terms is a wrong value.
    if (looksLocalized(n.text)) {
      const first = n.text.split('\n').findIndex((l) => l.trim() !== '');
      throw new Reader(kind, COMMAND_OF[kind] ?? kind, n.text).fail(
        'its labels are not the English ones the parser reads',
        first === -1
          ? undefined
          : { text: n.text.split('\n')[first] as string, no: n.origin[first] ?? first + 1 },
      );
    }
    const input = withCommand && n.command !== null ? `${n.command}\n${n.text}` : n.text;
    const shift = withCommand && n.command !== null ? 1 : 0;
    try {
      return read(input);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      throw error.withLine((line) => {
        if (line <= shift) return n.commandLine ?? line;
        return n.origin[line - 1 - shift] ?? line;
      });
    }
  };
  return { parse: (text) => schema.parse(readText(text)), read: readText, schema, description };
}

export const commandParsers = {
  analyze: entry(
    'analyze',
    parseAnalyze,
    AnalyzeResult,
    '!analyze -v: bug check code, name, arguments, culprit, STACK_TEXT',
  ),
  stack: entry(
    'stack',
    parseStack,
    StackResult,
    'k, kb, kn, kp, kv, kc or a STACK_TEXT block (64- and 32-bit): frames',
  ),
  pool: entry('pool', parsePool, PoolResult, '!pool: page, region, blocks, corruption'),
  pte: entry('pte', parsePte, PteResult, '!pte: PXE/PPE/PDE/PTE address, contents, pfn, flags, valid'),
  thread: entry('thread', parseThread, ThreadResult, '!thread: thread, cid, process, IRP list, stack'),
  irp: entry(
    'irp',
    parseIrp,
    IrpResult,
    '!irp: stack count, current location, visible stack locations',
    true,
  ),
  verifier: entry(
    'verifier',
    parseVerifier,
    VerifierResult,
    '!verifier (flag table): verify level, enabled options, statistics',
  ),
  'verifier-irplog': entry(
    'verifier-irplog',
    parseVerifierIrpLog,
    IrpLogResult,
    '!verifier 100: IRP log entries with IRQL, APC-disable counts, stacks',
  ),
  'verifier-query': entry(
    'verifier-query',
    parseVerifierQuery,
    VerifierQueryResult,
    'verifier /querysettings or /query: flags, options, drivers',
  ),
  vm: entry('vm', parseVm, VmResult, '!vm: memory counters, page files, commit charge and commit failures'),
  locks: entry(
    'locks',
    parseLocks,
    LocksResult,
    '!locks: ERESOURCE locks, mode, owners (with the Actual Thread correction)',
  ),
  lm: entry('lm', parseLm, LmResult, 'lm: loaded modules (start, end, name, symbols) and unloaded modules'),
  poolused: entry('poolused', parsePoolUsed, PoolUsedResult, '!poolused: allocations and bytes per pool tag'),
  pendingnbls: entry(
    'pendingnbls',
    parsePendingNbls,
    PendingNblsResult,
    '!ndiskd.pendingnbls: pending NBLs and who holds them',
  ),
  miniport: entry(
    'miniport',
    parseMiniport,
    MiniportResult,
    '!ndiskd.miniport: a miniport state, PnP state, flags',
  ),
  registers: entry(
    'registers',
    parseRegisters,
    RegistersResult,
    'r or .cxr: the general-purpose registers (x64 or x86) by name',
  ),
  dwords: entry(
    'dwords',
    parseDwords,
    DwordsResult,
    'dd or dc: memory rows of double words with their addresses',
  ),
  'bugcheck-banner': entry(
    'bugcheck-banner',
    parseBugcheckBanner,
    BugcheckBannerResult,
    '*** Fatal System Error banner, a break-in, or .bugcheck: code and parameters',
  ),
  'fltmc-filters': entry(
    'fltmc-filters',
    parseFltmcFilters,
    FltmcFiltersResult,
    'fltmc filters: name, instances, altitude, frame',
  ),
  'fltmc-instances': entry(
    'fltmc-instances',
    parseFltmcInstances,
    FltmcInstancesResult,
    'fltmc instances: filter, volume, altitude, instance, frame',
  ),
  'vssadmin-writers': entry(
    'vssadmin-writers',
    parseVssadminWriters,
    VssWritersResult,
    'vssadmin list writers: name, ids, state, last error',
  ),
  'bcdedit-dbgsettings': entry(
    'bcdedit-dbgsettings',
    parseBcdDbgSettings,
    BcdDbgSettingsResult,
    'bcdedit /dbgsettings: debugtype, hostip, port, key, dhcp, busparams',
  ),
  'bcdedit-enum': entry(
    'bcdedit-enum',
    parseBcdEnum,
    BcdEnumResult,
    'bcdedit /enum: boot entries with identifier and elements',
  ),
  event: entry(
    'event',
    parseEvent,
    EventResult,
    'events 129, 153, 8193/8194, 1001 and others as text, Event Viewer copy, CSV or JSON',
  ),
} satisfies Record<string, ParserEntry<unknown>>;

export type CommandKind = keyof typeof commandParsers;

/** Kinds of command lines seen before (a transcript repeats the same few commands; bounded). */
const KIND_OF = new Map<string, CommandKind | null>();

/** The kind that parses the output of a debugger command line, or null for commands without one. */
export function kindOfCommand(command: string): CommandKind | null {
  const known = KIND_OF.get(command);
  if (known !== undefined) return known;
  const kind = readKind(command);
  if (KIND_OF.size >= 1024) KIND_OF.clear();
  KIND_OF.set(command, kind);
  return kind;
}

function readKind(command: string): CommandKind | null {
  // A compound line (`.process /r /p …; .thread … ; kb`) prints what its last command prints last:
  // the context commands before it print one-line notices the parsers see through.
  const parts = command
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length > 1 && !command.includes('"')) return readKind(parts[parts.length - 1] as string);
  const c = command.trim();
  const word = (c.split(/\s+/)[0] ?? '').toLowerCase();
  if (/^!analyze$/.test(word)) return 'analyze';
  if (/^k[bcdnpv]*l?(?:\d+)?$/i.test(word) && word !== 'kd') return 'stack';
  if (word === '!pool') return 'pool';
  if (word === '!pte') return 'pte';
  if (word === '!thread') return 'thread';
  if (word === '!irp') return 'irp';
  if (word === '!verifier') {
    const flag = c.split(/\s+/)[1];
    return flag !== undefined && /^(?:0x)?100$/i.test(flag) ? 'verifier-irplog' : 'verifier';
  }
  if (word === '!vm') return 'vm';
  if (word === '!locks' || word === '!kdext.locks') return 'locks';
  if (/^lm[a-z]*$/i.test(word)) return 'lm';
  if (word === '!poolused') return 'poolused';
  if (word === '!ndiskd.pendingnbls' || word === '!pendingnbls') return 'pendingnbls';
  if (word === '!ndiskd.miniport' || word === '!miniport') return 'miniport';
  if (word === '.bugcheck') return 'bugcheck-banner';
  // `r` shows registers unless it sets one (`r rax=0`); `.cxr` with no context only resets it.
  if (word === 'r' && !c.includes('=')) return 'registers';
  if ((word === '.cxr' || word === '.trap') && c.split(/\s+/).length > 1) return 'registers';
  if (word === 'dd' || word === 'dc') return 'dwords';
  return null;
}
