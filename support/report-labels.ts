/**
 * What the release gate and the report read from each result beside the labels hooks.ts gives:
 * where the scenario is (`location`, so a broken one can be retried alone), the drivers it put on
 * its VM (`driver`), the bug check it met (`bugcheck`, with a link to the dump when one was
 * written) and the crash's bucket (`crash-bucket`, lab/gate/buckets.ts) once `!analyze` ran.
 * Allure takes labels and links only from steps and Before hooks, so the domain calls these from
 * the steps that install a driver, notice a crash and analyse it.
 */
import { Before, type ITestCaseHookParameter } from '@cucumber/cucumber';
import * as allure from 'allure-js-commons';
import { type AnalyzeResult, bucketId, bugcheckTag } from '../lab/index.js';

/** The line of the scenario (or of an outline's example row) in its feature file. */
function lineOf({ gherkinDocument, pickle }: ITestCaseHookParameter): number | null {
  const [scenarioId, rowId] = pickle.astNodeIds;
  for (const child of gherkinDocument.feature?.children ?? []) {
    const scenarios = [child.scenario, ...(child.rule?.children.map((c) => c.scenario) ?? [])];
    const found = scenarios.find((s) => s?.id === scenarioId);
    if (!found) continue;
    const row = found.examples.flatMap((e) => e.tableBody).find((r) => r.id === rowId);
    return (row ?? found).location.line;
  }
  return null;
}

Before({ name: 'Locate the scenario for a retry' }, async (hook) => {
  const line = lineOf(hook);
  if (line !== null) await allure.label('location', `${hook.pickle.uri.replace(/\\/g, '/')}:${line}`);
});

/** A driver the scenario put on its VM. */
export async function labelDriver(binary: string): Promise<void> {
  await allure.label('driver', binary);
}

/** The VM bugchecked: the code, and a link to the dump the guest wrote, if it wrote one. */
export async function labelCrash(code: number, dumpPath: string | null, vm: string): Promise<void> {
  await allure.label('bugcheck', bugcheckTag(code));
  if (dumpPath) {
    await allure.link(
      `file:///${encodeURI(dumpPath.replace(/\\/g, '/'))}`,
      `dump ${dumpPath} on ${vm}`,
      'dump',
    );
  }
}

/** `!analyze -v` read the crash: its bucket. */
export async function labelAnalysis(analysis: AnalyzeResult, code: number): Promise<void> {
  const analysed = analysis.bugcheck.code === null ? code : Number.parseInt(analysis.bugcheck.code, 16);
  await allure.label(
    'crash-bucket',
    bucketId({ code: analysed, failureBucketId: analysis.failureBucketId, frames: analysis.stack ?? [] }),
  );
}
