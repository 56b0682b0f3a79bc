/**
 * kd's console protocol, as a reader of its output (domain brief §2.3–2.8):
 * - output arrives in raw chunks; a prompt ("kd> ", "3: kd> ", "32.2: kd:x86> ") ends no line, so
 *   it is recognised on the partial last line;
 * - a command is framed by a quoted `.echo` sentinel on the next line; its output is what kd printed
 *   before the sentinel's line, complete when the prompt after the sentinel appears;
 * - while a command runs, the lines that announce an event (a bug check, a break, the KDNET
 *   refresh, a lost link) are still events: they are handed to the session as they arrive;
 * - a capture can be re-framed on a fresh sentinel (the session cancels a command that ran too
 *   long by breaking in and waiting for a new sentinel).
 * The reader knows nothing of the process or of the target's state: it reports what it saw.
 */
import {
  ANY_SENTINEL,
  classifyKdLine,
  type KdLine,
  type Prompt,
  promptAlone,
  promptAtStart,
  promptLeading,
  trailingPrompt,
  verifierQuestionChoices,
} from './kd-text.js';
import type { VerifierChoice } from './port.js';

export interface ProtocolObserver {
  /** A prompt while no command is in flight. */
  prompt(prompt: Prompt): void;
  /** A complete line while no command is in flight. */
  line(line: string): void;
  /** Driver Verifier's question on the partial last line (in a command's output or not). */
  question(partial: string, choices: readonly VerifierChoice[]): void;
  /** A line of a command's output that announces an event. */
  eventInCommand(line: string, kd: KdLine): void;
}

/** What a framed command returned. */
export interface CaptureResult {
  output: string;
  prompt: Prompt | null;
}

interface Capture {
  command: string;
  sentinel: string;
  /** What kd printed for the command so far, in chunks (joined once the sentinel shows). */
  parts: string[];
  /** The unterminated last line, for the event scan. */
  partial: string;
  /** The last characters seen, so a sentinel cut between two chunks is still found. */
  tail: string;
  sentinelSeen: boolean;
  resolve(result: CaptureResult): void;
  reject(error: Error): void;
}

/** The lines that can announce an event inside a command (checked before the full classification). */
const EVENT_HINT =
  /^(?:Waiting to reconnect|Shutdown occurred|The transport connection|\*\*\* Fatal System Error|\s+\(0x|Break instruction exception|KDTARGET: )/;

/** Reads kd's console output: prompts, lines, questions and framed commands. */
export class KdConsoleReader {
  private buffer = '';
  private capture: Capture | null = null;

  constructor(private readonly observer: ProtocolObserver) {}

  get capturing(): boolean {
    return this.capture !== null;
  }

  /** The command in flight, if any. */
  get commandInFlight(): string | null {
    return this.capture?.command ?? null;
  }

  /** Frames the next output as the answer to `command`, up to `sentinel`'s line and the prompt after it. */
  frame(command: string, sentinel: string): Promise<CaptureResult> {
    return new Promise<CaptureResult>((resolve, reject) => {
      this.capture = {
        command,
        sentinel,
        parts: [],
        partial: '',
        tail: '',
        sentinelSeen: false,
        resolve,
        reject,
      };
      this.process();
    });
  }

  /** Waits for a fresh sentinel instead (the old one may never come: its command was interrupted). */
  reframe(sentinel: string): void {
    const capture = this.capture;
    if (!capture) return;
    capture.sentinel = sentinel;
    capture.sentinelSeen = false;
    capture.tail = '';
    this.process();
  }

  /** Ends the command in flight with `error` (the link was lost, kd ended, the session gave up). */
  abandon(error: Error): void {
    const capture = this.capture;
    this.capture = null;
    capture?.reject(error);
  }

  feed(text: string): void {
    this.buffer += text;
    this.process();
  }

  private process(): void {
    for (;;) {
      if (this.capture) {
        if (!this.advanceCapture(this.capture)) return;
        continue;
      }
      const text = this.buffer;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const line = text.slice(start, nl);
        start = nl + 1;
        const leading = promptLeading(line);
        if (leading) {
          this.observer.prompt(leading.prompt);
          this.observer.line(leading.rest);
        } else {
          this.observer.line(line);
        }
        // A line may have started a capture (a command sent on a prompt): hand it the rest.
        if (this.capture) break;
      }
      this.buffer = text.slice(start);
      if (this.capture) continue;
      const prompt = promptAlone(this.buffer);
      if (prompt) {
        this.buffer = '';
        this.observer.prompt(prompt);
        return;
      }
      const question = verifierQuestionChoices(this.buffer);
      if (question) {
        const partial = this.buffer;
        this.buffer = '';
        this.observer.question(partial, question.choices);
      }
      return;
    }
  }

  /** Feeds the buffer to the command in flight; true when it completed and the rest is to be read. */
  private advanceCapture(capture: Capture): boolean {
    const chunk = this.buffer;
    this.buffer = '';
    const lines = capture.partial + chunk;
    let start = 0;
    for (let nl = lines.indexOf('\n'); nl >= 0; nl = lines.indexOf('\n', start)) {
      const line = lines.slice(start, nl);
      start = nl + 1;
      if (!EVENT_HINT.test(line)) continue;
      const kd = classifyKdLine(line);
      if (!kd) continue;
      this.observer.eventInCommand(line, kd);
      if (this.capture !== capture) {
        // The observer ended the command (the link was lost): the rest is ordinary output again.
        this.buffer = lines.slice(start);
        return true;
      }
    }
    capture.partial = lines.slice(start);
    // A command that lets the target run a little (p, t) can meet the verifier's question too.
    const question = verifierQuestionChoices(capture.partial);
    if (question) {
      this.observer.question(capture.partial, question.choices);
      capture.partial = '';
    }
    capture.parts.push(chunk);
    const window = capture.tail + chunk;
    capture.tail = window.slice(-(capture.sentinel.length + 16));
    if (!capture.sentinelSeen) {
      if (!window.includes(capture.sentinel)) return false;
      capture.sentinelSeen = true;
    }
    const text = capture.parts.join('');
    capture.parts = [text];
    const at = findSentinelLine(text, capture.sentinel);
    if (!at) return false;
    const after = text.slice(at.end);
    const prompt = promptAtStart(after);
    if (!prompt && !after.includes('\n')) return false;
    const before = text.slice(0, at.start);
    const output = cleanOutput(trailingPrompt(before)?.before ?? before, capture.command, capture.sentinel);
    this.buffer = prompt ? after.slice(prompt.length) : after;
    this.capture = null;
    capture.resolve({ output, prompt: prompt?.prompt ?? null });
    return true;
  }
}

/** Where the sentinel's own output line is in the captured text (not an echo of the `.echo` command). */
function findSentinelLine(text: string, sentinel: string): { start: number; end: number } | null {
  for (let at = text.indexOf(sentinel); at >= 0; at = text.indexOf(sentinel, at + 1)) {
    const next = text.slice(at + sentinel.length, at + sentinel.length + 2);
    if (text[at - 1] === '"') continue;
    if (next.startsWith('\n')) return { start: at, end: at + sentinel.length + 1 };
    if (next === '') return null;
  }
  return null;
}

/** The command's output without what a kd that echoes its input would add, and without stale sentinels. */
function cleanOutput(output: string, command: string, sentinel: string): string {
  return output
    .split('\n')
    .filter((line, i) => !(i === 0 && line === command) && line !== `.echo "${sentinel}"`)
    .filter(
      (line) =>
        !(ANY_SENTINEL.test(line) && promptLeading(line) !== null) &&
        !/^@@DRIVERLAB:[0-9a-f]+:END@@$/.test(line),
    )
    .join('\n');
}
