/**
 * Steps about kernel memory in a crash: special pool, pool corruption, commit charge.
 */
import type { DriverConfig } from '../lab/index.js';
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { When, Then } = domain('memory', 'Kernel memory: special pool, pool corruption and commit failures');

Then(
  'the memory the crash referenced is special pool',
  {
    description: "!pool on the bug check's referenced address (Arg1) says its region is special pool",
    example: 'Then the memory the crash referenced is special pool',
  },
  async function (this: LabWorld) {
    await this.pool.expectSpecialPool();
  },
);

Then(
  'the page of the memory the crash referenced is not valid',
  {
    description: "!pte on the referenced address shows a PTE that is not valid (special pool's guard page)",
    example: 'Then the page of the memory the crash referenced is not valid',
  },
  async function (this: LabWorld) {
    await this.pool.expectPageNotValid();
  },
);

Then(
  'the crash met corrupt pool',
  {
    description:
      'Among the addresses the crash touched (parameters, context registers), !pool finds a corrupt page',
    example: 'Then the crash met corrupt pool',
  },
  async function (this: LabWorld) {
    await this.pool.expectCorruption();
  },
);

Then(
  'the analysis recommends special pool for {driver} as the next step',
  {
    description:
      'From the corrupt page and its tags, the triage concludes: verifier special pool on the driver',
    example: 'Then the analysis recommends special pool for myfault.sys as the next step',
  },
  async function (this: LabWorld, driver: DriverConfig) {
    await this.pool.expectNextStepSpecialPool(driver.binary);
  },
);

When(
  'a program tries {int} time(s) to commit {int} MB',
  {
    description:
      "Runs the lab's commit test program that many times; requests beyond the commit limit are refused",
    example: 'When a program tries 2 times to commit 12000 MB',
  },
  async function (this: LabWorld, times: number, megabytes: number) {
    await this.memory.commit(megabytes, times);
  },
);

Then(
  'the memory report counts {int} failed commit request(s)',
  {
    description: '!vm 1 says that many commit requests have failed',
    example: 'Then the memory report counts 2 failed commit requests',
  },
  async function (this: LabWorld, count: number) {
    await this.memory.expectReportedFailures(count);
  },
);

Then(
  'that count is the sum of the commit failure counters the OS version counts',
  {
    description: "!vm's count equals nt!MiChargeCommitmentFailures [0]+[1]+[3] (or +[2] on XP/2003)",
    example: 'Then that count is the sum of the commit failure counters the OS version counts',
  },
  async function (this: LabWorld) {
    await this.memory.expectCountFollowsRule();
  },
);
