/**
 * What the release gate and the report read from each result beside the labels hooks.ts gives:
 * where the scenario is (`location`, so a broken one can be retried alone), the drivers it put on
 * its VM (`driver`), the bug check it met (`bugcheck`, with a link to the dump when one was
 * written) and the crash's bucket (`crash-bucket`, lab/rules/buckets.ts) once `!analyze` ran.
 * Allure takes labels and links only from steps and Before hooks, so the domain calls these from
 * the steps that install a driver, notice a crash and analyse it; the `location` label is given by
 * a Before hook in hooks.ts (this module registers no hook, so domain code and its tests can import it).
 */
import * as allure from 'allure-js-commons';
import { type AnalyzeResult, crashBucket, stopCodeText } from '../lab/index.js';

/** A driver the scenario put on its VM. */
export async function labelDriver(binary: string): Promise<void> {
  await allure.label('driver', binary);
}

/** The VM bugchecked: the code, and a link to the dump the guest wrote, if it wrote one. */
export async function labelCrash(code: number, dumpPath: string | null, vm: string): Promise<void> {
  await allure.label('bugcheck', stopCodeText(code));
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
  await allure.label('crash-bucket', crashBucket(analysis, code));
}
