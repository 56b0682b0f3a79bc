/**
 * The corpus of real captures (lab/parsers/corpus/): every capture carries its provenance, every
 * kind has captures, and the exact-match rate of each kind holds its floor; English captures are
 * read exactly at 90 % or more overall, and localized ones are refused with the sentence that says
 * so. `npm run corpus:parsers` prints the table and names every refusal.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { check, isEnglish, loadCorpus, rates } from '../../../test/kits/parsers/tests/corpus.testkit.js';
import { kinds } from '../index.js';

/**
 * The share of captures each kind reads exactly (a refusal that was expected counts as exact).
 * Raise a floor when a kind improves; never lower one to let a regression through.
 */
const FLOORS: Record<string, number> = {
  analyze: 1,
  auto: 1,
  'bcdedit-dbgsettings': 1,
  'bcdedit-enum': 1,
  'bugcheck-banner': 1,
  dwords: 1,
  event: 1,
  'fltmc-filters': 1,
  'fltmc-instances': 1,
  irp: 1,
  lm: 1,
  locks: 1,
  miniport: 1,
  pendingnbls: 1,
  pool: 1,
  poolused: 1,
  pte: 1,
  registers: 1,
  stack: 1,
  thread: 1,
  verifier: 1,
  'verifier-irplog': 1,
  'verifier-query': 1,
  vm: 1,
  'vssadmin-writers': 1,
};

/**
 * How many captures each kind holds at least. Every kind needs three; a kind below that is named
 * in FEWER_CAPTURES with what was searched. Raise a count when captures are added; a capture
 * removed fails here instead of silently thinning a kind.
 */
const CAPTURES: Record<string, number> = {
  analyze: 15,
  auto: 3,
  'bcdedit-dbgsettings': 3,
  'bcdedit-enum': 6,
  'bugcheck-banner': 6,
  dwords: 4,
  event: 7,
  'fltmc-filters': 7,
  'fltmc-instances': 3,
  irp: 6,
  lm: 4,
  locks: 5,
  miniport: 3,
  pendingnbls: 3,
  pool: 13,
  poolused: 4,
  pte: 8,
  registers: 19,
  stack: 25,
  thread: 5,
  verifier: 7,
  'verifier-irplog': 1,
  'verifier-query': 2,
  vm: 3,
  'vssadmin-writers': 3,
};

/** Kinds with fewer than three public captures, and why (the searches are in lab/parsers/README.md). */
const FEWER_CAPTURES: Record<string, string> = {
  'verifier-irplog': "no published `!verifier 100` IRP log but the seed's was found",
  'verifier-query':
    "only the documented /querysettings example and one issue comment's /query (cut by the stored excerpt) were found",
};

/** Kinds with no public capture found yet (see lab/parsers/README.md). */
const WITHOUT_CAPTURES = new Set<string>();

const corpus = loadCorpus();
const outcomes = corpus.map(check);

describe('the corpus of real captures', () => {
  it('holds at least 150 captures, each with its provenance', () => {
    expect.ok(corpus.length >= 150, `${corpus.length} captures`);
    const without = corpus.filter((c) => !c.provenance.source).map((c) => `${c.kind}/${c.name}`);
    expect.deepEqual(without, []);
  });

  it('has captures of every kind but those named as having none', () => {
    const covered = new Set(corpus.map((c) => c.kind));
    expect.deepEqual(
      kinds.filter((k) => !covered.has(k) && !WITHOUT_CAPTURES.has(k)),
      [],
    );
  });

  it('holds at least three captures of every kind, and no fewer than before', () => {
    const short: string[] = [];
    for (const kind of kinds) {
      const n = corpus.filter((c) => c.kind === kind).length;
      const least = CAPTURES[kind];
      if (least === undefined) short.push(`${kind} has no capture count`);
      else if (n < least) short.push(`${kind}: ${n} captures, ${least} before`);
      if (n < 3 && FEWER_CAPTURES[kind] === undefined) short.push(`${kind}: ${n} captures, fewer than three`);
      if (n >= 3 && FEWER_CAPTURES[kind] !== undefined)
        short.push(`${kind} has ${n} captures: take it off FEWER_CAPTURES`);
    }
    expect.deepEqual(short, []);
  });

  it('holds captures of x86 and x64 targets and of both debugger generations', () => {
    // The `%% arch:` line says both: `x86 (Windows 7); debugger: old; language: en`.
    const said = (word: RegExp) => corpus.filter((c) => word.test(c.provenance.arch ?? '')).length;
    for (const [what, word] of [
      ['x86', /^[^;]*\bx86\b/],
      ['x64', /^[^;]*\bx64\b/],
      ['old-debugger', /debugger: old\b/],
      ['new-debugger', /debugger: new\b/],
    ] as const)
      expect.ok(said(word) >= 10, `${said(word)} ${what} captures`);
  });

  it('reads each kind at or above its floor', () => {
    const below: string[] = [];
    for (const [kind, row] of rates(outcomes)) {
      const rate = row.exact / row.total;
      const floor = FLOORS[kind];
      if (floor === undefined) below.push(`${kind} has no floor`);
      else if (rate < floor) below.push(`${kind}: ${row.exact} of ${row.total} exact, floor ${floor}`);
    }
    expect.deepEqual(below, []);
  });

  it('reads 90 % or more of the English captures exactly', () => {
    const english = outcomes.filter((o) => isEnglish(o.capture));
    const exact = english.filter((o) => o.result === 'exact').length;
    expect.ok(exact / english.length >= 0.9, `${exact} of ${english.length} English captures read exactly`);
  });

  it('refuses localized captures with the sentence that says the text is not English', () => {
    const localized = outcomes.filter((o) => !isEnglish(o.capture));
    expect.ok(localized.length >= 2, `${localized.length} localized captures`);
    for (const o of localized)
      expect.equal(o.result, 'exact', `${o.capture.kind}/${o.capture.name} is refused as not English`);
  });

  it('never reads a different value where a refusal was expected', () => {
    const wrong = outcomes
      .filter((o) => o.result === 'different' && 'refused' in o.capture.expected)
      .map((o) => `${o.capture.kind}/${o.capture.name}`);
    expect.deepEqual(wrong, []);
  });
});
