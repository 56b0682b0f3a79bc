/**
 * Named hooks: they read as steps in the report.
 */
import { After, AfterAll, Before, BeforeAll, Status } from '@cucumber/cucumber';
import * as allure from 'allure-js-commons';
import { allureNarrator } from './narrator.js';
import { closeLab, labFilePath, openLab, theLab } from './runtime.js';
import { type LabWorld, readWorldParameters } from './world.js';

BeforeAll({ name: 'Open the lab' }, async function () {
  const settings = readWorldParameters(this.parameters);
  await openLab(labFilePath(settings.lab, settings.requireLabFile));
});

AfterAll({ name: 'Close the lab' }, async () => {
  await closeLab();
});

Before({ name: 'Report through Allure' }, async function (this: LabWorld) {
  const lab = theLab();
  lab.useNarrator(allureNarrator);
  lab.takeTranscript();
  await allure.parameter('lab', lab.name);
});

After({ name: 'Attach the PowerShell transcript' }, async function (this: LabWorld, { result }) {
  const entries = theLab().takeTranscript();
  if (entries.length === 0) return;
  const text = entries
    .map(
      (e, i) =>
        `### ${i + 1}. ${e.operation} on ${e.subject} — ${e.outcome} in ${Math.round(e.wallMs)} ms\n${e.script}\n--- stdout ---\n${e.stdout.trim()}\n--- stderr ---\n${e.stderr.trim() || '(empty)'}\n`,
    )
    .join('\n');
  const name =
    result?.status === Status.PASSED
      ? 'powershell-transcript.txt'
      : 'powershell-transcript (failed scenario).txt';
  await this.attach(text, { mediaType: 'text/plain', fileName: name });
});
