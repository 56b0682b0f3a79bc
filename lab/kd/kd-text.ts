/**
 * What KdSession recognises in kd's console output, line by line (domain brief §2.3, §2.6–2.8):
 * prompts, connection banners, the lost-link text, the bug check banner, the verifier question.
 * Pure text in, zod-validated values out.
 */
import { z } from 'zod';

/** A prompt alone on the (partial, unterminated) last line: "kd> " or "3: kd> ". */
const PROMPT_ALONE = /^(?:(\d+): )?kd> $/;
/** A prompt at the start of a line with more text after it (output of typed-ahead input). */
const PROMPT_LEADING = /^(?:(\d+): )?kd> (.*)$/s;

export const PromptSchema = z.object({ processor: z.number().int().nonnegative().nullable() });
export type Prompt = z.infer<typeof PromptSchema>;

function promptFrom(group: string | undefined): Prompt {
  return PromptSchema.parse({ processor: group === undefined ? null : Number(group) });
}

/** The prompt when `partialLine` is exactly one, else null. */
export function promptAlone(partialLine: string): Prompt | null {
  const m = PROMPT_ALONE.exec(partialLine);
  return m ? promptFrom(m[1]) : null;
}

/** A line that starts with a prompt: the prompt and the rest of the line, else null. */
export function promptLeading(line: string): { prompt: Prompt; rest: string } | null {
  const m = PROMPT_LEADING.exec(line);
  return m ? { prompt: promptFrom(m[1]), rest: m[2] ?? '' } : null;
}

/** Text ending with a prompt: the text before it and the prompt, else null. */
export function trailingPrompt(text: string): { before: string; prompt: Prompt } | null {
  const m = /((?:(\d+): )?kd> )$/.exec(text);
  if (!m?.[1]) return null;
  return { before: text.slice(0, text.length - m[1].length), prompt: promptFrom(m[2]) };
}

const hexParam = z.string().regex(/^0x[0-9a-fA-F`]+$/);

export const KdLine = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('waiting') }),
  z.object({
    kind: z.literal('target-reached'),
    target: z.string(),
    port: z.number().int().min(0).max(65535),
    local: z.string(),
  }),
  z.object({
    kind: z.literal('connected'),
    product: z.string(),
    build: z.number().int().positive(),
    arch: z.string(),
    ptr64: z.boolean(),
  }),
  z.object({ kind: z.literal('established'), initialBreak: z.boolean() }),
  z.object({ kind: z.literal('shutdown') }),
  z.object({ kind: z.literal('retry'), count: z.number().int().positive() }),
  z.object({ kind: z.literal('transport-lost') }),
  z.object({
    kind: z.literal('fatal'),
    codeText: z.string().regex(/^0x[0-9a-fA-F]{8}$/),
    code: z.number().int(),
  }),
  z.object({ kind: z.literal('fatal-params'), args: z.tuple([hexParam, hexParam, hexParam, hexParam]) }),
  z.object({ kind: z.literal('break-instruction') }),
]);
export type KdLine = z.infer<typeof KdLine>;

const LINE_PATTERNS: Array<[RegExp, (m: RegExpExecArray) => unknown]> = [
  [/^Waiting to reconnect\.\.\./, () => ({ kind: 'waiting' })],
  [
    /^Connected to target (\S+) on port (\d+) on local IP (\S+?)\.?\s*$/,
    (m) => ({ kind: 'target-reached', target: m[1], port: Number(m[2]), local: m[3] }),
  ],
  [
    /^Connected to (.+?) (\d+) (\S+) target at \((.+)\), ptr64 (TRUE|FALSE)/,
    (m) => ({ kind: 'connected', product: m[1], build: Number(m[2]), arch: m[3], ptr64: m[5] === 'TRUE' }),
  ],
  [
    /^Kernel Debugger connection established\.(\s+\(Initial Breakpoint requested\))?/,
    (m) => ({ kind: 'established', initialBreak: m[1] !== undefined }),
  ],
  [/^Shutdown occurred\b/, () => ({ kind: 'shutdown' })],
  [
    /^\.\.\. Retry sending the same data packet for (\d+) times\./,
    (m) => ({ kind: 'retry', count: Number(m[1]) }),
  ],
  [
    /^The transport connection between host kernel debugger and target Windows seems lost\./,
    () => ({ kind: 'transport-lost' }),
  ],
  [
    /^\*\*\* Fatal System Error: (0x[0-9a-fA-F]{8})/,
    (m) => ({ kind: 'fatal', codeText: m[1], code: Number.parseInt(m[1] ?? '', 16) }),
  ],
  [
    /^\s+\((0x[0-9a-fA-F`]+),\s*(0x[0-9a-fA-F`]+),\s*(0x[0-9a-fA-F`]+),\s*(0x[0-9a-fA-F`]+)\)/,
    (m) => ({ kind: 'fatal-params', args: [m[1], m[2], m[3], m[4]] }),
  ],
  [/^Break instruction exception - code 80000003\b/, () => ({ kind: 'break-instruction' })],
];

/** What a complete line of kd output means to the session, or null for any other line. */
export function classifyKdLine(line: string): KdLine | null {
  for (const [pattern, build] of LINE_PATTERNS) {
    const m = pattern.exec(line);
    if (m) {
      const parsed = KdLine.safeParse(build(m));
      return parsed.success ? parsed.data : null;
    }
  }
  return null;
}

export const VerifierQuestionSchema = z.object({
  choices: z.array(z.enum(['b', 'i', 'z', 'r', 'd'])).min(1),
});

/**
 * The choices when the partial last line is Driver Verifier's question (DbgPrompt prints
 * "Break, Ignore, Zap, Remove, Disable all (bizrd)? " or "Break, Ignore, Disable all (bid)? " and
 * waits for a line), else null.
 */
export function verifierQuestionChoices(partialLine: string): z.infer<typeof VerifierQuestionSchema> | null {
  const m = /\((bizrd|bid)\)\?\s*$/i.exec(partialLine);
  if (!m?.[1]) return null;
  return VerifierQuestionSchema.parse({ choices: [...m[1].toLowerCase()] });
}

/** The sentinel KdSession echoes after a command; quoted on the wire so `;` can never cut it. */
export function sentinelFor(id: string): string {
  return `@@DRIVERLAB:${id}:END@@`;
}

/** Any driverlab sentinel (an old one may surface after a lost link). */
export const ANY_SENTINEL = /@@DRIVERLAB:[0-9a-f]+:END@@/;
