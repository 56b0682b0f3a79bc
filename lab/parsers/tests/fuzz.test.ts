/**
 * Robustness: for every parser, inputs mutated from its real fixtures (truncations, inserted noise
 * lines, swapped, deleted and repeated lines, random bytes, CRLF, indentation). Every call either
 * returns a value that passed its schema or throws ParseError. The number of inputs is the fuzz
 * budget (test/fuzz.testkit.ts: small in `npm test`, 10,000 in `npm run test:fuzz`); how fast the
 * parsers are is measured by `npm run bench`, never asserted here.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../../../test/fuzz.testkit.js';
import { fixture, fixturesOf } from '../../../test/kits/parsers/tests/fixtures.testkit.js';
import { type Kind, kinds, ParseError, parsers } from '../index.js';

const RUNS = fuzzRuns(300);

const NOISE = [
  '*** ERROR: Module load completed but symbols could not be loaded for baddriver.sys',
  'Page 1a2b3 not present in the dump file. Type ".hh dbgerr004" for details',
  '*** WARNING: Unable to verify checksum for ntoskrnl.exe',
  '0: kd> ',
  '3: kd> k',
  'lkd> !pool fffff9800b5ff000',
  '...',
  '',
  '    ',
  '> ',
  'Arg1: fffff9800b5ff000, memory referenced',
  'IRP fffff9800a3f4ee0, Thread fffffa80064c9b50, IRQL = 0, KernelApcDisable = -4, SpecialApcDisable = -1',
  'Child-SP          RetAddr           Call Site',
  '------------------------------  -------------  ------------  -----',
  "Writer name: 'System Writer'",
  'Event ID: 153',
];

type Op =
  | { t: 'truncate'; at: number }
  | { t: 'insert'; at: number; line: string }
  | { t: 'swap'; a: number; b: number }
  | { t: 'delete'; at: number }
  | { t: 'repeat'; at: number }
  | { t: 'bytes'; at: number; bytes: string }
  | { t: 'crlf' }
  | { t: 'indent'; by: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    t: fc.constant('insert' as const),
    at: fc.nat(),
    line: fc.oneof(fc.constantFrom(...NOISE), fc.string({ maxLength: 60 })),
  }),
  fc.record({ t: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ t: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ t: fc.constant('repeat' as const), at: fc.nat() }),
  fc.record({
    t: fc.constant('bytes' as const),
    at: fc.nat(),
    bytes: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  }),
  fc.record({ t: fc.constant('crlf' as const) }),
  fc.record({ t: fc.constant('indent' as const), by: fc.constantFrom('  ', '\t', '> ', '    ', ' \u00a0') }),
);

/** Applies mutations to a fixture's text. */
function mutate(text: string, ops: readonly Op[]): string {
  let lines = text.split('\n');
  for (const o of ops) {
    const at = (n: number) => (lines.length === 0 ? 0 : n % lines.length);
    switch (o.t) {
      case 'truncate': {
        const joined = lines.join('\n');
        lines = joined.slice(0, Math.floor(joined.length * o.at)).split('\n');
        break;
      }
      case 'insert':
        lines.splice(at(o.at), 0, o.line);
        break;
      case 'swap': {
        const a = at(o.a);
        const b = at(o.b);
        [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
        break;
      }
      case 'delete':
        lines.splice(at(o.at), 1);
        break;
      case 'repeat':
        lines.splice(at(o.at), 0, lines[at(o.at)] ?? '');
        break;
      case 'bytes': {
        const i = at(o.at);
        const line = lines[i] ?? '';
        const pos = line.length === 0 ? 0 : o.at % line.length;
        lines[i] = line.slice(0, pos) + o.bytes + line.slice(pos + o.bytes.length);
        break;
      }
      case 'crlf':
        lines = lines.map((l) => `${l}\r`);
        break;
      case 'indent':
        lines = lines.map((l) => `${o.by}${l}`);
        break;
    }
  }
  return lines.join('\n');
}

describe('fuzzing every parser with mutated real fixtures', () => {
  for (const kind of kinds) {
    it(`${kind}: ${RUNS} mutated inputs, only ParseError`, (t) => {
      const sources = fixturesOf(kind).map(fixture);
      expect.ok(sources.length > 0, `fixtures for ${kind}`);
      const parser = parsers[kind as Kind];
      let refused = 0;
      fc.assert(
        fc.property(
          fc.nat({ max: sources.length - 1 }),
          fc.array(op, { minLength: 1, maxLength: 4 }),
          (index, ops) => {
            const input = mutate(sources[index] ?? '', ops);
            try {
              parser.parse(input);
            } catch (error) {
              if (!(error instanceof ParseError)) throw error;
              refused += 1;
            }
          },
        ),
        { numRuns: RUNS, seed: 20240521 + kind.length },
      );
      t.diagnostic(`${kind}: ${refused} of ${RUNS} refused with ParseError`);
    });
  }
});
