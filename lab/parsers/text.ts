/**
 * What every parser does first: turn pasted text into clean lines that remember where they came
 * from. Pasted debugger output arrives with CRLF, trailing spaces, a common indentation (blog
 * posts, mail), `> ` quote prefixes, markdown-escaped backticks, and noise the debugger prints
 * between real output lines (symbol errors, "Page … not present in the dump file").
 */
import { excerptOf, ParseError } from './errors.js';

export interface Line {
  /** The line without the common indentation, quote prefix and trailing spaces. */
  text: string;
  /** 1-based line number in the original input. */
  no: number;
}

/** Lines the debugger prints between the lines of a command's output; they carry no value. */
const NOISE = new RegExp(
  [
    /\*\*\* (?:ERROR|WARNING): /,
    /\*\*\*\s{2,}.*\*\*\*$/,
    /\*{5,}\s+Symbol Loading Error Summary/,
    /Page [0-9a-fA-F`]+ (?:too large to be )?not present in the dump file/,
    /(?:Unable to load image |Unable to enumerate |DBGHELP: |SYMSRV: |DBGENG: |GetPointerFromAddress: |GetUlongFromAddress: |Unable to get |WARNING: Stack unwind information not available|WARNING: Frame IP not in any known module)/,
    /Browse full module list$/,
    /KD: Scanning for held locks\.*$/,
    /Loading (?:Kernel|User) Symbols$/,
    /\.+$/,
    /Using a machine size of [0-9a-fA-F]+ pages to configure the kd cache$/,
    /\*\*\* CacheSize too low - increasing to \d+ MB$/,
    /(?:Max cache size is|Total memory in cache|Number of regions cached)\s*:/,
    /\d+ full reads broken into \d+ partial reads$/,
    /(?:counts|bytes)\s*: \d+ cached\/\d+ uncached, [\d.]+% cached$/,
    /\*\* (?:Transition|Prototype) PTEs are implicitly decoded$/,
    /Loading unloaded module list$/,
    /Implicit (?:process|thread) is now [0-9a-fA-F`]+$/,
    /\*\*\* Stack trace for last set context - \.thread\/\.cxr resets it$/,
    /\.\.\.$/,
  ]
    .map((r) => `(?:${r.source})`)
    .join('|')
    .replace(/^/, '^(?:')
    .concat(')'),
);

/** First characters a noise line can start with (by code); a cheap test before the pattern. */
const NOISE_START = new Uint8Array(128);
for (const c of '*PUDSGWBKLIMTNcb0123456789.') NOISE_START[c.charCodeAt(0)] = 1;

/** True for a line the debugger prints as noise (symbol errors, missing dump pages, elisions). */
export function isNoise(line: string): boolean {
  const text = line.charCodeAt(0) === 32 ? line.trimStart() : line;
  const c = text.charCodeAt(0);
  return c < 128 && NOISE_START[c] === 1 && NOISE.test(text);
}

const PROMPT = /^(?:(\d+): )?([lL]?[kK][dD])> ?(.*)$/;
const USER_PROMPT = /^\d+:\d{3}(?::[\w-]+)?> ?(.*)$/;
const SHELL_PROMPT = /^(?:(?:[A-Za-z]:\\[^>]*|PS [^>]*)> ?(.*)|> ([A-Za-z].*))$/;

/** The command after a debugger or shell prompt (`3: kd> k`, `lkd> lm`, `C:\>fltmc`), or null. */
export function promptCommand(text: string): string | null {
  const kd = PROMPT.exec(text);
  if (kd) return (kd[3] ?? '').trim();
  const user = USER_PROMPT.exec(text);
  if (user) return (user[1] ?? '').trim();
  const shell = SHELL_PROMPT.exec(text);
  if (shell) return (shell[1] ?? shell[2] ?? '').trim();
  return null;
}

/**
 * Splits and cleans pasted text. Blank lines stay (some outputs use them as separators); noise
 * lines and a leading prompt line (the command that was typed) are removed.
 */
export function prepare(text: string, options: { keepPrompt?: boolean } = {}): Line[] {
  // What cleanLine does to each line besides cutting trailing white space is done to the whole
  // text at once (no replaced character is a line break), and only when one search finds any.
  const clean = hasSpecial(text) ? replaceSpecial(text) : text;
  if (clean.indexOf('\r') !== -1) return prepareLines(splitLines(clean), options);
  // Without CR, the lines are ranges of the text: one pass measures them (trailing white space,
  // indentation) without copying, and only the kept part of each line becomes a string.
  const starts: number[] = [];
  const ends: number[] = [];
  const leads: number[] = [];
  let quoted = true;
  let any = false;
  let tabs = false;
  let common = Number.POSITIVE_INFINITY;
  const n = clean.length;
  let start = 0;
  for (;;) {
    let nl = clean.indexOf('\n', start);
    const last = nl === -1;
    if (last) nl = n;
    let end = nl;
    while (end > start) {
      const c = clean.charCodeAt(end - 1);
      if (c !== 32 && c !== 9 && c !== 11 && c !== 12) break;
      end -= 1;
    }
    let lead = start;
    while (lead < end) {
      const c = clean.charCodeAt(lead);
      if (c === 9) tabs = true;
      else if (c !== 32) break;
      lead += 1;
    }
    starts.push(start);
    ends.push(end);
    leads.push(lead - start);
    if (lead < end) {
      any = true;
      if (lead - start < common) common = lead - start;
      if (clean.charCodeAt(lead) !== 62 /* > */ || (end > lead + 1 && clean.charCodeAt(lead + 1) !== 32))
        quoted = false;
    }
    if (last) break;
    start = nl + 1;
  }
  if ((any && quoted) || tabs)
    return prepareLines(
      starts.map((s, i) => clean.slice(s, ends[i])),
      options,
    );
  const cut = Number.isFinite(common) ? common : 0;
  let promptSeen = options.keepPrompt === true;
  const out: Line[] = [];
  for (let i = 0; i < starts.length; i += 1) {
    const s = starts[i] as number;
    const e = ends[i] as number;
    const t = s === e ? '' : clean.slice(s + Math.min(cut, leads[i] as number), e);
    if (t !== '') {
      if (isNoise(t)) continue;
      if (!promptSeen) {
        promptSeen = true;
        if (promptCommand(t) !== null) continue;
      }
    }
    out.push({ text: t, no: i + 1 });
  }
  return out;
}

/** prepare for text already split into lines (the general path: CR line ends, tabs, quote prefixes). */
function prepareLines(texts: string[], options: { keepPrompt?: boolean }): Line[] {
  let quoted = true;
  let any = false;
  let tabs = false;
  let common = Number.POSITIVE_INFINITY;
  for (let i = 0; i < texts.length; i += 1) {
    const t = trimEnd(texts[i] as string);
    texts[i] = t;
    if (t === '') continue;
    let lead = 0;
    while (lead < t.length) {
      const c = t.charCodeAt(lead);
      if (c === 9) tabs = true;
      else if (c !== 32) break;
      lead += 1;
    }
    if (lead === t.length) continue;
    any = true;
    if (lead < common) common = lead;
    if (t.charCodeAt(lead) !== 62 /* > */ || (t.length > lead + 1 && t.charCodeAt(lead + 1) !== 32))
      quoted = false;
  }
  let promptSeen = options.keepPrompt === true;
  const out: Line[] = [];
  const keep = (line: Line) => {
    if (line.text !== '') {
      if (isNoise(line.text)) return;
      if (!promptSeen) {
        promptSeen = true;
        if (promptCommand(line.text) !== null) return;
      }
    }
    out.push(line);
  };
  if ((any && quoted) || tabs) {
    // Quote prefixes and tab indentation: the general path.
    let lines: Line[] = texts.map((t, i) => ({ text: t, no: i + 1 }));
    if (any && quoted) lines = stripQuotes(lines);
    for (const line of stripIndent(lines, tabs)) keep(line);
    return out;
  }
  const cut = Number.isFinite(common) ? common : 0;
  for (let i = 0; i < texts.length; i += 1) {
    const t = texts[i] as string;
    keep({ text: cut === 0 || t.length === 0 ? t : t.slice(Math.min(cut, leadingSpaces(t))), no: i + 1 });
  }
  return out;
}

/**
 * True when the text holds a character (besides trailing white space) that `cleanLine` replaces or
 * removes. By indexOf: measured twenty times faster than one pattern over the same text.
 */
function hasSpecial(text: string): boolean {
  return (
    text.indexOf('\u00a0') !== -1 ||
    text.indexOf('\\`') !== -1 ||
    text.indexOf('\u200b') !== -1 ||
    text.indexOf('\ufeff') !== -1
  );
}

/** True when the text holds a no-break space, a zero-width character or a backslash (pasted text). */
export function isPasted(text: string): boolean {
  return (
    text.indexOf('\\') !== -1 ||
    text.indexOf('\u00a0') !== -1 ||
    text.indexOf('\u200b') !== -1 ||
    text.indexOf('\ufeff') !== -1
  );
}

/** The lines of a text, split at CRLF, CR or LF (by hand when the text has no CR). */
function splitLines(text: string): string[] {
  if (text.indexOf('\r') !== -1) return text.split(/\r\n|\r|\n/);
  const out: string[] = [];
  let start = 0;
  let nl = text.indexOf('\n');
  while (nl !== -1) {
    out.push(text.slice(start, nl));
    start = nl + 1;
    nl = text.indexOf('\n', start);
  }
  out.push(start === 0 ? text : text.slice(start));
  return out;
}

/** The text without trailing spaces, tabs, vertical tabs and form feeds (what cleanLine cuts). */
function trimEnd(text: string): string {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 32 && c !== 9 && c !== 11 && c !== 12) break;
    end -= 1;
  }
  return end === text.length ? text : text.slice(0, end);
}

/** True when a line has something `cleanLine` changes (checked by hand: a regex here cost 5x). */
function needsCleaning(text: string): boolean {
  const n = text.length;
  if (n === 0) return false;
  const last = text.charCodeAt(n - 1);
  if (last === 32 || last === 9 || last === 11 || last === 12) return true;
  for (let i = 0; i < n; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 92 || c === 0xa0 || c === 0x200b || c === 0xfeff) return true;
  }
  return false;
}

/**
 * One line as text: no-break spaces (web pages render runs of spaces as alternating NBSP and
 * space) become spaces, zero-width characters go, markdown-escaped backticks are unescaped,
 * trailing white space is cut.
 */
export function cleanLine(text: string): string {
  return needsCleaning(text) ? trimEnd(replaceSpecial(text)) : text;
}

/** No-break spaces to spaces, zero-width characters removed, escaped backticks unescaped. */
function replaceSpecial(text: string): string {
  let t = text;
  // split + join: measured twice as fast as replaceAll for a text with hundreds of them.
  if (t.indexOf('\u00a0') !== -1) t = t.split('\u00a0').join(' ');
  if (t.indexOf('\u200b') !== -1) t = t.replaceAll('\u200b', '');
  if (t.indexOf('\ufeff') !== -1) t = t.replaceAll('\ufeff', '');
  if (t.indexOf('\\`') !== -1) t = t.replaceAll('\\`', '`');
  return t;
}

/** Removes one or more `>` quote levels when every non-blank line carries them. */
function stripQuotes(lines: Line[]): Line[] {
  let current = lines;
  for (let depth = 0; depth < 4; depth += 1) {
    const filled = current.filter((l) => l.text.trim() !== '');
    if (filled.length === 0 || !filled.every((l) => /^\s*>( |$)/.test(l.text))) return current;
    current = current.map((l) => ({ ...l, text: l.text.replace(/^\s*> ?/, '') }));
  }
  return current;
}

/** Expands leading tabs and removes the indentation all non-blank lines share. */
function stripIndent(input: Line[], tabs: boolean): Line[] {
  let lines = input;
  if (tabs || lines.some((l) => leadingTab(l.text))) {
    lines = lines.map((l) => {
      if (!leadingTab(l.text)) return l;
      const lead = /^[ \t]*/.exec(l.text)?.[0] ?? '';
      return { text: lead.replace(/\t/g, '    ') + l.text.slice(lead.length), no: l.no };
    });
  }
  let common = Number.POSITIVE_INFINITY;
  for (const l of lines) {
    const n = leadingSpaces(l.text);
    if (n < l.text.length && n < common) common = n;
  }
  if (!Number.isFinite(common) || common === 0) return lines;
  return lines.map((l) => ({ text: l.text.slice(Math.min(common, leadingSpaces(l.text))), no: l.no }));
}

function leadingTab(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 9) return true;
    if (c !== 32) return false;
  }
  return false;
}

function leadingSpaces(text: string): number {
  let n = 0;
  while (n < text.length && text.charCodeAt(n) === 32) n += 1;
  return n;
}

/** Non-blank lines only. */
export function filled(lines: readonly Line[]): Line[] {
  const out: Line[] = [];
  for (const l of lines) {
    const t = l.text;
    if (t === '') continue;
    // A printable ASCII first character is not white space; anything else is decided by trim.
    const c = t.charCodeAt(0);
    if ((c > 32 && c < 127) || t.trim() !== '') out.push(l);
  }
  return out;
}

/**
 * Words a localized Windows prints where the English tools print their own (German, French,
 * Spanish bcdedit, vssadmin and Event Viewer labels); they are plain ASCII, so the share of
 * letters outside ASCII below does not see them.
 */
const LOCALIZED_LABELS =
  /^\s*(?:Bezeichner|Verfassername:|Verfasserkennung:|Letzter Fehler:|Protokollname:|Ereignis-ID:|Identificateur|Nom de l'enregistreur|Nom du journal|Identificador|Nombre del escritor|Windows-Start-Manager|Windows-Startladeprogramm|Gestionnaire de d.marrage Windows|Chargeur de d.marrage Windows)\b/m;

const NON_ASCII = /[\u0080-\uffff]/;

/** A share of letters outside ASCII (or a localized label) that says the text is not English output. */
export function looksLocalized(text: string): boolean {
  if (LOCALIZED_LABELS.test(text)) return true;
  // Most output is ASCII throughout: no letter outside it, nothing to count (a 160 KB
  // !ndiskd.pendingnbls would otherwise become an array of every letter it holds).
  if (!NON_ASCII.test(text)) return false;
  const letters = text.match(/\p{L}/gu) ?? [];
  if (letters.length === 0) return false;
  const foreign = letters.filter((c) => c.charCodeAt(0) > 0x7f).length;
  return foreign >= 3 && foreign / letters.length > 0.02;
}

/** Raises the parse errors of one kind with the same wording and the same localized-text check. */
export class Reader {
  constructor(
    readonly kind: string,
    readonly command: string,
    readonly source: string,
  ) {}

  /** An error for the input as a whole (nothing recognisable in it). */
  fail(reason: string, line?: Line): ParseError {
    if (looksLocalized(this.source)) {
      return new ParseError(this.kind, this.command, {
        reason: `the text is not in English (${reason}), and only English output is read so that nothing is half-read`,
        line: line?.no ?? null,
        excerpt: excerptOf(line?.text ?? this.source.split(/\r?\n/).find((l) => l.trim() !== '') ?? ''),
      });
    }
    return new ParseError(this.kind, this.command, {
      reason,
      line: line?.no ?? null,
      excerpt: excerptOf(line?.text ?? this.source.split(/\r?\n/).find((l) => l.trim() !== '') ?? ''),
    });
  }
}
