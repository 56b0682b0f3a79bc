/**
 * Reading tool and debugger output with the parsers: a text the parser of its kind cannot read
 * means the lab did not answer as a Windows lab answers, so it is a lab-compromised error naming
 * what was run where, never a guess.
 */
import { LabCompromisedError } from '../../lab/errors.js';
import { type CommandKind, ParseError, parsers } from '../../lab/parsers/index.js';

export type Parsed<K extends CommandKind> = ReturnType<(typeof parsers)[K]['parse']>;

/** Reads `text` (the output of `what`, e.g. "'vssadmin list writers' in VM 'win11-a'") as `kind`. */
export function readOutput<K extends CommandKind>(kind: K, text: string, what: string): Parsed<K> {
  try {
    return parsers[kind].parse(text) as Parsed<K>;
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new LabCompromisedError(`The output of ${what} could not be read: ${error.message}`, {
      cause: error,
    });
  }
}
