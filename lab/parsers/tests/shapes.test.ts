/**
 * One convention everywhere (lab/parsers/README.md, "Conventions"), checked over every value the
 * parsers read from real text — every fixture and every corpus capture that reads to a value:
 * a stop code is `0x` + lowercase hex without leading zeros wherever it appears; every other hex
 * value is `0x` + lowercase digits; every list of objects keeps one shape (the same keys on every
 * item), `!locks` owners and waiters included. Two documented exceptions: a frame's keys after
 * `module`, `function`, `offset` say what its row printed (an inline row has no Child-SP), and
 * `!analyze`'s `keyValues` holds each KEY's text as printed (`BUGCHECK_STR: 0x7E`); the stop code
 * read from it is `bugcheck.code`.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { loadCorpus } from '../../../test/kits/parsers/tests/corpus.testkit.js';
import { fixture, fixturesOf } from '../../../test/kits/parsers/tests/fixtures.testkit.js';
import { type Kind, kinds, ParseError, parsers } from '../index.js';

/** Every value read from a real text, by kind, with where it came from. */
function valuesOf(kind: Kind): { name: string; value: unknown }[] {
  const texts = [
    ...fixturesOf(kind).map((name) => ({ name, text: fixture(name) })),
    ...loadCorpus()
      .filter((c) => c.kind === kind)
      .map((c) => ({ name: `corpus/${kind}/${c.name}`, text: c.text })),
  ];
  const out: { name: string; value: unknown }[] = [];
  for (const t of texts) {
    try {
      out.push({ name: t.name, value: parsers[kind].parse(t.text) });
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
    }
  }
  return out;
}

/** Every [path, value] pair of a value, depth first. */
function* walk(value: unknown, path: string): Generator<[string, unknown]> {
  yield [path, value];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* walk(v, `${path}[${i}]`);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* walk(v, `${path}.${k}`);
}

/** The kinds whose `code` is a bug check's (`auto` holds them per command). */
const STOP_CODE_PATH = /(?:^|\.)bugcheck\.code$|^(?:value)?\.code$|\.event\.bugcheck\.code$/;
const STOP_CODE_KINDS = new Set(['analyze', 'bugcheck-banner', 'event']);
const STOP_CODE = /^0x(?:0|[1-9a-f][0-9a-f]*)$/;

const all = kinds.map((kind) => ({ kind, values: valuesOf(kind) }));

describe('one convention in every value read from real text', () => {
  it('reads values of every kind', () => {
    expect.deepEqual(
      all.filter((k) => k.values.length === 0).map((k) => k.kind),
      [],
    );
  });

  it('writes every stop code 0x + lowercase hex without leading zeros', () => {
    const wrong: string[] = [];
    let seen = 0;
    for (const { kind, values } of all)
      for (const { name, value } of values) {
        const roots: [string, unknown][] =
          kind === 'auto'
            ? ((value as { commands: { kind: string | null; value: unknown }[] }).commands ?? [])
                .filter((c) => c.kind !== null && STOP_CODE_KINDS.has(c.kind))
                .map((c, i) => [`commands[${i}]`, c.value])
            : STOP_CODE_KINDS.has(kind)
              ? [['', value]]
              : [];
        for (const [root, v] of roots)
          for (const [path, x] of walk(v, ''))
            if (STOP_CODE_PATH.test(path) && x !== null) {
              seen += 1;
              if (typeof x !== 'string' || !STOP_CODE.test(x))
                wrong.push(`${name} ${root}${path}: ${String(x)}`);
            }
      }
    expect.deepEqual(wrong, []);
    expect.ok(seen >= 20, `${seen} stop codes seen`);
  });

  it('writes every hex value 0x + lowercase digits', () => {
    const wrong: string[] = [];
    for (const { values } of all)
      for (const { name, value } of values)
        for (const [path, x] of walk(value, ''))
          if (
            typeof x === 'string' &&
            !path.startsWith('.keyValues.') &&
            /^0x[0-9a-fA-F]+$/.test(x) &&
            /[A-F]/.test(x)
          )
            wrong.push(`${name} ${path}: ${x}`);
    expect.deepEqual(wrong, []);
  });

  it('keeps one shape for the items of every list of objects', () => {
    const mixed: string[] = [];
    for (const { values } of all)
      for (const { name, value } of values)
        for (const [path, x] of walk(value, ''))
          if (
            Array.isArray(x) &&
            x.length > 1 &&
            x.every((i) => i !== null && typeof i === 'object' && !Array.isArray(i)) &&
            !x.every((i) => 'module' in i && 'function' in i && 'offset' in i)
          ) {
            const shapes = new Set(
              x.map((i) =>
                Object.keys(i as object)
                  .sort()
                  .join(','),
              ),
            );
            if (shapes.size > 1) mixed.push(`${name} ${path}: ${[...shapes].join(' | ')}`);
          }
    expect.deepEqual(mixed, []);
  });

  it('gives every !locks owner {thread, printedThread, count, owner} and every waiter {kind, thread}', () => {
    const wrong: string[] = [];
    let owners = 0;
    for (const { name, value } of all.find((k) => k.kind === 'locks')?.values ?? []) {
      for (const r of (value as { resources: { owners: object[]; waiters: object[] }[] }).resources) {
        for (const o of r.owners) {
          owners += 1;
          const keys = Object.keys(o).sort().join(',');
          if (keys !== 'count,owner,printedThread,thread') wrong.push(`${name} owner: ${keys}`);
        }
        for (const w of r.waiters) {
          const keys = Object.keys(w).sort().join(',');
          if (keys !== 'kind,thread') wrong.push(`${name} waiter: ${keys}`);
        }
      }
    }
    expect.deepEqual(wrong, []);
    expect.ok(owners >= 10, `${owners} owners seen`);
  });
});
