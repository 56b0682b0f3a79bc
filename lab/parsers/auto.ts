/**
 * `auto`: a whole kd transcript, split at its prompts (`kd> `, `3: kd> `, `lkd> `), each command's
 * output parsed by the parser for that command. Commands without a parser are reported as
 * unparsed (kind null), never dropped. Text before the first prompt (a bug check banner, a
 * break-in) is reported with command null.
 */
import { z } from 'zod';
import { ParseError } from './errors.js';
import { linesInBatches, type StreamOptions, type TextSource } from './lines.js';
import { type CommandKind, commandParsers, kindOfCommand } from './registry.js';

export const TranscriptCommand = z.object({
  /** The command as typed after the prompt; null for the text before the first prompt. */
  command: z.string().nullable(),
  kind: z.string().nullable(),
  value: z.unknown().nullable(),
  /** The parse error's sentence when the output could not be read. */
  error: z.string().nullable(),
});
export type TranscriptCommand = z.infer<typeof TranscriptCommand>;

export const TranscriptResult = z.object({ commands: z.array(TranscriptCommand) });
export type TranscriptResult = z.infer<typeof TranscriptResult>;

const PROMPT = /^\s*(?:> ?)?(?:\d+: )?l?kd> ?(.*)$/;

/**
 * Parses one command's output (already split from the transcript); `validate: false` skips the
 * schema pass over the value (the streaming path, see built.ts).
 */
export function parseCommandOutput(
  command: string | null,
  output: string,
  validate = true,
): TranscriptCommand {
  let kind: CommandKind | null = command === null ? null : kindOfCommand(command);
  if (command === null) {
    if (output.trim() === '') return { command, kind: null, value: null, error: null };
    if (/\*\*\* Fatal System Error|Break instruction exception/.test(output)) kind = 'bugcheck-banner';
  }
  if (kind === null) return { command, kind: null, value: null, error: null };
  const parser = commandParsers[kind];
  try {
    const text = kind === 'irp' && command !== null ? `${command}\n${output}` : output;
    return { command, kind, value: validate ? parser.parse(text) : parser.read(text), error: null };
  } catch (error) {
    if (error instanceof ParseError) return { command, kind, value: null, error: error.message };
    throw error;
  }
}

/** Splits a transcript held in memory and parses every command. */
export function parseTranscript(text: string): TranscriptResult {
  const commands: TranscriptCommand[] = [];
  let command: string | null = null;
  let output: string[] = [];
  let any = false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    const p = PROMPT.exec(line);
    if (p) {
      if (command !== null || output.some((l) => l.trim() !== ''))
        commands.push(parseCommandOutput(command, output.join('\n')));
      command = (p[1] ?? '').trim();
      output = [];
      any = true;
      continue;
    }
    output.push(line);
  }
  if (command !== null || output.some((l) => l.trim() !== ''))
    commands.push(parseCommandOutput(command, output.join('\n')));
  if (!any) {
    throw new ParseError('auto', 'a kd session (commands after kd> prompts)', {
      reason: 'it has no debugger prompt ("kd> ", "0: kd> ", "lkd> ")',
      line: null,
      excerpt:
        text
          .split(/\r?\n/)
          .find((l) => l.trim() !== '')
          ?.trim()
          .slice(0, 70) ?? '',
    });
  }
  return TranscriptResult.parse({ commands });
}

/**
 * Streams a transcript: yields each command as soon as the next prompt appears, so memory holds
 * one command's output at a time.
 */
export async function* parseTranscriptStream(
  source: TextSource,
  options: StreamOptions = {},
): AsyncGenerator<TranscriptCommand> {
  let command: string | null = null;
  let output: string[] = [];
  let filledOutput = false;
  let done: TranscriptCommand[] = [];
  const onLine = (line: string) => {
    // Cheap pre-check before the pattern: a prompt line holds "kd>".
    if (line.indexOf('kd>') !== -1) {
      const p = PROMPT.exec(line);
      if (p) {
        if (command !== null || filledOutput)
          done.push(parseCommandOutput(command, output.join('\n'), false));
        command = (p[1] ?? '').trim();
        output = [];
        filledOutput = false;
        return;
      }
    }
    output.push(line);
    if (!filledOutput && line.trim() !== '') filledOutput = true;
  };
  yield* linesInBatches(source, options, onLine, () => {
    const out = done;
    done = [];
    return out;
  });
  if (command !== null || filledOutput) yield parseCommandOutput(command, output.join('\n'), false);
}
