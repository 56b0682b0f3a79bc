/**
 * The one error every parser throws when it cannot read its input. lab/parsers/ imports only
 * zod and its own files, so this is not one of lab/errors.ts's classes: callers (the CLI, the
 * kd session, step code) wrap it into the error class that says whose fault it is.
 */

export interface ParseErrorDetails {
  /** What could not be read, phrased to follow "because": "line 4 is not a stack frame". */
  reason: string;
  /** 1-based line of the original input where reading stopped, or null for the input as a whole. */
  line: number | null;
  /** The text at that line (or the start of the input), shortened. */
  excerpt: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Input text as a message may show it: every control character (ESC, BEL, … C0, DEL and C1) as a
 * visible `\xNN` escape, so a pasted file can never drive the terminal the message is printed on.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Shortens a line for a message: at most 70 characters, tabs and line ends as spaces, other control characters escaped. */
export function excerptOf(text: string): string {
  const flat = escapeControls(text.replace(/[\t\r\n]/g, ' ')).trim();
  return flat.length > 70 ? `${flat.slice(0, 67)}...` : flat;
}

/** The input could not be read as the output of the named command; nothing was guessed. */
export class ParseError extends Error {
  readonly kind: string;
  readonly reason: string;
  readonly line: number | null;
  readonly excerpt: string;
  /** The command the parser reads the output of, as the message names it. */
  readonly command: string;

  constructor(kind: string, command: string, details: ParseErrorDetails) {
    const where = details.line === null ? '' : ` at line ${details.line}`;
    // A reason may quote the input too: its control characters are escaped like the excerpt's.
    const looked =
      details.excerpt === '' ? 'the input is empty' : `it reads '${escapeControls(details.excerpt)}'`;
    super(
      `The ${kind} parser could not read this text because ${escapeControls(details.reason)}${where} (${looked}); give it the complete, English output of ${command}.`,
    );
    this.name = 'ParseError';
    this.kind = kind;
    this.reason = details.reason;
    this.line = details.line;
    this.excerpt = details.excerpt;
    this.command = command;
  }

  /** The same error with its line number mapped (from the normalised text back to the pasted one). */
  withLine(map: (line: number) => number): ParseError {
    if (this.line === null) return this;
    return new ParseError(this.kind, this.command, {
      reason: this.reason,
      line: map(this.line),
      excerpt: this.excerpt,
    });
  }
}
