/**
 * A recorded kd console session (lab/kd/replay/README.md): a provenance header, then the
 * transcript as kd printed it. The transcript is cut into what kd printed before its first prompt
 * and, per prompt, the command typed at it and what kd printed until the next prompt.
 *
 * Pure: text in, zod-validated value out. The prompt pattern here is the replayer's own, written
 * from the recordings, so a prompt KdSession fails to recognise shows as a failed replay.
 */
import * as z from 'zod';

export const RECORDING_MAGIC = '# kd-replay: 1';
export const TRANSCRIPT_MARK = '--- transcript ---';

const Expectation = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('established'), count: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('refresh'), count: z.number().int().nonnegative() }),
  z.object({
    kind: z.literal('stop'),
    stop: z.enum(['break', 'bugcheck']),
    code: z.number().int().nullable(),
  }),
  z.object({ kind: z.literal('processor'), processor: z.number().int().nonnegative().nullable() }),
  z.object({ kind: z.literal('machine'), machine: z.string() }),
]);
export type Expectation = z.infer<typeof Expectation>;

export const RecordingSchema = z.object({
  title: z.string().min(1),
  source: z.string().min(1),
  retrieved: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  edits: z.string().min(1),
  attach: z.enum(['net', 'com', 'dump', 'excerpt']),
  /** The start of the line at which playback waits for CTRL+C (the operator broke in there). */
  awaitsBreak: z.string().nullable(),
  expect: z.array(Expectation),
  /** What kd printed before its first prompt (lines). */
  preamble: z.array(z.string()),
  steps: z.array(
    z.object({
      prompt: z.string(),
      command: z.string(),
      /** What kd printed for the command, up to the next prompt (or the end of the recording). */
      output: z.array(z.string()),
      /** False when the recording ends before the next prompt: the output may be cut. */
      closed: z.boolean(),
    }),
  ),
});
export type Recording = z.infer<typeof RecordingSchema>;

/** A prompt at the start of a recorded line; a trailing space a web page dropped is given back. */
const PROMPT = /^((?:\d+(?:\.\d+)?: )?kd(?::[A-Za-z0-9]+)?>)(?: (.*)|$)/;

function expectation(value: string, file: string): Expectation {
  const [word = '', ...rest] = value.trim().split(/\s+/);
  const arg = rest.join(' ');
  const parsed = (() => {
    switch (word) {
      case 'established':
      case 'refresh':
        return { kind: word, count: Number(arg) };
      case 'stop': {
        const [kind, code] = rest;
        return { kind: 'stop', stop: kind, code: code === undefined ? null : Number.parseInt(code, 16) };
      }
      case 'processor':
        return { kind: 'processor', processor: arg === 'none' ? null : Number(arg) };
      case 'machine':
        return { kind: 'machine', machine: arg };
      default:
        return { kind: word };
    }
  })();
  const result = Expectation.safeParse(parsed);
  if (!result.success) {
    throw new Error(
      `The recording '${file}' has an expectation 'expect: ${value}' that is not one of: established N, refresh N, stop break|bugcheck [CODE], processor N|none, machine NAME; correct its header.`,
    );
  }
  return result.data;
}

/** Reads a recording; a header without provenance or a transcript without a mark is refused. */
export function parseRecording(text: string, file: string): Recording {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[0] !== RECORDING_MAGIC) {
    throw new Error(
      `The recording '${file}' does not start with '${RECORDING_MAGIC}'; see lab/kd/replay/README.md for the format.`,
    );
  }
  const mark = lines.indexOf(TRANSCRIPT_MARK);
  if (mark < 0) {
    throw new Error(
      `The recording '${file}' has no '${TRANSCRIPT_MARK}' line; put one between the header and the transcript.`,
    );
  }
  const header: Record<string, string> = {};
  const expect: Expectation[] = [];
  for (const line of lines.slice(1, mark)) {
    const m = /^# ([a-z-]+): (.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    if (m[1] === 'expect') expect.push(expectation(m[2], file));
    else header[m[1]] = header[m[1]] === undefined ? m[2] : `${header[m[1]]} ${m[2]}`;
  }
  let transcript = lines.slice(mark + 1);
  if (transcript.at(-1) === '') transcript = transcript.slice(0, -1);
  const preamble: string[] = [];
  const steps: Recording['steps'] = [];
  for (const line of transcript) {
    const m = PROMPT.exec(line);
    if (m?.[1]) {
      const last = steps.at(-1);
      if (last) last.closed = true;
      steps.push({ prompt: `${m[1]} `, command: m[2] ?? '', output: [], closed: false });
      continue;
    }
    const last = steps.at(-1);
    if (last) last.output.push(line);
    else preamble.push(line);
  }
  const parsed = RecordingSchema.safeParse({
    title: header.title,
    source: header.source,
    retrieved: header.retrieved,
    edits: header.edits,
    attach: header.attach,
    awaitsBreak: header['awaits-break'] ?? null,
    expect,
    preamble,
    steps,
  });
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(
      `The recording '${file}' lacks or misstates ${fields} in its header; every recording names its title, source, retrieved date, edits and attach (lab/kd/replay/README.md).`,
    );
  }
  return parsed.data;
}
