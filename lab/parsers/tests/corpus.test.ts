/**
 * The corpus of real captures (lab/parsers/corpus/): every capture carries its provenance, every
 * kind has captures, and the exact-match rate of each kind holds its floor; English captures are
 * read exactly at 90 % or more overall, and localized ones are refused with the sentence that says
 * so. `npm run corpus:parsers` prints the table and names every refusal.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { kinds } from '../index.js';
import { check, isEnglish, loadCorpus, rates } from './corpus.testkit.js';

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
