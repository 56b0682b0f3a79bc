/**
 * The evidence a scenario keeps: every guest command and its output, every debugger command and
 * what it printed, and every parsed value an expectation compared. Everything is redacted with the
 * lab's Redactor at the moment it reaches the report — a KDNET key a scenario captured later is
 * taken out of what was recorded before it was known.
 */
import type { GuestCommandResult } from '../lab/index.js';

/** How a scenario reports an attachment (the World's Cucumber attach). */
export type Attach = (
  content: string,
  options: { mediaType: string; fileName: string },
) => void | Promise<void>;

export interface GuestOutput {
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  note?: string;
}

export class Evidence {
  private readonly guestOutputs: GuestOutput[] = [];

  constructor(
    private readonly attachFn: Attach,
    private readonly redact: (text: string) => string,
  ) {}

  /** Keeps a guest command's output for the after-scenario attachment. */
  guest(result: GuestCommandResult | GuestOutput): void {
    if ('durationMs' in result) {
      this.guestOutputs.push({
        command: result.command.join(' '),
        exitCode: result.exitCode,
        stdout: result.stdout,
        stderr: result.stderr,
      });
    } else this.guestOutputs.push(result);
  }

  /** The guest outputs of the scenario as one text (redacted), or null when there were none. */
  guestTranscript(): string | null {
    if (this.guestOutputs.length === 0) return null;
    return this.redact(
      this.guestOutputs
        .map(
          (o, i) =>
            `### ${i + 1}. ${o.command} — exit code ${o.exitCode ?? 'none'}${o.note ? ` (${o.note})` : ''}\n${o.stdout.trimEnd()}${o.stderr.trim() ? `\n--- stderr ---\n${o.stderr.trimEnd()}` : ''}\n`,
        )
        .join('\n'),
    );
  }

  /** Attaches what an expectation read: the raw output and, when it was parsed, the parsed JSON. */
  async attach(name: string, raw: string | null, parsed?: unknown): Promise<void> {
    // `!` stays: `kd !analyze -v` is the command a reader looks for.
    const file = name.replace(/[^A-Za-z0-9 !._-]+/g, '_').slice(0, 80);
    if (raw !== null) {
      await this.attachFn(this.redact(raw), { mediaType: 'text/plain', fileName: `${file}.txt` });
    }
    if (parsed !== undefined) {
      await this.attachFn(this.redact(JSON.stringify(parsed, null, 2)), {
        mediaType: 'application/json',
        fileName: `${file}.json`,
      });
    }
  }

  /** Attaches a text as it is (redacted). */
  async text(fileName: string, text: string): Promise<void> {
    await this.attachFn(this.redact(text), { mediaType: 'text/plain', fileName });
  }
}
