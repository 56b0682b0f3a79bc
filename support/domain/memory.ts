/**
 * Memory (seed: "Commitment Failures, Not Just a Failed Love Story"): a program that asks for more
 * commit than the VM can back, and where `!vm`'s "N commit requests have failed" comes from — the
 * members of nt!MiChargeCommitmentFailures the OS version counts (lab/rules/commit.ts).
 */
import {
  type CommitFailureCount,
  ConfigurationError,
  countedCommitFailures,
  failedCommits,
  LabCompromisedError,
  type VmResult,
} from '../../lab/index.js';
import type { Expect, Keeps, LabAccess, Narrative, TestVm } from '../capabilities.js';
import type { Crashes } from './crashes.js';

/** ERROR_COMMITMENT_LIMIT: "The paging file is too small for this operation to complete." */
const COMMITMENT_LIMIT = 1455;

/** What memory scenarios use: the lab (its commit test program), the VM, the crashes, evidence, the narrative and expectations. */
export interface MemoryNeeds extends LabAccess, Pick<TestVm, 'vm'>, Keeps {
  readonly crashes: Pick<Crashes, 'run' | 'last' | 'analysis'>;
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export class Memory {
  /** How many of the scenario's commit requests the guest refused. */
  refused = 0;

  constructor(private readonly my: MemoryNeeds) {}

  /** The lab's commit-hungry test program (a lab tool of kind `commit`). */
  private commitTool(): string {
    const data = this.my.lab.file.data;
    const tool = Object.values(data.tools).find((t) => t.kind === 'commit');
    if (!tool) {
      throw new ConfigurationError(
        `The ${this.my.lab.describe()} names no commit test program, so a scenario cannot make commit requests fail; declare a tool of kind 'commit' for its guests in ${this.my.lab.file.path}.`,
      );
    }
    return tool.program;
  }

  /** Runs the commit test program `times` times, each asking for `megabytes`; counts the refusals. */
  async commit(megabytes: number, times: number): Promise<void> {
    const program = this.commitTool();
    for (let i = 0; i < times; i += 1) {
      const r = await this.my.crashes.run(
        [program, String(megabytes)],
        `a program asked to commit ${megabytes} MB`,
      );
      if (r === null) {
        throw new LabCompromisedError(
          `${this.my.vm.describe()} bugchecked while a program asked to commit ${megabytes} MB, which only fails the request; look at the crash in the report.`,
        );
      }
      if (r.exitCode === COMMITMENT_LIMIT) this.refused += 1;
      else if (r.exitCode !== 0) {
        throw new LabCompromisedError(
          `The commit test program '${program}' failed in ${this.my.vm.describe()} with exit code ${r.exitCode} (${r.stderr.trim() || r.stdout.trim()}); check the lab's test tools.`,
        );
      }
    }
    this.my.narrative.did(
      `a program asked ${times} time(s) to commit ${megabytes} MB and was refused ${this.refused} time(s)`,
    );
  }

  private reported: { crash: object; report: VmResult } | null = null;

  /** `!vm 1` of the crash (the memory report), read once per crash. */
  async report(): Promise<VmResult> {
    const crash = this.my.crashes.last;
    if (this.reported && crash && this.reported.crash === crash) return this.reported.report;
    const report = await (await this.my.crashes.analysis()).run('!vm 1', 'vm');
    if (crash) this.reported = { crash, report };
    return report;
  }

  /** nt!MiChargeCommitmentFailures[0..3] and the count the dump's OS version gives by the seed's rule. */
  async failureCounters(): Promise<{ values: number[]; counted: CommitFailureCount; osVersion: string }> {
    const analysis = await this.my.crashes.analysis();
    const { rows } = await analysis.run('dc nt!MiChargeCommitmentFailures L4', 'dwords');
    const values = rows.flatMap((r) => r.values).slice(0, 4);
    if (values.length < 4 || !values.every((v): v is number => v !== null)) {
      throw new LabCompromisedError(
        `The debugger showed ${values.length} member(s) of nt!MiChargeCommitmentFailures on ${this.my.vm.describe()} where the rule needs 4 readable ones (${values.map((v) => (v === null ? '????????' : v)).join(', ')}); check that the dump holds kernel memory and that nt's symbols load.`,
      );
    }
    const osVersion = await analysis.osVersion();
    return { values, counted: countedCommitFailures(values, osVersion), osVersion };
  }

  /** `!vm` counts this many failed commit requests. */
  async expectReportedFailures(count: number): Promise<void> {
    const report = await this.report();
    const reported = failedCommits(report);
    this.my.expect.that(reported === count, {
      expected: `the memory report of ${this.my.vm.describe()} to count ${count} failed commit request(s)`,
      because: this.my.narrative.lastAction ?? 'the scenario made no commit request fail',
      actual:
        report.commitFailures === null
          ? '!vm prints no "commit requests have failed" line, so none failed'
          : `!vm counts ${report.commitFailures}`,
    });
  }

  /** `!vm`'s count is the sum of the MiChargeCommitmentFailures members the OS version counts. */
  async expectCountFollowsRule(): Promise<void> {
    const report = await this.report();
    const { values, counted } = await this.failureCounters();
    await this.my.evidence.attach('commit failure rule', null, {
      values,
      counted,
      reported: report.commitFailures,
    });
    this.my.expect.that(failedCommits(report) === counted.total, {
      expected: `!vm's ${report.commitFailures === null ? 'no line about failed commit requests (none failed)' : `${report.commitFailures} failed commit requests`} to be the sum of nt!MiChargeCommitmentFailures`,
      because: `${counted.rule} (the seed's rule)`,
      actual: `the members are ${values.join(', ')}, which makes ${counted.total}`,
    });
  }
}
