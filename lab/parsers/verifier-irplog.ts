/**
 * `!verifier 100`: Driver Verifier's IRP log, one entry per IoAllocateIrp / IoCompleteRequest /
 * IoCancelIrp record with the thread, IRQL, APC-disable counts and the caller's stack.
 * The log can be tens of megabytes, so the same line scanner also serves a streaming entry point.
 */
import * as z from 'zod';
import { built } from './built.js';
import { excerptOf, ParseError } from './errors.js';
import { type CallSite, Frame, parseCallSite } from './frame.js';
import { Hex, hexOrNull } from './hex.js';
import { PIECE, piecesOf, type StreamOptions, type TextSource } from './lines.js';
import { cleanLine, filled, isNoise, isPasted, prepare, promptCommand, Reader } from './text.js';

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
/**
 * The line the extension prints before walking a log: the documented Vista-era walk
 * ("# Parsing 00004000 array entries[, searching for address …].") or a current debugger's
 * ("Parsing 0x00010000 log entries, searching for address 0x982a8fe0.", after "Log of recent …
 * operations:" and "There are up to 0x10000 entries in the log."). Both are documented for
 * `!verifier 0x80`'s pool log (lab/parsers/README.md, "What is inferred"); `!verifier 100`'s own
 * header has no published capture.
 */
const LOG_HEADER = /^#\s*Parsing [0-9a-fA-F]+ array entries\b|^Parsing (?:0x)?[0-9a-fA-F]+ log entries\b/;
/** The lines a current debugger prints above the walk line (no value in them). */
const LOG_PREAMBLE =
  /^Log of recent .+ operations:$|^There are up to (?:0x)?[0-9a-fA-F]+ entries in the log\.$/;

/** Reads a log line by line; `push` returns a finished entry when a new one begins. */
export class IrpLogScanner {
  private current: IrpLogEntry | null = null;
  private pendingBad: { text: string; no: number } | null = null;
  private started = false;
  /** The last line could not be read and was dropped as cut off. */
  truncated = false;
  /** The extension's "# Parsing N array entries" line was read: the log was walked (it may be empty). */
  private walked = false;

  constructor(private readonly source = '') {}

  /** Feeds one line (already without its line ending); returns the entry the line completed, if any. */
  push(raw: string, no: number): IrpLogEntry | null {
    let text = raw;
    if (text.indexOf('\u00a0') !== -1 || text.indexOf('\\') !== -1 || text.indexOf('\u200b') !== -1)
      text = cleanLine(text);
    text = text.trim();
    if (text === '') return null;
    if (this.pendingBad !== null)
      throw this.error('a line in the IRP log is neither an entry header nor a stack frame', this.pendingBad);
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
    if (
      !this.started &&
      (text.startsWith('#') ||
        promptCommand(text) !== null ||
        /^(?:Recent|Parsing|Searching)/.test(text) ||
        LOG_PREAMBLE.test(text))
    ) {
      if (LOG_HEADER.test(text)) this.walked = true;
      return null;
    }
    if (isNoise(text)) return null;
    return this.bad(text, no);
  }

  /**
   * The fast path for streamed text: reads the line `text[start, end)` without copying it when it
   * is a plain frame line; anything else goes through `push`. `text` must be a flat string with
   * no no-break spaces, zero-width characters or backslash escapes (the caller checks).
   */
  pushRange(text: string, start: number, end: number, no: number): IrpLogEntry | null {
    let s = start;
    let e = end;
    while (s < e && (text.charCodeAt(s) === 32 || text.charCodeAt(s) === 9)) s += 1;
    while (
      e > s &&
      (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 13 || text.charCodeAt(e - 1) === 9)
    )
      e -= 1;
    if (s === e) return null;
    if (this.current !== null && this.pendingBad === null && text.charCodeAt(s) !== 73) {
      const frame = frameAt(text, s, e);
      if (frame !== null) {
        this.current.stack.push(frame);
        return null;
      }
    }
    return this.push(text.slice(s, e), no);
  }

  /** Ends the input; returns the last entry. */
  end(): IrpLogEntry | null {
    if (this.pendingBad !== null) {
      if (!this.started)
        throw this.error(
          'it holds no IRP log entry ("IRP <address>, Thread <address>, IRQL = …")',
          this.pendingBad,
        );
      this.truncated = true;
      this.pendingBad = null;
    }
    if (!this.started && this.walked) return null;
    if (!this.started)
      throw this.error('it holds no IRP log entry ("IRP <address>, Thread <address>, IRQL = …")', null);
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
    return new ParseError('verifier-irplog', COMMAND, {
      reason,
      line: at?.no ?? null,
      excerpt: excerptOf(at?.text ?? ''),
    });
  }
}

function isLowerHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

/**
 * `text[s, e)` as a plain frame line (`<lowercase hex address> module!function+0xoffset`,
 * `module+0xoffset` or `module +0xoffset`), read in one pass over the characters; null for
 * anything else, which the caller then reads the general way.
 */
function frameAt(text: string, s: number, e: number): Frame | null {
  let sp = s;
  while (sp < e && isLowerHexCode(text.charCodeAt(sp))) sp += 1;
  const width = sp - s;
  if (sp >= e || text.charCodeAt(sp) !== 32 || width < 8 || width > 16) return null;
  const site = sp + 1;
  let bang = -1;
  let plus = -1;
  let space = -1;
  for (let i = site; i < e; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 33 && bang === -1) bang = i;
    else if (c === 43) plus = i;
    else if (c === 32) {
      if (space !== -1) return null;
      space = i;
    } else if (c === 40 || c === 41 || c === 91 || c === 93 || c === 96 || c === 9 || c === 33) return null;
  }
  if (plus <= site || plus + 3 >= e || text.charCodeAt(plus + 1) !== 48 || text.charCodeAt(plus + 2) !== 120)
    return null;
  for (let i = plus + 3; i < e; i += 1) if (!isLowerHexCode(text.charCodeAt(i))) return null;
  const offset = text.slice(plus + 1, e);
  const address = `0x${text.slice(s, sp)}`;
  if (bang !== -1) {
    if (space !== -1 || bang === site || bang > plus) return null;
    return { module: text.slice(site, bang), function: text.slice(bang + 1, plus), offset, address };
  }
  // `module+0x…` or `module +0x…` (the seed prints both); a space anywhere else is another form.
  if (space !== -1 && space !== plus - 1) return null;
  return { module: text.slice(site, space === -1 ? plus : space), function: null, offset, address };
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
      if (bang === -1 && module !== '' && module.indexOf(' ') === -1)
        return { module, function: null, offset };
    }
  }
  const slow = parseCallSite(site);
  return slow === null ? null : { module: slow.module, function: slow.function, offset: slow.offset };
}

/** Parses a whole `!verifier 100` log held in memory. */
export function parseVerifierIrpLog(text: string): IrpLogResult {
  const scanner = new IrpLogScanner(text);
  const entries: IrpLogEntry[] = [];
  const take = (entry: IrpLogEntry | null) => {
    if (entry) entries.push(entry);
  };
  if (!isPasted(text) && (text.indexOf('>') === -1 || !/^\s*>/m.test(text))) {
    // Plain text (as kd prints it): the same fast scan as the stream; indentation is skipped per line.
    let start = 0;
    let no = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      no += 1;
      take(scanner.pushRange(text, start, nl, no));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    take(scanner.pushRange(text, start, text.length, no + 1));
  } else {
    const lines = prepare(text);
    if (filled(lines).length === 0) throw new Reader('verifier-irplog', COMMAND, text).fail('it is empty');
    for (const line of lines) take(scanner.push(line.text, line.no));
  }
  if (text.trim() === '') throw new Reader('verifier-irplog', COMMAND, text).fail('it is empty');
  take(scanner.end());
  return built(IrpLogResult, { entries, truncated: scanner.truncated });
}

/**
 * Streams a `!verifier 100` log: yields each entry as soon as the next one begins, so memory
 * holds one entry (and one 16 KB piece of input) at a time. Entries are not re-validated with zod
 * here (that would double the cost per entry); they are built only from the patterns above.
 * Bytes are the fast input: each piece is decoded into one flat string and scanned in place.
 */
export async function* parseIrpLogStream(
  source: TextSource,
  options: StreamOptions = {},
): AsyncGenerator<IrpLogEntry> {
  const scanner = new IrpLogScanner();
  const decoder = new TextDecoder('utf-8');
  const done: IrpLogEntry[] = [];
  let no = 0;
  let carryText = '';
  let carryBytes: Uint8Array | null = null;
  const take = (entry: IrpLogEntry | null) => {
    if (entry) done.push(entry);
  };
  const scan = (text: string) => {
    const plain = !isPasted(text);
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      no += 1;
      take(plain ? scanner.pushRange(text, start, nl, no) : scanner.push(text.slice(start, nl), no));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
  };
  for await (const item of source as AsyncIterable<string | Uint8Array>) {
    if (options.lines === true && typeof item === 'string') {
      no += 1;
      take(scanner.push(item, no));
    } else if (typeof item === 'string') {
      for (const piece of piecesOf(item)) {
        const text = carryText + piece;
        const last = text.lastIndexOf('\n');
        carryText = text.slice(last + 1);
        if (last !== -1) scan(text.slice(0, last + 1));
        for (const entry of done) yield entry;
        done.length = 0;
      }
    } else {
      for (let at = 0; at < item.length; at += PIECE) {
        let piece = item.subarray(at, at + PIECE);
        if (carryBytes !== null) {
          const joined = new Uint8Array(carryBytes.length + piece.length);
          joined.set(carryBytes);
          joined.set(piece, carryBytes.length);
          piece = joined;
        }
        const last = piece.lastIndexOf(10);
        carryBytes = last + 1 < piece.length ? piece.slice(last + 1) : null;
        if (last !== -1) scan(decoder.decode(piece.subarray(0, last + 1)));
        for (const entry of done) yield entry;
        done.length = 0;
      }
    }
  }
  const tail = carryText + (carryBytes === null ? '' : decoder.decode(carryBytes));
  if (tail !== '') take(scanner.push(tail, no + 1));
  for (const entry of done) yield entry;
  const last = scanner.end();
  if (last) yield last;
}
