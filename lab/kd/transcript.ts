/**
 * The kd console transcript of a session: what kd printed with the commands inline, driverlab's
 * sentinels taken out, every registered secret redacted.
 */
import type { Redactor } from '../config/secrets.js';

type TranscriptPart = { kind: 'out' | 'in'; text: string };

/** The `.echo` of a sentinel KdSession types after each command: never part of the transcript. */
function isSentinelEcho(part: TranscriptPart): boolean {
  return part.kind === 'in' && part.text.startsWith('.echo "@@DRIVERLAB:');
}

/** Takes the sentinel lines KdSession frames commands with out of transcript text. */
function cleanLines(text: string): string {
  return text.replace(/(?:\d+(?:\.\d+)?: )?kd(?::[A-Za-z0-9]+)?> @@DRIVERLAB:[0-9a-f]+:END@@\n/g, '');
}

/**
 * The most of kd's output one transcript keeps (characters): far more than a scenario's session
 * prints (an `!analyze -v` is ~10 KB, a verifier IRP log a few MB), so a debugger that prints
 * without end costs bounded memory; what came after is counted and said at the end.
 */
export const TRANSCRIPT_LIMIT_CHARS = 32 * 1024 * 1024;

/** The transcript of one debugger session, read many times while it grows. */
export class KdTranscript {
  private readonly parts: TranscriptPart[] = [];
  /** The transcript's complete lines so far, cleaned and redacted. */
  private readonly clean = { parts: 0, text: '', pending: '', secrets: 0 };
  /** Characters of kd output kept, and those past the limit that were not. */
  private kept = 0;
  private dropped = 0;

  constructor(
    private readonly redactor: Redactor,
    private readonly limit: number = TRANSCRIPT_LIMIT_CHARS,
  ) {}

  /** What kd printed. */
  output(text: string): void {
    const room = this.limit - this.kept;
    if (text.length > room) {
      this.dropped += text.length - Math.max(room, 0);
      if (room <= 0) return;
      text = text.slice(0, room);
    }
    this.kept += text.length;
    this.parts.push({ kind: 'out', text });
  }

  /** What driverlab typed (`shown` is how it appears: `<CTRL+C>` for the byte 0x03). */
  input(shown: string): void {
    this.parts.push({ kind: 'in', text: shown.endsWith('\n') ? shown : `${shown}\n` });
  }

  /**
   * What kd printed since the last take (or since the start), cleaned and redacted with every secret
   * known now; the transcript then lets go of it. A session kept for many scenarios is read this
   * way, a scenario at a time: each read costs what that scenario printed, not everything before
   * it, and the limit counts from the last take, so a nightly of thousands of scenarios never
   * reaches it and leaves a late scenario without its transcript. text() then starts after it.
   */
  take(): string {
    let raw = '';
    for (const part of this.parts) if (!isSentinelEcho(part)) raw += part.text;
    const note = this.cutNote();
    this.parts.length = 0;
    this.kept = 0;
    this.dropped = 0;
    Object.assign(this.clean, { parts: 0, text: '', pending: '', secrets: this.redactor.size });
    return this.redactor.redact(cleanLines(raw)) + note;
  }

  private cutNote(): string {
    return this.dropped === 0
      ? ''
      : `\n[driverlab: kd printed ${this.dropped} more characters after these; a transcript keeps the first ${this.limit}]\n`;
  }

  /** The transcript so far; reading does not grow with everything before it. */
  text(): string {
    // A sentinel line and a secret never span lines, so line by line gives the same text as a whole.
    const cache = this.clean;
    if (cache.secrets !== this.redactor.size) {
      // A secret registered since (a key captured by a scenario) is taken out of the kept text too.
      cache.text = this.redactor.redact(cache.text);
      cache.secrets = this.redactor.size;
    }
    for (; cache.parts < this.parts.length; cache.parts += 1) {
      const part = this.parts[cache.parts] as TranscriptPart;
      if (!isSentinelEcho(part)) cache.pending += part.text;
    }
    const cut = cache.pending.lastIndexOf('\n') + 1;
    if (cut > 0) {
      cache.text += this.redactor.redact(cleanLines(cache.pending.slice(0, cut)));
      cache.pending = cache.pending.slice(cut);
    }
    return cache.text + this.redactor.redact(cleanLines(cache.pending)) + this.cutNote();
  }
}
