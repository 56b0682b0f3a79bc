/**
 * `!verifier 100`: Driver Verifier's IRP log, one entry per IoAllocateIrp / IoCompleteRequest /
 * IoCancelIrp record with the thread, IRQL, APC-disable counts and the caller's stack.
 * The log can be tens of megabytes, so the same line scanner also serves a streaming entry point.
 */
import { z } from 'zod';
import { ParseError, excerptOf } from './errors.js';
import { type CallSite, Frame, parseCallSite } from './frame.js';
import { Hex, hexOrNull } from './hex.js';
import { LineSplitter, piecesOf, type StreamOptions, type TextSource } from './lines.js';
import { cleanLine, filled, isNoise, prepare, promptCommand, Reader } from './text.js';

export const IrpLogEntry = z.object({
  irp: Hex,
  thread: Hex,
  irql: z.number().int(),
  kernelApcDisable: z.number().int(),
  specialApcDisable: z.number().int(),
  stack: z.array(Frame),
});
export type IrpLogEntry = z.infer<typeof IrpLogEntry>;

export const IrpLogResult = z.object({
  entries: z.array(IrpLogEntry),
  truncated: z.boolean(),
});
export type IrpLogResult = z.infer<typeof IrpLogResult>;

const HEADER =
  /^IRP ([0-9a-fA-F`]+), Thread ([0-9a-fA-F`]+), IRQL = (-?\d+), KernelApcDisable = (-?\d+), SpecialApcDisable = (-?\d+)$/;
const LOWER_HEX = /^[0-9a-f]+$/;
const COMMAND = '!verifier 100';

/** Reads a log line by line; `push` returns a finished entry when a new one begins. */
export class IrpLogScanner {
  private current: IrpLogEntry | null = null;
  private pendingBad: { text: string; no: number } | null = null;
  private started = false;
  /** The last line could not be read and was dropped as cut off. */
  truncated = false;

  constructor(private readonly source = '') {}

  /** Feeds one line (already without its line ending); returns the entry the line completed, if any. */
  push(raw: string, no: number): IrpLogEntry | null {
    let text = raw;
    if (text.indexOf('\u00a0') !== -1 || text.indexOf('\\') !== -1 || text.indexOf('\u200b') !== -1) text = cleanLine(text);
    text = text.trim();
    if (text === '') return null;
    if (this.pendingBad !== null) throw this.error('a line in the IRP log is neither an entry header nor a stack frame', this.pendingBad);
    if (text.charCodeAt(0) === 73 /* I */ && text.startsWith('IRP ')) {
      const h = HEADER.exec(text);
      if (!h) return this.bad(text, no);
      const done = this.current;
      this.current = {
        irp: hexOrNull(h[1] ?? '') as string,
        thread: hexOrNull(h[2] ?? '') as string,
        irql: Number(h[3]),
        kernelApcDisable: Number(h[4]),
        specialApcDisable: Number(h[5]),
        stack: [],
      };
      this.started = true;
      return done;
    }
    if (this.current !== null) {
      const frame = this.frameLine(text);
      if (frame !== null) {
        this.current.stack.push(frame);
        return null;
      }
    }
    if (!this.started && (text.startsWith('#') || promptCommand(text) !== null || /^(?:Recent|Parsing|Searching)/.test(text))) return null;
    if (isNoise(text)) return null;
    return this.bad(text, no);
  }

  /** Ends the input; returns the last entry. */
  end(): IrpLogEntry | null {
    if (this.pendingBad !== null) {
      if (!this.started) throw this.error('it holds no IRP log entry ("IRP <address>, Thread <address>, IRQL = …")', this.pendingBad);
      this.truncated = true;
      this.pendingBad = null;
    }
    if (!this.started) throw this.error('it holds no IRP log entry ("IRP <address>, Thread <address>, IRQL = …")', null);
    const done = this.current;
    this.current = null;
    return done;
  }

  /**
   * Call sites repeat throughout a log (the same drivers, the same paths), so each distinct call
   * site text is read once; the cache is bounded to keep memory flat.
   */
  private readonly sites = new Map<string, CallSite | null>();

  /** `fffff80003573a68 nt!IovAllocateIrp+0x28` → a frame with the code address; null if not one. */
  private frameLine(text: string): Frame | null {
    const space = text.indexOf(' ');
    if (space < 8 || space > 17) return null;
    let address = text.slice(0, space);
    if (!LOWER_HEX.test(address)) {
      const h = hexOrNull(address);
      if (h === null) return null;
      address = h.slice(2);
    }
    const siteText = text.slice(space + 1);
    let site = this.sites.get(siteText);
    if (site === undefined) {
      site = callSiteOf(siteText);
      if (this.sites.size >= 8192) this.sites.clear();
      this.sites.set(siteText, site);
    }
    if (site === null) return null;
    return { module: site.module, function: site.function, offset: site.offset, address: `0x${address}` };
  }

  private bad(text: string, no: number): null {
    this.pendingBad = { text, no };
    return null;
  }

  private error(reason: string, at: { text: string; no: number } | null): ParseError {
    const reader = new Reader('verifier-irplog', COMMAND, this.source);
    if (this.source !== '') return reader.fail(reason, at ?? undefined);
    return new ParseError('verifier-irplog', COMMAND, { reason, line: at?.no ?? null, excerpt: excerptOf(at?.text ?? '') });
  }
}

/** The call site of a log frame line: fast path for `module!function+0x…` and `module +0x…`. */
function callSiteOf(site: string): CallSite | null {
  const plus = site.lastIndexOf('+0x');
  if (plus > 0 && site.indexOf('(') === -1 && site.indexOf('`') === -1 && site.indexOf('[') === -1) {
    const offset = site.slice(plus + 1);
    if (LOWER_HEX.test(offset.slice(2))) {
      const bang = site.indexOf('!');
      if (bang > 0 && bang < plus && site.indexOf(' ') === -1) {
        return { module: site.slice(0, bang), function: site.slice(bang + 1, plus), offset };
      }
      const module = site.charCodeAt(plus - 1) === 32 ? site.slice(0, plus - 1) : site.slice(0, plus);
      if (bang === -1 && module !== '' && module.indexOf(' ') === -1) return { module, function: null, offset };
    }
  }
  const slow = parseCallSite(site);
  return slow === null ? null : { module: slow.module, function: slow.function, offset: slow.offset };
}

/** Parses a whole `!verifier 100` log held in memory. */
export function parseVerifierIrpLog(text: string): IrpLogResult {
  const scanner = new IrpLogScanner(text);
  const entries: IrpLogEntry[] = [];
  const lines = prepare(text);
  if (filled(lines).length === 0) throw new Reader('verifier-irplog', COMMAND, text).fail('it is empty');
  for (const line of lines) {
    const done = scanner.push(line.text, line.no);
    if (done) entries.push(done);
  }
  const last = scanner.end();
  if (last) entries.push(last);
  return IrpLogResult.parse({ entries, truncated: scanner.truncated });
}

/**
 * Streams a `!verifier 100` log: yields each entry as soon as the next one begins, so memory
 * holds one entry at a time. Entries are not re-validated with zod here (that would double the
 * cost per entry); they are built only from the patterns above.
 */
export async function* parseIrpLogStream(source: TextSource, options: StreamOptions = {}): AsyncGenerator<IrpLogEntry> {
  const scanner = new IrpLogScanner();
  const splitter = new LineSplitter();
  let no = 0;
  const done: IrpLogEntry[] = [];
  const onLine = (line: string) => {
    no += 1;
    const entry = scanner.push(line, no);
    if (entry) done.push(entry);
  };
  for await (const item of source as AsyncIterable<string | Uint8Array>) {
    for (const piece of options.lines === true ? [item] : piecesOf(item)) {
      splitter.feed(piece, onLine, options.lines === true);
      for (let i = 0; i < done.length; i += 1) yield done[i] as IrpLogEntry;
      done.length = 0;
    }
  }
  splitter.end(onLine);
  for (const entry of done) yield entry;
  const last = scanner.end();
  if (last) yield last;
}
