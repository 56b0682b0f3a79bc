/**
 * The replay executable: started in place of kd (`node replay.mjs <recording> <kd's arguments>`),
 * it plays a recorded session back on its console — the same text, in the same order, in chunks
 * of varying size — and answers the commands the recording answered, as kd did:
 * - before the first prompt it prints what kd printed (pausing for CTRL+C where the recording's
 *   operator broke in: `awaits-break`);
 * - at a prompt (no newline after it) it reads a line: the recorded command gets the recorded
 *   output and the next prompt; `.echo TEXT` prints TEXT and the same prompt (kd's own command);
 *   `q` quits; CTRL+B then ENTER quits at once;
 * - any other line is a failed replay: it says what it expected on standard error and exits 3.
 * Lines end with CR LF, as kd writes them on Windows.
 */
import { readFileSync } from 'node:fs';
import { parseRecording, type Recording } from './recording.js';

export interface PlayerIo {
  write(text: string): void;
  fail(message: string): void;
  exit(code: number): void;
}

/** Plays one recording; `input` is what arrives on standard input, `interrupt` a console CTRL+C. */
export class Player {
  private step = 0;
  private prompt: string | null = null;
  private pending = '';
  private waitingForBreak: (() => void) | null = null;
  private ctrlB = false;
  private breakRequested = false;
  private done = false;

  constructor(
    private readonly recording: Recording,
    private readonly file: string,
    private readonly io: PlayerIo,
    private readonly chunk: (text: string) => string[] = (t) => [t],
  ) {}

  async start(): Promise<void> {
    const preamble = this.recording.preamble;
    const mark = this.recording.awaitsBreak;
    const at = mark === null ? -1 : preamble.findIndex((l) => l.startsWith(mark));
    if (at >= 0) {
      await this.print(preamble.slice(0, at));
      if (!this.breakRequested) {
        await new Promise<void>((resolve) => {
          this.waitingForBreak = resolve;
        });
      }
      await this.print(preamble.slice(at));
    } else {
      await this.print(preamble);
    }
    this.showPrompt();
  }

  interrupt(): void {
    this.breakRequested = true;
    const resume = this.waitingForBreak;
    this.waitingForBreak = null;
    resume?.();
  }

  async input(text: string): Promise<void> {
    for (const ch of text) {
      if (ch === '\x03') {
        this.interrupt();
        continue;
      }
      if (ch === '\x02') {
        this.ctrlB = true;
        continue;
      }
      if (ch !== '\n') {
        this.pending += ch;
        continue;
      }
      const line = this.pending.replace(/\r$/, '');
      this.pending = '';
      if (this.ctrlB) {
        this.io.exit(0);
        return;
      }
      await this.answer(line);
      if (this.done) return;
    }
  }

  private async answer(line: string): Promise<void> {
    const echo = /^\.echo\s+(?:"([^"]*)"|(.*))$/.exec(line.trim());
    if (echo) {
      await this.print([echo[1] ?? echo[2] ?? '']);
      this.io.write(this.prompt ?? '');
      return;
    }
    if (/^qq?$/.test(line.trim())) {
      this.done = true;
      this.io.write('quit:\r\n');
      this.io.exit(0);
      return;
    }
    const step = this.recording.steps[this.step];
    if (!step || step.command === '' || normal(step.command) !== normal(line)) {
      const expected = step && step.command !== '' ? `'${step.command}'` : 'no further command';
      this.done = true;
      this.io.fail(
        `replay: the recording '${this.file}' has no answer for '${line}' at its prompt ${this.step + 1} (it expected ${expected}).`,
      );
      this.io.exit(3);
      return;
    }
    this.step += 1;
    await this.print(step.output);
    this.showPrompt();
  }

  private showPrompt(): void {
    const next = this.recording.steps[this.step];
    if (!next) return;
    this.prompt = next.prompt;
    this.io.write(next.prompt);
  }

  private async print(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    for (const part of this.chunk(lines.map((l) => `${l}\r\n`).join(''))) {
      this.io.write(part);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function normal(command: string): string {
  return command.trim().replace(/\s+/g, ' ');
}

/** Cuts text into chunks of 1 to 97 characters, the same for the same text (a CR LF may be cut). */
export function varyingChunks(text: string): string[] {
  const parts: string[] = [];
  let seed = text.length;
  for (let at = 0; at < text.length; ) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const size = 1 + (seed % 97);
    parts.push(text.slice(at, at + size));
    at += size;
  }
  return parts;
}

/** Runs the player on this process's console. */
export function main(argv: readonly string[]): void {
  const file = argv[0];
  if (!file) {
    process.stderr.write('replay: give the recording to play as the first argument.\n');
    process.exit(2);
  }
  const recording = parseRecording(readFileSync(file, 'utf8'), file);
  const player = new Player(
    recording,
    file,
    {
      write: (text) => process.stdout.write(text),
      fail: (message) => process.stderr.write(`${message}\n`),
      exit: (code) => {
        process.exitCode = code;
        process.stdout.end(() => process.exit(code));
      },
    },
    varyingChunks,
  );
  process.on('SIGINT', () => player.interrupt());
  // Lines wait until what kd printed before its prompt is out; CTRL+C is taken at once.
  let queue = player.start();
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (text: string) => {
    if (text.includes('\x03')) player.interrupt();
    const rest = text.replaceAll('\x03', '');
    if (rest !== '') queue = queue.then(() => player.input(rest));
  });
  process.stdin.on('end', () => process.exit(0));
}
