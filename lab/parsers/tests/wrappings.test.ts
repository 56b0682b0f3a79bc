/**
 * Never a wrong value: every real fixture of every kind, and every capture of the corpus
 * (lab/parsers/corpus) that reads to a value, wrapped the way people paste output
 * (prompt echo, trailing prompt, quote prefixes, indentation, tabs, CRLF, UTF-16LE with a BOM,
 * code fences, HTML entities, console wrapping, elision lines), parses to the same value; cut at
 * any line, it parses to the same value, a prefix of it (a field the cut text does not show is
 * null), or a refusal — never a different value. Runs per kind: DRIVERLAB_FUZZ_RUNS (default 25).
 * A cut inside a line that leaves a well-formed line (`Id : 1` of `Id : 1001`) cannot be told from
 * a whole one; rows cut into a shape no whole row has are tested in conventions.test.ts.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { disagreement } from '../../../test/kits/parsers/tests/compare.testkit.js';
import { loadCorpus } from '../../../test/kits/parsers/tests/corpus.testkit.js';
import { fixture, fixturesOf } from '../../../test/kits/parsers/tests/fixtures.testkit.js';
import { decodeBytes } from '../decode.js';
import { type Kind, kinds, ParseError, parsers } from '../index.js';

const RUNS = Number(process.env.DRIVERLAB_FUZZ_RUNS ?? '') || 25;

/** The command a user would have typed for each kind's output (its echo is a wrapping). */
const TYPED: Record<string, string> = {
  analyze: '0: kd> !analyze -v',
  stack: '0: kd> kn',
  pool: 'kd> !pool fffff9800b5ff000',
  pte: 'kd> !pte fffff9800b5ff000',
  thread: '1: kd> !thread',
  irp: 'kd> !irp',
  verifier: 'kd> !verifier',
  'verifier-irplog': 'kd> !verifier 100',
  'verifier-query': 'C:\\>verifier /querysettings',
  vm: '13: kd> !vm 1',
  locks: '8: kd> !locks',
  lm: 'kd> lm',
  poolused: 'kd> !poolused 2',
  pendingnbls: '0: kd> !ndiskd.pendingnbls',
  miniport: '0: kd> !ndiskd.miniport',
  registers: 'kd> r',
  dwords: 'kd> dc nt!MiChargeCommitmentFailures L4',
  'bugcheck-banner': 'kd> .bugcheck',
  'fltmc-filters': '[PS] C:\\temp> fltmc filters',
  'fltmc-instances': 'PS C:\\Windows\\system32> fltmc instances',
  'vssadmin-writers': '[PS] C:\\temp> vssadmin list writers',
  'bcdedit-dbgsettings': 'C:\\>bcdedit /dbgsettings',
  'bcdedit-enum': 'C:\\>bcdedit /enum',
  event: 'PS C:\\> Get-WinEvent -LogName System -MaxEvents 1 | Format-List',
};

const lines = (t: string) => t.split('\n');
const startsWithPrompt = (t: string) => /^\s*(?:\d+: )?l?kd> |^\s*[A-Z]:\\.*>/.test(t);

/** Each wrapping as a function of the fixture's text (and a number for where or how). */
const WRAPPINGS: Record<string, (text: string, n: number, kind: string) => string> = {
  'prompt echo': (t, _n, kind) =>
    startsWithPrompt(t) || kind === 'auto' ? t : `${TYPED[kind] ?? 'kd> '}\n${t}`,
  'trailing prompt': (t, n, kind) =>
    kind === 'auto' ? t : `${t.replace(/\n*$/, '')}\n${n % 2 === 0 ? '0: kd> ' : 'C:\\>'}`,
  'quote prefix': (t, n) =>
    lines(t)
      .map((l) => `${n % 2 === 0 ? '> ' : '> > '}${l}`)
      .join('\n'),
  'uniform indent': (t, n) =>
    lines(t)
      .map((l) => (l === '' ? l : `${' '.repeat(1 + (n % 8))}${l}`))
      .join('\n'),
  tabs: (t) =>
    lines(t)
      .map((l) => (l === '' ? l : `\t${l}`))
      .join('\n'),
  crlf: (t) => t.replace(/\n/g, '\r\n'),
  'utf-16le with bom': (t) => {
    const bytes = new Uint8Array(2 + t.length * 2);
    bytes[0] = 0xff;
    bytes[1] = 0xfe;
    for (let i = 0; i < t.length; i += 1) {
      const c = t.charCodeAt(i);
      bytes[2 + i * 2] = c & 0xff;
      bytes[3 + i * 2] = c >> 8;
    }
    return decodeBytes(bytes);
  },
  'code fence': (t, n) => `${n % 2 === 0 ? '```' : '```text'}\n${t.replace(/\n*$/, '')}\n\`\`\``,
  'html entities': (t) =>
    t
      .replaceAll('&', '&amp;')
      .replaceAll('<', '&lt;')
      .replaceAll('>', '&gt;')
      .replaceAll('"', '&quot;')
      .replaceAll("'", '&#39;'),
  // A console wrap is recognised when two or more lines fill the width (normalize.ts says why):
  // an output with one over-long line is left as it is.
  'console width': (t, n) => {
    const width = n % 2 === 0 ? 80 : 120;
    const long = lines(t).filter((l) => l.trimEnd().length > width);
    // A line exactly as wide as the console (or a multiple) cannot be told from a wrapped one, on a
    // real console too: such a text is left as it is.
    if (long.length < 2 || lines(t).some((l) => l.trimEnd().length > 0 && l.trimEnd().length % width === 0))
      return t;
    return lines(t)
      .flatMap((raw) => {
        const l = raw.trimEnd();
        const out: string[] = [];
        for (let at = 0; at < l.length; at += width) out.push(l.slice(at, at + width));
        return out.length === 0 ? [''] : out;
      })
      .join('\n');
  },
  elision: (t, n) => {
    const ls = lines(t);
    const at = n % (ls.length + 1);
    ls.splice(at, 0, ['[...]', '--- cut ---', '....'][n % 3] as string);
    return ls.join('\n');
  },
};

type Outcome = { value: unknown } | { refused: ParseError };

function run(kind: Kind, text: string): Outcome {
  try {
    return { value: parsers[kind].parse(text) };
  } catch (error) {
    if (error instanceof ParseError) return { refused: error };
    throw error;
  }
}

const corpus = loadCorpus();

/**
 * A kind's real texts: its fixtures and its corpus captures, each with what it reads to. A
 * fixture is the output itself and must read the same however it is wrapped. A corpus capture is
 * already wrapped as it was published (a prompt, an author's note, `// ` on every line, HTML
 * entities): wrapped once more it may be refused (an entity encoded twice is text that says
 * `&gt;`), but it never reads to a different value.
 */
function wholesOf(kind: Kind): { name: string; text: string; outcome: Outcome; strict: boolean }[] {
  return [
    ...fixturesOf(kind).map((name) => ({ name, text: fixture(name), strict: true })),
    ...corpus
      .filter((c) => c.kind === kind)
      .map((c) => ({ name: `corpus/${kind}/${c.name}`, text: c.text, strict: false })),
  ].map((w) => ({ ...w, outcome: run(kind, w.text) }));
}

const WHOLES = new Map(kinds.map((k) => [k, wholesOf(k)] as const));
const ALL_KINDS = kinds.filter((k) => (WHOLES.get(k) ?? []).length > 0);

describe('every wrapping of a real fixture reads as the fixture itself', () => {
  it('covers every kind, each with texts that read to a value', () => {
    expect.deepEqual(
      kinds.filter((k) => !(WHOLES.get(k) ?? []).some((w) => 'value' in w.outcome)),
      [],
    );
  });
  for (const kind of ALL_KINDS) {
    it(`${kind}: ${Object.keys(WRAPPINGS).length} wrappings, ${RUNS} runs`, () => {
      const wholes = WHOLES.get(kind) ?? [];
      fc.assert(
        fc.property(
          fc.nat({ max: wholes.length - 1 }),
          fc.constantFrom(...Object.keys(WRAPPINGS)),
          fc.nat(),
          (index, wrapping, n) => {
            const whole = wholes[index];
            if (!whole || !('value' in whole.outcome)) return;
            const wrap = WRAPPINGS[wrapping] as (t: string, n: number, k: string) => string;
            const got = run(kind, wrap(whole.text, n, kind));
            if ('refused' in got) {
              if (!whole.strict) return;
              expect.fail(`${whole.name} wrapped as "${wrapping}" was refused: ${got.refused.message}`);
            }
            expect.deepEqual(got.value, whole.outcome.value, `${whole.name} wrapped as "${wrapping}"`);
          },
        ),
        { numRuns: RUNS * 4, seed: 1106 + kind.length },
      );
    });
  }
});

describe('a cut text reads as the same value, a truncated prefix of it, or a refusal', () => {
  for (const kind of ALL_KINDS) {
    it(`${kind}: cut at any line, ${RUNS} runs`, () => {
      const wholes = WHOLES.get(kind) ?? [];
      fc.assert(
        fc.property(
          fc.nat({ max: wholes.length - 1 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (index, where) => {
            const whole = wholes[index];
            if (!whole || !('value' in whole.outcome)) return;
            const at = Math.floor(whole.text.length * where);
            const cut = whole.text.slice(0, whole.text.lastIndexOf('\n', at - 1) + 1);
            const got = run(kind, cut);
            if ('refused' in got) return;
            const d = disagreement(got.value, whole.outcome.value, kind, { short: false });
            expect.equal(d, null, `${whole.name} cut after ${cut.length} characters: ${d}`);
          },
        ),
        { numRuns: RUNS * 4, seed: 2011 + kind.length },
      );
    });
  }
});
