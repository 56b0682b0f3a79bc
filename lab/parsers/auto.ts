/**
 * `auto`: a whole kd transcript, split at its prompts (`kd> `, `3: kd> `, `lkd> `), each command's
 * output parsed by the parser for that command. Commands without a parser are reported as
 * unparsed (kind null), never dropped. Text before the first prompt (a bug check banner, a
 * break-in) is reported with command null.
 */
import * as z from 'zod';
import { ParseError } from './errors.js';
import { type StreamOptions, type TextSource, wholeLines } from './lines.js';
import { normalizeText } from './normalize.js';
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

const PROMPT = /^\s*(?:> ?)?(?:\d+(?:\.\d+)?: )?l?kd(?::x86)?> ?(.*)$/;

/** Where the next prompt marker is: `kd>`, or a WoW64 target's `kd:x86>` (`32.2: kd:x86> `). */
function nextPrompt(text: string, from: number): number {
  const plain = text.indexOf('kd>', from);
  const wow = text.indexOf('kd:x86>', from);
  if (wow === -1) return plain;
  return plain === -1 ? wow : Math.min(plain, wow);
}

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

/**
 * Splits a transcript at its prompt lines without cutting it into lines: text arrives in pieces
 * of whole lines, prompt lines are found by searching the piece for "kd>" (every prompt holds
 * it), and a command's output is kept as slices of the pieces until the next prompt ends it. A
 * line ends at "\n"; a "\r" before it belongs to the line ending.
 */
class PromptSplitter {
  private command: string | null = null;
  private parts: string[] = [];
  private filled = false;
  /** A prompt was seen. */
  any = false;

  constructor(private readonly emit: (command: string | null, output: string) => void) {}

  /** Feeds text made of whole lines (every line ends with "\n", except at the end of the input). */
  feed(text: string): void {
    let from = 0;
    let at = nextPrompt(text, 0);
    while (at !== -1) {
      const lineStart = at === 0 ? 0 : text.lastIndexOf('\n', at - 1) + 1;
      let lineEnd = text.indexOf('\n', at);
      if (lineEnd === -1) lineEnd = text.length;
      const contentEnd = lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
      const p = PROMPT.exec(text.slice(lineStart, contentEnd));
      if (p) {
        this.add(text, from, lineStart);
        this.finish();
        this.command = (p[1] ?? '').trim();
        this.any = true;
        from = lineEnd + 1;
      }
      at = lineEnd + 1 < text.length ? nextPrompt(text, lineEnd + 1) : -1;
    }
    this.add(text, from, text.length);
  }

  /** Ends the input: emits the last command. */
  end(): void {
    this.finish();
  }

  private add(text: string, from: number, to: number): void {
    if (to <= from) return;
    const part = from === 0 && to === text.length ? text : text.slice(from, to);
    this.parts.push(part);
    if (!this.filled && part.trim() !== '') this.filled = true;
  }

  /** Emits the command read so far; its output is its lines joined with "\n", as typed. */
  private finish(): void {
    if (this.command !== null || this.filled) {
      let output = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('');
      if (output.endsWith('\n')) output = output.slice(0, output.endsWith('\r\n') ? -2 : -1);
      if (output.indexOf('\r\n') !== -1) output = output.replaceAll('\r\n', '\n');
      this.emit(this.command, output);
    }
    this.parts = [];
    this.filled = false;
  }
}

/** Splits a transcript held in memory and parses every command. */
export function parseTranscript(pasted: string): TranscriptResult {
  const text = normalizeText(pasted, { keepPrompts: true });
  const commands: TranscriptCommand[] = [];
  const splitter = new PromptSplitter((command, output) =>
    commands.push(parseCommandOutput(command, output)),
  );
  // A lone "\r" ends a line here too (old Mac line endings in a pasted file).
  splitter.feed(text.indexOf('\r') === -1 ? text : text.split(/\r\n|\r|\n/).join('\n'));
  splitter.end();
  if (!splitter.any) {
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
 * one command's output (and one 16 KB piece of input) at a time. The values are not re-validated
 * with zod here; see built.ts for why that is safe.
 */
export async function* parseTranscriptStream(
  source: TextSource,
  options: StreamOptions = {},
): AsyncGenerator<TranscriptCommand> {
  let done: TranscriptCommand[] = [];
  const splitter = new PromptSplitter((command, output) =>
    done.push(parseCommandOutput(command, output, false)),
  );
  const drain = () => {
    const out = done;
    done = [];
    return out;
  };
  for await (const piece of wholeLines(source, options)) {
    splitter.feed(piece);
    for (const x of drain()) yield x;
  }
  splitter.end();
  yield* drain();
}
