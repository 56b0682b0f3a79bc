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

/** Shortens a line for a message: at most 70 characters, control characters shown as spaces. */
export function excerptOf(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: input may carry any byte; show it as a space
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
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
    const looked = details.excerpt === '' ? 'the input is empty' : `it reads '${details.excerpt}'`;
    super(
      `The ${kind} parser could not read this text because ${details.reason}${where} (${looked}); give it the complete, English output of ${command}.`,
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
