import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Tree } from 'web-tree-sitter';
import { fuzzRuns } from '../../test/fuzz.testkit.js';
import {
  nodesOfType,
  parsePowerShell,
  parseTree,
  reparse,
  skeleton,
  syntaxProblems,
} from '../../test/kits/hyperv/grammar.testkit.js';
import { dataOf, exampleParams, TARGETS } from '../../test/kits/hyperv/script.testkit.js';
import { type OperationName, operationNames } from './ops/operations.js';
import {
  buildScript,
  type ScriptInput,
  type ScriptTarget,
  scriptFromWireLine,
  scriptInput,
  wireLine,
} from './script.js';

const DATA = 'verbatim_here_string_characters';
const RUNS = fuzzRuns(150);

/**
 * What a hostile value is made of: every quote PowerShell knows (it takes ‘ ’ ‚ ‛ for ' and “ ” „
 * for "), subexpressions and variables, the escape character, statement and pipeline separators,
 * every line break (U+2028, U+0085 included), the here-string ends and comment blocks, NUL, a lone
 * surrogate, and text that looks like an escape.
 */
const FRAGMENTS = [
  "'",
  '"',
  '‘',
  '’',
  '‚',
  '‛',
  '“',
  '”',
  '„',
  '$(',
  '$(Remove-Item C:\\ -Recurse -Force)',
  ')',
  '`',
  '`n',
  ';',
  '\n',
  '\r\n',
  '\r',
  "'@",
  '"@',
  "@'",
  '@"',
  "\n'@\n",
  '#>',
  '<#',
  '#',
  '\u2028',
  '\u2029',
  '\u0085',
  '\0',
  '$' + '{env:PATH}',
  '$p',
  '$driverlabInput',
  '|',
  '&',
  '{',
  '}',
  '\\',
  '\\u0027',
  'é',
  '😀',
  '\ud800',
  '\t',
  ' ',
];

const hostile: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ unit: 'binary', maxLength: 6 })), {
        minLength: 1,
        maxLength: 14,
      })
      .map((parts) => parts.join('')),
  },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }) },
  {
    // Very long: up to 40,000 characters of one fragment.
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...FRAGMENTS), fc.integer({ min: 1000, max: 40_000 }))
      .map(([f, n]) => f.repeat(Math.ceil(n / f.length)).slice(0, n)),
  },
);

/** The params with every string replaced by the next value of `pool`, and every string list by a list of them. */
function substitute(value: unknown, pool: string[], counter: { i: number }, listLength: number): unknown {
  const next = (): string => pool[counter.i++ % pool.length] as string;
  if (typeof value === 'string') return next();
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return Array.from({ length: listLength }, next);
    return value.map((v) => substitute(v, pool, counter, listLength));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substitute(v, pool, counter, listLength)]),
    );
  }
  return value;
}

interface Reference {
  script: string;
  tree: Tree;
  skeleton: string;
  descendants: number;
  wireSkeleton: string;
}

const benign = new Map<string, Reference>();

/** The script, tree and skeleton of an operation with plain values ("x"), per place it runs. */
async function benignFor(name: OperationName, where: string, target: ScriptTarget): Promise<Reference> {
  const key = `${name}|${where}`;
  let found = benign.get(key);
  if (!found) {
    const params = substitute(exampleParams(name), ['x'], { i: 0 }, 1);
    const plain: ScriptTarget = {
      computerName: target.computerName === null ? null : 'x',
      credential: target.credential === null ? null : { user: 'x', password: 'x' },
    };
    const script = buildScript(name, params, plain);
    const tree = await parseTree(script);
    found = {
      script,
      tree,
      skeleton: skeleton(tree.rootNode, DATA),
      descendants: tree.rootNode.descendantCount,
      wireSkeleton: skeleton(await parsePowerShell(wireLine(script)), 'verbatim_string_characters'),
    };
    benign.set(key, found);
  }
  return found;
}

/**
 * Each run puts hostile values into every string parameter of one operation (and into the remote
 * host's name and credential), builds the script and checks its syntax tree against the tree of the
 * same script with plain values. Every run is parsed from scratch (no ERROR or MISSING node, one
 * data literal holding exactly the input, the text outside it unchanged, as many nodes as the plain
 * tree) and also incrementally from the plain script's tree, for which tree-sitter reports every
 * range whose structure changed: none may lie outside the literal. Every twentieth run is also
 * compared node by node, with its wire line.
 */
describe('a hostile value in any string parameter', () => {
  it(`stays inside the JSON data literal and leaves the rest of the syntax tree as it is (${RUNS} runs)`, async (t) => {
    let values = 0;
    let full = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operationNames),
        fc.constantFrom(...Object.keys(TARGETS)),
        fc.array(hostile, { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 4 }),
        fc.nat(),
        async (name, where, pool, listLength, seed) => {
          const shape = TARGETS[where] as ScriptTarget;
          const counter = { i: 0 };
          const params = substitute(exampleParams(name), pool, counter, listLength);
          const next = (): string => pool[counter.i++ % pool.length] as string;
          const target: ScriptTarget = {
            computerName: shape.computerName === null ? null : next(),
            credential: shape.credential === null ? null : { user: next(), password: next() },
          };
          values += counter.i;
          const script = buildScript(name, params, target);
          const reference = await benignFor(name, where, shape);

          const fresh = await parseTree(script);
          const { tree, edit, changed } = await reparse(reference.tree, reference.script, script);
          try {
            const root = fresh.rootNode;
            expect.equal(root.hasError, false, 'no ERROR or MISSING node');
            // The data literal is where the frame puts it, the edit lies inside it, and nothing
            // outside it changed: neither the text nor the structure.
            const at = script.indexOf("$driverlabInput = @'\n") + '$driverlabInput = '.length;
            expect.equal(
              at,
              reference.script.indexOf("$driverlabInput = @'\n") + '$driverlabInput = '.length,
            );
            const data = root.descendantForIndex(at, at + 2);
            expect.ok(data && data.type === DATA, `the data literal, not ${data?.type}`);
            expect.equal(script.slice(0, data.startIndex), reference.script.slice(0, data.startIndex));
            expect.equal(
              script.slice(data.endIndex),
              reference.script.slice(reference.script.indexOf("\n'@ | ConvertFrom-Json\n") + 3),
            );
            // (An operation without string parameters run locally gives the plain script itself: no edit.)
            expect.ok(
              script === reference.script || (edit.start >= data.startIndex && edit.end <= data.endIndex),
              `the edit ${edit.start}..${edit.end} is not inside the literal ${data.startIndex}..${data.endIndex}`,
            );
            for (const range of changed) {
              expect.ok(
                range.startIndex >= data.startIndex && range.endIndex <= data.endIndex,
                'structure changed outside the literal',
              );
            }
            expect.equal(root.descendantCount, reference.descendants);
            expect.equal(tree.rootNode.descendantCount, reference.descendants);
            // Every value is inside the literal, exactly as given.
            const input: ScriptInput = scriptInput(params, target);
            expect.deepEqual(dataOf(data.text), input);

            if (seed % 20 === 0) {
              full += 1;
              expect.deepEqual(syntaxProblems(root), []);
              expect.equal(nodesOfType(root, DATA).length, 1);
              const shapeOfFresh = skeleton(root, DATA);
              expect.equal(shapeOfFresh, reference.skeleton);
              expect.equal(skeleton(tree.rootNode, DATA), shapeOfFresh, 'incremental and fresh parse agree');
              const wire = wireLine(script);
              const wireRoot = await parsePowerShell(wire);
              expect.deepEqual(syntaxProblems(wireRoot), []);
              expect.equal(skeleton(wireRoot, 'verbatim_string_characters'), reference.wireSkeleton);
              expect.equal(scriptFromWireLine(wire), script);
            }
          } finally {
            tree.delete();
            fresh.delete();
          }
        },
      ),
      { numRuns: RUNS },
    );
    t.diagnostic(
      `${RUNS} scripts with ${values} hostile values; ${full} compared node by node, with their wire lines`,
    );
  });
});
