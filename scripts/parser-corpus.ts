/**
 * The parsers on the corpus of real captures (lab/parsers/corpus/): the exact-match rate per kind
 * (English captures; localized ones are expected to be refused and counted apart), the overall
 * rate, every refusal with its sentence and every different value with where it differs.
 *
 * Usage: node --import tsx scripts/parser-corpus.ts   (npm run corpus:parsers)
 */
import {
  check,
  isEnglish,
  loadCorpus,
  type Outcome,
  rates,
} from '../test/kits/parsers/tests/corpus.testkit.js';

const outcomes: Outcome[] = loadCorpus().map(check);
const english = outcomes.filter((o) => isEnglish(o.capture));
const localized = outcomes.filter((o) => !isEnglish(o.capture));
const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)} %`);

const lines: string[] = ['kind                   captures  exact  (values, expected refusals)  rate'];
let total = 0;
let exact = 0;
for (const [kind, row] of [...rates(english)].sort((a, b) => a[0].localeCompare(b[0]))) {
  const refusedAsExpected = english.filter(
    (o) => o.capture.kind === kind && o.result === 'exact' && 'sentence' in o && o.sentence,
  ).length;
  lines.push(
    `${kind.padEnd(22)} ${String(row.total).padStart(8)} ${String(row.exact).padStart(6)}  (${String(row.exact - refusedAsExpected).padStart(3)}, ${String(refusedAsExpected).padStart(2)})${' '.repeat(19)}${pct(row.exact, row.total)}`,
  );
  total += row.total;
  exact += row.exact;
}
lines.push(
  `${'English, overall'.padEnd(22)} ${String(total).padStart(8)} ${String(exact).padStart(6)}  ${pct(exact, total)}`,
);
const refusedAsExpected = localized.filter((o) => o.result === 'exact').length;
lines.push(
  `localized captures: ${localized.length}, refused with the sentence that says so: ${refusedAsExpected}`,
);
lines.push(`all captures: ${outcomes.length}`);
const refusals = outcomes.filter(
  (o) => (o.result === 'exact' && 'sentence' in o && o.sentence) || o.result === 'refused',
);
lines.push('', `every refusal (${refusals.length}; "expected" when the capture's expectation is a refusal):`);
for (const o of refusals) {
  const sentence = o.result === 'refused' ? o.sentence : o.result === 'exact' ? (o.sentence ?? '') : '';
  const tag = o.result === 'exact' ? 'expected' : 'NOT expected';
  lines.push(`- ${o.capture.kind}/${o.capture.name} (${tag}): ${sentence}`);
}
const different = outcomes.filter(
  (o) => o.result === 'different' || (o.result === 'refused' && !isEnglish(o.capture)),
);
lines.push('', `different values: ${different.length}`);
for (const o of different) {
  if (o.result === 'different') lines.push(`- ${o.capture.kind}/${o.capture.name}: ${o.where}`);
  else if (o.result === 'refused')
    lines.push(`- ${o.capture.kind}/${o.capture.name}: refused with another sentence: ${o.sentence}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
