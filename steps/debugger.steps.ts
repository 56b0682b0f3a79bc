/**
 * Steps about the live kernel debugger: listening, connecting, breaking in, letting the VM run.
 */
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { When, Then } = domain('debugger', 'The live kernel debugger: connecting, breaking in, the prompt');

When(
  'the debugger listens with the key the VM generated',
  {
    description: "Starts the lab's debugger on the scenario's KDNET port with the key the guest generated",
    example: 'When the debugger listens with the key the VM generated',
  },
  async function (this: LabWorld) {
    await this.debugging.listen('generated');
  },
);

When(
  'the debugger listens with a key the VM does not know',
  {
    description: "Starts the lab's debugger on the scenario's KDNET port with a key of its own",
    example: 'When the debugger listens with a key the VM does not know',
  },
  async function (this: LabWorld) {
    await this.debugging.listen('wrong');
  },
);

Then(
  'the debugger connects to the VM within {duration}',
  {
    description: 'The debugger reports the connection to the target within that time',
    example: 'Then the debugger connects to the VM within 2 min',
  },
  async function (this: LabWorld, timeoutMs: number) {
    await this.debugging.expectConnected(timeoutMs);
  },
);

Then(
  'the debugger is still waiting for the VM after {duration}',
  {
    description: 'The debugger has not connected to the target after that time',
    example: 'Then the debugger is still waiting for the VM after 1 min',
  },
  async function (this: LabWorld, timeoutMs: number) {
    await this.debugging.expectNeverConnected(timeoutMs);
  },
);

When(
  'the debugger breaks in',
  {
    description: 'Stops the running target in the debugger',
    example: 'When the debugger breaks in',
  },
  async function (this: LabWorld) {
    await this.debugging.breakIn();
  },
);

Then(
  'the debugger prompt answers',
  {
    description: 'At the prompt the stopped target answers lm, with the kernel among its modules',
    example: 'Then the debugger prompt answers',
  },
  async function (this: LabWorld) {
    await this.debugging.expectPromptAnswers();
  },
);

Then(
  'the debugger breaks in and its prompt answers',
  {
    description:
      'Breaks into the running target; at the prompt it answers lm with the kernel among its modules',
    example: 'Then the debugger breaks in and its prompt answers',
  },
  async function (this: LabWorld) {
    await this.debugging.expectBreakInAnswers();
  },
);

When(
  'the debugger lets the VM run',
  {
    description: 'Resumes the target (g)',
    example: 'When the debugger lets the VM run',
  },
  async function (this: LabWorld) {
    await this.debugging.resume();
  },
);
