/**
 * Figures for the Hyper-V adapter's scripts: how long building a script and its wire line takes,
 * and how long the PowerShell grammar (tree-sitter-powershell) takes to parse one, per operation.
 * Run: npm run bench powershell
 */

import { operationNames } from '../lab/hyperv/ops/operations.js';
import { buildScript, wireLine } from '../lab/hyperv/script.js';
import { parsePowerShell, syntaxProblems } from '../test/kits/hyperv/grammar.testkit.js';
import { exampleParams } from '../test/kits/hyperv/script.testkit.js';
import type { BenchContext } from './run.js';

const ROUNDS = 20;

export async function run({ print }: BenchContext): Promise<void> {
  let totalParse = 0;
  let totalBuild = 0;
  let totalChars = 0;
  await parsePowerShell('$warm = 1');
  const rows: string[] = [];
  for (const name of operationNames) {
    const params = exampleParams(name);
    let script = '';
    const b0 = performance.now();
    for (let i = 0; i < ROUNDS; i += 1) script = buildScript(name, params);
    const build = (performance.now() - b0) / ROUNDS;
    wireLine(script);
    const p0 = performance.now();
    let problems = 0;
    for (let i = 0; i < ROUNDS; i += 1) problems += syntaxProblems(await parsePowerShell(script)).length;
    const parse = (performance.now() - p0) / ROUNDS;
    totalParse += parse;
    totalBuild += build;
    totalChars += script.length;
    rows.push(
      `${name.padEnd(26)} ${String(script.length).padStart(6)} chars  build ${build.toFixed(3)} ms  parse+check ${parse.toFixed(1)} ms  ${problems === 0 ? 'no syntax error' : `${problems / ROUNDS} syntax errors`}`,
    );
  }
  for (const row of rows) print(row);
  print(
    `${operationNames.length} operations: mean ${Math.round(totalChars / operationNames.length)} chars, build ${(totalBuild / operationNames.length).toFixed(3)} ms, parse+check ${(totalParse / operationNames.length).toFixed(1)} ms per script (${ROUNDS} rounds each)`,
  );
}
