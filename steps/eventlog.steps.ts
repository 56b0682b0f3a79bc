/**
 * Steps about the guest's event log.
 */
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { Then } = domain('eventlog', "The guest's event logs");

Then(
  'the application log has a VSS error for {string} saying {string}',
  {
    description: 'The Application log has a VSS event 8193 for that writer whose message says the text',
    example: 'Then the application log has a VSS error for "System Writer" saying "XML document is too long"',
  },
  async function (this: LabWorld, writer: string, says: string) {
    await this.events.expectVssError(writer, says);
  },
);
