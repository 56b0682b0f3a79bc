/**
 * The one normalisation every kind shares: text as people paste it (from a console, an e-mail,
 * an issue, a chat, a wiki, a web page) becomes the text the command printed. It runs before
 * every parser (see registry.ts); parsers never see a fence, a quote prefix, an HTML entity, a
 * console-wrapped line, an author's elision, the typed command or the prompt after the output.
 *
 * Each step removes only what it is sure of: a wrapping the text does not carry leaves it as is.
 */

export interface NormalizeOptions {
  /** Keep prompt lines (a whole kd transcript is split at them). */
  keepPrompts?: boolean;
}

/** Widths a console wraps at: the classic 80 columns and Windows 10's default 120. */
const CONSOLE_WIDTHS = [80, 120];

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
  '#039': "'",
  '#34': '"',
  '#96': '`',
  '#x60': '`',
  '#x27': "'",
  '#x2F': '/',
  '#x2f': '/',
  '#160': ' ',
};

/** A kd prompt, a user-mode debugger prompt, a cmd or PowerShell prompt (Exchange's `[PS]` too). */
const PROMPT =
  /^(?:(?:(?:\d+(?:\.\d+)?: )?[lL]?[kK][dD](?::x86)?>|\d+:\d{3}(?::[\w-]+)?>)(?: |$)|(?:\[PS\] |PS )?[A-Za-z]:\\[^<>|"]*>|PS>)/;
/** A line an author put in place of output they left out. */
const ELISION =
  /^(?:\[(?:\.{3}|…|snip|cut|\.\.\. ?snip(?:ped)? ?\.\.\.)\]|-{2,} ?(?:cut|snip)(?: here)? ?-{2,}|\.{3,}|…|<snip>|\(\.\.\.\)|\[\s*output (?:truncated|omitted)\s*\])$/i;
const BOLD = /(?<![*\w])\*\*(?!\*)([^*\s](?:[^*\n]*[^*\s])?)\*\*(?!\*)/g;
const FENCE = /^(?:`{3,}|~{3,})[\w+-]*$/;

/** Normalised text, the original line number of each of its lines, and the command typed before it. */
export interface Normalized {
  text: string;
  /** 1-based line in the pasted text of each line of `text`. */
  origin: number[];
  /** The command echoed after a leading prompt (`!irp ffffe0002a4b0010`), or null. */
  command: string | null;
  /** The line of the pasted text the command was typed on, or null. */
  commandLine: number | null;
}

interface L {
  t: string;
  no: number;
}

/** The text a command printed, from the text as pasted. */
export function normalizeText(input: string, options: NormalizeOptions = {}): string {
  return normalize(input, options).text;
}

/** normalizeText, keeping where each line came from and the typed command. */
export function normalize(input: string, options: NormalizeOptions = {}): Normalized {
  let text = input;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.indexOf('\r') !== -1) text = text.replace(/\r\n?/g, '\n');
  if (text.indexOf('&') !== -1) text = decodeEntities(text);
  let lines: L[] = text.split('\n').map((t, i) => ({ t, no: i + 1 }));
  lines = stripFences(lines);
  lines = stripQuotes(lines);
  // A fence inside a quote (`> ```output` in an e-mail or an issue reply) shows once the quote is off.
  lines = stripFences(lines);
  lines = stripInlineCode(lines);
  lines = lines.map((l) => ({ t: expandTabs(l.t), no: l.no }));
  lines = unwrap(lines).map(trimEnd);
  // Markdown bold an author put on part of a line (`**win32kbase!QueuePowerRequest**+0x187`),
  // once a console's wrapping is undone (it may cut between the stars); kd's own stars
  // (`*** ERROR`, `**** DUMP`, `** Transition`) never wrap a word this way.
  lines = lines.map((l) => (l.t.indexOf('**') === -1 ? l : { t: l.t.replace(BOLD, '$1'), no: l.no }));
  lines = stripIndent(lines);
  lines = lines.filter((l) => !ELISION.test(l.t.trim()));
  let command: string | null = null;
  let commandLine: number | null = null;
  if (options.keepPrompts !== true) {
    const stripped = stripPrompts(lines);
    lines = stripped.lines;
    command = stripped.command;
    commandLine = stripped.line;
  }
  return { text: lines.map((l) => l.t).join('\n'), origin: lines.map((l) => l.no), command, commandLine };
}

/** True when a line is a debugger or shell prompt, with or without a command after it. */
export function isPromptLine(line: string): boolean {
  return PROMPT.test(line.trim());
}

/** Replaces the HTML entities a web copy leaves (`&gt;`, `&#39;`, `&nbsp;`). */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]{2,6});/g, (whole, name: string) => {
    const known = ENTITIES[name];
    if (known !== undefined) return known;
    if (name.startsWith('#x') || name.startsWith('#X'))
      return safeChar(Number.parseInt(name.slice(2), 16), whole);
    if (name.startsWith('#')) return safeChar(Number.parseInt(name.slice(1), 10), whole);
    return whole;
  });
}

function safeChar(code: number, whole: string): string {
  return Number.isFinite(code) && code > 8 && code < 0x110000 && code !== 10 && code !== 13
    ? String.fromCodePoint(code)
    : whole;
}

/** Removes markdown code fences (a line of three or more backticks or tildes, with a language). */
function stripFences(input: L[]): L[] {
  // A fence glued to output (```0: kd> k, or a last line ending in ```) is cut off the line.
  const lines = input.map((l) => {
    if (l.t.indexOf('```') === -1 || FENCE.test(l.t.trim())) return l;
    const t = l.t.replace(/^(\s*)`{3,}(?=\S)/, '$1').replace(/(\S)`{3,}\s*$/, '$1');
    return t === l.t ? l : { t, no: l.no };
  });
  if (!lines.some((l) => FENCE.test(l.t.trim()))) return lines;
  return lines.filter((l) => !FENCE.test(l.t.trim()));
}

/**
 * Removes an inline-code span's backticks around a whole paste (`` `0: kd> !verifier `` … `` ` ``,
 * as a GitHub comment writes it): one backtick glued to a first line that is a prompt, and one
 * ending the last line. kd never starts a line with a backtick, nor ends one with it.
 */
function stripInlineCode(lines: L[]): L[] {
  const first = lines.findIndex((l) => l.t.trim() !== '');
  const head = first === -1 ? null : (lines[first] as L);
  if (head === null || !/^\s*`[^`]/.test(head.t) || !PROMPT.test(head.t.trim().slice(1))) return lines;
  const out = [...lines];
  out[first] = { t: head.t.replace('`', ''), no: head.no };
  let last = out.length - 1;
  while (last > first && (out[last] as L).t.trim() === '') last -= 1;
  const tail = out[last] as L;
  if (/[^`]`\s*$/.test(tail.t)) out[last] = { t: tail.t.replace(/`\s*$/, ''), no: tail.no };
  return out;
}

/** Removes `>` quote levels (e-mail, markdown) when every non-blank line carries them. */
function stripQuotes(input: L[]): L[] {
  let lines = input;
  // Output pasted into source code as a comment: `// ` on every line.
  const filledLines = lines.filter((l) => l.t.trim() !== '');
  if (filledLines.length > 0 && filledLines.every((l) => /^[ \t]*\/\/(?: |$)/.test(l.t)))
    lines = lines.map((l) => ({ t: l.t.replace(/^[ \t]*\/\/ ?/, ''), no: l.no }));
  for (let depth = 0; depth < 4; depth += 1) {
    const filled = lines.filter((l) => l.t.trim() !== '');
    if (filled.length === 0 || !filled.every((l) => /^[ \t]*>(?: |$)/.test(l.t))) return lines;
    lines = lines.map((l) => ({ t: l.t.replace(/^[ \t]*> ?/, ''), no: l.no }));
  }
  return lines;
}

/** Leading tabs as four spaces; a leading ideographic space (CJK pages indent with it) as two. */
function expandTabs(line: string): string {
  if (line.indexOf('\t') === -1 && line.indexOf('\u3000') === -1) return line;
  const lead = /^[ \t\u3000]*/.exec(line)?.[0] ?? '';
  return lead.replace(/\t/g, '    ').replace(/\u3000/g, '  ') + line.slice(lead.length);
}

/** Trailing white space cut. */
function trimEnd(line: L): L {
  const t = line.t.replace(/[ \t\v\f]+$/, '');
  return t === line.t ? line : { t, no: line.no };
}

/**
 * Joins lines a console wrapped: when at least two lines fill a console width exactly (and none
 * is longer) and go on in a shorter line, each full line is joined with the line after it. One
 * full line alone is ambiguous (a line can be exactly 120 characters long) and is left as it is.
 */
function unwrap(lines: L[]): L[] {
  const longest = lines.reduce((m, l) => Math.max(m, l.t.length), 0);
  if (!CONSOLE_WIDTHS.includes(longest)) return lines;
  // A wrapped line is followed by its shorter rest; a table of rows that happen to be as wide
  // as the console is full line after full line, and is left as it is.
  let toShort = 0;
  let toFull = 0;
  for (let i = 0; i + 1 < lines.length; i += 1) {
    if ((lines[i] as L).t.length !== longest) continue;
    const next = (lines[i + 1] as L).t;
    if (next.length === longest) toFull += 1;
    else if (next.trim() !== '') toShort += 1;
  }
  if (toShort < 2 || toFull > toShort * 4) return lines;
  const out: L[] = [];
  let carry: L | null = null;
  for (let i = 0; i < lines.length; i += 1) {
    const l = lines[i] as L;
    const next = lines[i + 1];
    const joined: L = carry === null ? l : { t: carry.t + l.t, no: carry.no };
    if (l.t.length === longest && next !== undefined && next.t !== '') {
      carry = joined;
      continue;
    }
    out.push(joined);
    carry = null;
  }
  if (carry !== null) out.push(carry);
  return out;
}

/** Removes the indentation every non-blank line shares. */
function stripIndent(lines: L[]): L[] {
  let common = Number.POSITIVE_INFINITY;
  for (const l of lines) {
    if (l.t === '') continue;
    const n = l.t.length - l.t.trimStart().length;
    if (n < common) common = n;
  }
  if (!Number.isFinite(common) || common === 0) return lines;
  return lines.map((l) => ({
    t: l.t.slice(Math.min(common, l.t.length - l.t.trimStart().length)),
    no: l.no,
  }));
}

/**
 * Removes the typed command (a prompt line before the first output line) and the prompt that
 * follows the output (a bare prompt, or a prompt with a command nobody answered, at the end).
 */
function stripPrompts(input: L[]): { lines: L[]; command: string | null; line: number | null } {
  const lines = input.slice();
  let command: string | null = null;
  let line: number | null = null;
  let first = lines.findIndex((l) => l.t.trim() !== '');
  // An author's note before the command echo (`// !pte [VirtualAddress]`, "Output:") is not output:
  // a prompt on one of the first three lines starts the text.
  let seen = 0;
  for (let i = first; i >= 0 && i < lines.length && seen < 3; i += 1) {
    const t = (lines[i] as L).t.trim();
    if (t === '') continue;
    seen += 1;
    if (PROMPT.test(t)) {
      first = i;
      break;
    }
  }
  const head = first === -1 ? null : PROMPT.exec((lines[first] as L).t.trim());
  if (head && lines.slice(first + 1).some((l) => l.t.trim() !== '')) {
    command = (lines[first] as L).t.trim().slice(head[0].length).trim() || null;
    line = (lines[first] as L).no;
    lines.splice(0, first + 1);
  }
  // The prompts after the output (a shell's, then the debugger's, when both were pasted).
  for (;;) {
    let last = lines.length - 1;
    while (last >= 0 && (lines[last] as L).t.trim() === '') last -= 1;
    if (last < 0 || !isPromptLine((lines[last] as L).t)) break;
    lines.splice(last);
  }
  return { lines, command, line };
}
