/**
 * Reading tool and debugger output with the parsers: a text the parser of its kind cannot read
 * means the lab did not answer as a Windows lab answers, so it is a lab-compromised error naming
 * what was run where, never a guess.
 */
import { type CommandKind, LabCompromisedError, ParseError, parsers } from '../../lab/index.js';

export type Parsed<K extends CommandKind> = ReturnType<(typeof parsers)[K]['parse']>;

/** Reads `text` (the output of `what`, e.g. "'vssadmin list writers' in VM 'win11-a'") as `kind`. */
export async function readOutput<K extends CommandKind>(
  kind: K,
  text: string,
  what: string,
  options: { whenEmpty?: Parsed<K> } = {},
): Promise<Parsed<K>> {
  // A command that legitimately prints nothing when there is nothing to show (an IRP log with no
  // entries): its empty output is that value, not an unreadable text.
  if (options.whenEmpty !== undefined && isEmptyOutput(text)) return options.whenEmpty;
  try {
    return parsers[kind].parse(text) as Parsed<K>;
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new LabCompromisedError(`The output of ${what} could not be read: ${error.message}`, {
      cause: error,
    });
  }
}

/**
 * Output that shows nothing: blank, or only kd's own "# …" progress lines (`!verifier 100` prints
 * "# Parsing 00004000 array entries." and then nothing when the log has no entry).
 */
export function isEmptyOutput(text: string): boolean {
  return text.split(/\r?\n/).every((line) => line.trim() === '' || line.trim().startsWith('#'));
}
