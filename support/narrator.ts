/**
 * The Allure narrator: how the lab's named steps and evidence reach the report. lab/ reports
 * through the Narrator port and never imports Allure; this is the only place that translates.
 */
import * as allure from 'allure-js-commons';
import type { Narrator } from '../lab/ports.js';

export const allureNarrator: Narrator = {
  step: async (title, body) => await allure.step(title, () => body()),
  attach: async (name, content, mediaType) => {
    await allure.attachment(name, typeof content === 'string' ? content : Buffer.from(content), {
      contentType: mediaType,
    });
  },
};
