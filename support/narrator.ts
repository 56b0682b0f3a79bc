/**
 * The Allure narrator: how the lab's named steps and evidence reach the report. lab/ reports
 * through the Narrator port and never imports Allure; this is the only place that translates.
 * Step titles quote guest command lines, which may carry a secret (a KDNET key handed to bcdedit),
 * so titles and attachments go through the lab's Redactor on their way to the report.
 */
import * as allure from 'allure-js-commons';
import type { Narrator, Redactor } from '../lab/index.js';

/** The narrator of a lab: its steps and attachments reach Allure through the lab's redactor. */
export const allureNarrator = (redactor: Pick<Redactor, 'redact'>): Narrator => {
  const redact = (text: string): string => redactor.redact(text);
  return {
    step: async (title, body, options) => {
      if (!options?.expected) return await allure.step(redact(title), () => body());
      // An end the scenario expected: the step ends passed under a title that says how, and the
      // error goes on to the caller outside it.
      let expectedEnd: { error: unknown } | null = null;
      const value = await allure.step(redact(title), async (step) => {
        try {
          return await body();
        } catch (error) {
          const how = options.expected?.(error) ?? null;
          if (how === null) throw error;
          await step.displayName(redact(`${title} — ${how}`));
          expectedEnd = { error };
          return undefined;
        }
      });
      if (expectedEnd !== null) throw (expectedEnd as { error: unknown }).error;
      return value as Awaited<ReturnType<typeof body>>;
    },
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
};
