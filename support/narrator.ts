/**
 * The Allure narrator: how the lab's named steps and evidence reach the report. lab/ reports
 * through the Narrator port and never imports Allure; this is the only place that translates.
 * Step titles quote guest command lines, which may carry a secret (a KDNET key handed to bcdedit),
 * so titles and attachments go through the lab's Redactor on their way to the report.
 */
import * as allure from 'allure-js-commons';
import type { Narrator } from '../lab/index.js';
import { theLab } from './runtime.js';

const redact = (text: string): string => theLab().redactor.redact(text);

export const allureNarrator: Narrator = {
  step: async (title, body) => await allure.step(redact(title), () => body()),
  attach: async (name, content, mediaType) => {
    await allure.attachment(
      redact(name),
      typeof content === 'string' ? redact(content) : Buffer.from(content),
      {
        contentType: mediaType,
      },
    );
  },
};
