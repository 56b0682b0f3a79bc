/**
 * What KdSession recognises in kd's console output, line by line (domain brief §2.3, §2.6–2.8):
 * prompts, connection banners, the lost-link text, the bug check banner, the verifier question.
 * Pure text in, zod-validated values out.
 */
import * as z from 'zod';

/**
 * kd's prompt: "kd> " on a uniprocessor target, "3: kd> " on processor 3 of a multiprocessor one,
 * and with an effective machine other than the target's (a WoW64 thread) "32.2: kd:x86> " — the
 * "32." marks a 32-bit context, the number after the dot is the processor.
 */
const PROMPT_SOURCE = String.raw`(?:(\d+)(?:\.(\d+))?: )?kd(?::([A-Za-z0-9]+))?> `;
/** A prompt alone on the (partial, unterminated) last line. */
const PROMPT_ALONE = new RegExp(`^${PROMPT_SOURCE}$`);
/** A prompt at the start of a line with more text after it (output of typed-ahead input). */
const PROMPT_LEADING = new RegExp(`^${PROMPT_SOURCE}(.*)$`, 's');
/** A prompt that ends a text. */
const PROMPT_TRAILING = new RegExp(`(${PROMPT_SOURCE})$`);
/** A prompt that starts a text (the prompt after a command's sentinel). */
const PROMPT_AT_START = new RegExp(`^(${PROMPT_SOURCE})`);

export const PromptSchema = z.object({
  processor: z.number().int().nonnegative().nullable(),
  /** The effective machine when kd shows it ("x86" on a WoW64 thread), else null. */
  machine: z.string().nullable(),
});
export type Prompt = z.infer<typeof PromptSchema>;

function promptFrom(
  first: string | undefined,
  afterDot: string | undefined,
  machine: string | undefined,
): Prompt {
  const processor = afterDot ?? first;
  return PromptSchema.parse({
    processor: processor === undefined ? null : Number(processor),
    machine: machine ?? null,
  });
}

/** The prompt when `partialLine` is exactly one, else null. */
export function promptAlone(partialLine: string): Prompt | null {
  const m = PROMPT_ALONE.exec(partialLine);
  return m ? promptFrom(m[1], m[2], m[3]) : null;
}

/** A line that starts with a prompt: the prompt and the rest of the line, else null. */
export function promptLeading(line: string): { prompt: Prompt; rest: string } | null {
  const m = PROMPT_LEADING.exec(line);
  return m ? { prompt: promptFrom(m[1], m[2], m[3]), rest: m[4] ?? '' } : null;
}

/** Text ending with a prompt: the text before it and the prompt, else null. */
export function trailingPrompt(text: string): { before: string; prompt: Prompt } | null {
  const m = PROMPT_TRAILING.exec(text);
  if (!m?.[1]) return null;
  return { before: text.slice(0, text.length - m[1].length), prompt: promptFrom(m[2], m[3], m[4]) };
}

/** Text starting with a prompt: the prompt's length and the prompt, else null. */
export function promptAtStart(text: string): { length: number; prompt: Prompt } | null {
  const m = PROMPT_AT_START.exec(text);
  if (!m?.[1]) return null;
  return { length: m[1].length, prompt: promptFrom(m[2], m[3], m[4]) };
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
  z.object({ kind: z.literal('refresh') }),
  z.object({ kind: z.literal('analysis-hint') }),
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
  // KDNET re-initialises once the NIC's own driver loads: the target prints this and connects again.
  [/^KDTARGET: Refreshing KD connection/, () => ({ kind: 'refresh' })],
  [/^For analysis of this file, run !analyze -v/, () => ({ kind: 'analysis-hint' })],
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

/** The commands that let the target run until an event (kd prints no prompt until it stops). */
const RESUMING = new Set(['g', 'gc', 'gh', 'gn', 'gu', '.crash', '.reboot']);

/**
 * Splits a kd command line into its commands as kd does: at `;` outside double quotes (a quoted
 * `.echo "a;b"` is one command).
 */
export function splitCommandLine(line: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** A command's word without a thread prefix (`~0 g`, `~* gu`, `~. p`): lower case. */
export function commandWord(command: string): string {
  const bare = command.trim().replace(/^~(?:\d+|\*|\.|#)?\s*/, '');
  const m = /^(\.?[A-Za-z]+|!?[A-Za-z0-9_.]+)/.exec(bare);
  return (m?.[1] ?? '').toLowerCase();
}

/**
 * The command of a line that lets the target run (anywhere in a compound line: `bp X; g`,
 * `~0 g`, `gu`), else null. Steps (`p`, `t`) return to a prompt by themselves and are not counted.
 */
export function resumingCommand(line: string): string | null {
  for (const command of splitCommandLine(line)) {
    if (RESUMING.has(commandWord(command))) return command;
  }
  return null;
}
