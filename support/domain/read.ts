/**
 * Reading tool and debugger output with the parsers: a text the parser of its kind cannot read
 * means the lab did not answer as a Windows lab answers, so it is a lab-compromised error naming
 * what was run where, never a guess.
 *
 * The parsers (and zod under them) load the first time a scenario reads something, never in a dry
 * run: support code keeps its imports of the lab's heavier modules lazy, so that
 * `cucumber-js --dry-run` starts fast.
 */
import { type CommandKind, LabCompromisedError, ParseError, type parsers } from '../../lab/index.js';

export type Parsed<K extends CommandKind> = ReturnType<(typeof parsers)[K]['parse']>;

/** The parsers, loaded once. */
export async function theParsers(): Promise<typeof parsers> {
  return (await import('../../lab/index.js')).parsers;
}

/** Reads `text` (the output of `what`, e.g. "'vssadmin list writers' in VM 'win11-a'") as `kind`. */
export async function readOutput<K extends CommandKind>(
  kind: K,
  text: string,
  what: string,
): Promise<Parsed<K>> {
  const all = await theParsers();
  try {
    return all[kind].parse(text) as Parsed<K>;
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new LabCompromisedError(`The output of ${what} could not be read: ${error.message}`, {
      cause: error,
    });
  }
}
