/**
 * The parsers' public surface: every kind in one registry (`parsers`), the result schemas, the
 * streaming entry points, and ParseError.
 */
import { parseTranscript, TranscriptResult } from './auto.js';
import { commandParsers, type ParserEntry } from './registry.js';

export const parsers = {
  ...commandParsers,
  auto: {
    parse: parseTranscript,
    read: parseTranscript,
    schema: TranscriptResult,
    description: 'a whole kd transcript: split at its prompts, each command parsed by its kind',
  } satisfies ParserEntry<TranscriptResult>,
};

export type Kind = keyof typeof parsers;

/** The kinds, in the order `driverlab parse --help` lists them. */
export const kinds = Object.keys(parsers) as Kind[];

/** True when the text names a parser kind. */
export function isKind(text: string): text is Kind {
  return Object.hasOwn(parsers, text);
}

export { AnalyzeResult, Bugcheck } from './analyze.js';
export {
  parseCommandOutput,
  parseTranscript,
  parseTranscriptStream,
  TranscriptCommand,
  TranscriptResult,
} from './auto.js';
export { BcdDbgSettingsResult, BcdEnumResult } from './bcdedit.js';
export { BugcheckBannerResult } from './bugcheck.js';
export { decodeBytes } from './decode.js';
export { DwordsResult } from './dwords.js';
export { ParseError } from './errors.js';
export { EventResult, WindowsEvent } from './event.js';
export { FltmcFiltersResult, FltmcInstancesResult } from './fltmc.js';
export { Frame, parseCallSite } from './frame.js';
export { Hex } from './hex.js';
export { IrpResult } from './irp.js';
export type { StreamOptions, TextSource } from './lines.js';
export { LmResult } from './lm.js';
export { LocksResult } from './locks.js';
export { MiniportResult, PendingNblsResult } from './ndiskd.js';
export { PoolResult } from './pool.js';
export { PoolUsedResult } from './poolused.js';
export { PteResult } from './pte.js';
export { RegistersResult } from './registers.js';
export { type CommandKind, kindOfCommand } from './registry.js';
export { StackResult } from './stack.js';
export { ThreadResult } from './thread.js';
export { VerifierResult } from './verifier.js';
export { IrpLogEntry, IrpLogResult, parseIrpLogStream } from './verifier-irplog.js';
export { VerifierQueryResult } from './verifier-query.js';
export { VmResult } from './vm.js';
export { VssWritersResult } from './vssadmin.js';
