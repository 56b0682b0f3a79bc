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
import { expectThat } from '../expectations.js';
import type { LabWorld } from '../world.js';

/** ERROR_COMMITMENT_LIMIT: "The paging file is too small for this operation to complete." */
const COMMITMENT_LIMIT = 1455;

export class Memory {
  /** How many of the scenario's commit requests the guest refused. */
  refused = 0;

  constructor(private readonly world: LabWorld) {}

  /** The lab's commit-hungry test program (a lab tool of kind `commit`). */
  private commitTool(): string {
    const data = this.world.lab.file.data;
    const tool = Object.values(data.tools).find((t) => t.kind === 'commit');
    if (!tool) {
      throw new ConfigurationError(
        `The ${this.world.lab.describe()} names no commit test program, so a scenario cannot make commit requests fail; declare a tool of kind 'commit' for its guests in ${this.world.lab.file.path}.`,
      );
    }
    return tool.program;
  }

  /** Runs the commit test program `times` times, each asking for `megabytes`; counts the refusals. */
  async commit(megabytes: number, times: number): Promise<void> {
    const program = this.commitTool();
    for (let i = 0; i < times; i += 1) {
      const r = await this.world.crashes.run(
        [program, String(megabytes)],
        `a program asked to commit ${megabytes} MB`,
      );
      if (r === null) {
        throw new LabCompromisedError(
          `${this.world.vm.describe()} bugchecked while a program asked to commit ${megabytes} MB, which only fails the request; look at the crash in the report.`,
        );
      }
      if (r.exitCode === COMMITMENT_LIMIT) this.refused += 1;
      else if (r.exitCode !== 0) {
        throw new LabCompromisedError(
          `The commit test program '${program}' failed in ${this.world.vm.describe()} with exit code ${r.exitCode} (${r.stderr.trim() || r.stdout.trim()}); check the lab's test tools.`,
        );
      }
    }
    this.world.did(
      `a program asked ${times} time(s) to commit ${megabytes} MB and was refused ${this.refused} time(s)`,
    );
  }

  private reported: { crash: object; report: VmResult } | null = null;

  /** `!vm 1` of the crash (the memory report), read once per crash. */
  async report(): Promise<VmResult> {
    const crash = this.world.crashes.last;
    if (this.reported && crash && this.reported.crash === crash) return this.reported.report;
    const report = await (await this.world.crashes.analysis()).run('!vm 1', 'vm');
    if (crash) this.reported = { crash, report };
    return report;
  }

  /** nt!MiChargeCommitmentFailures[0..3] and the count the dump's OS version gives by the seed's rule. */
  async failureCounters(): Promise<{ values: number[]; counted: CommitFailureCount; osVersion: string }> {
    const analysis = await this.world.crashes.analysis();
    const { rows } = await analysis.run('dc nt!MiChargeCommitmentFailures L4', 'dwords');
    const values = rows.flatMap((r) => r.values).slice(0, 4);
    if (values.length < 4 || !values.every((v): v is number => v !== null)) {
      throw new LabCompromisedError(
        `The debugger showed ${values.length} member(s) of nt!MiChargeCommitmentFailures on ${this.world.vm.describe()} where the rule needs 4 readable ones (${values.map((v) => (v === null ? '????????' : v)).join(', ')}); check that the dump holds kernel memory and that nt's symbols load.`,
      );
    }
    const osVersion = await analysis.osVersion();
    return { values, counted: countedCommitFailures(values, osVersion), osVersion };
  }

  /** `!vm` counts this many failed commit requests. */
  async expectReportedFailures(count: number): Promise<void> {
    const report = await this.report();
    const reported = failedCommits(report);
    expectThat(this.world, reported === count, {
      expected: `the memory report of ${this.world.vm.describe()} to count ${count} failed commit request(s)`,
      because: this.world.lastAction ?? 'the scenario made no commit request fail',
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
    await this.world.evidence.attach('commit failure rule', null, {
      values,
      counted,
      reported: report.commitFailures,
    });
    expectThat(this.world, failedCommits(report) === counted.total, {
      expected: `!vm's ${report.commitFailures === null ? 'no line about failed commit requests (none failed)' : `${report.commitFailures} failed commit requests`} to be the sum of nt!MiChargeCommitmentFailures`,
      because: `${counted.rule} (the seed's rule)`,
      actual: `the members are ${values.join(', ')}, which makes ${counted.total}`,
    });
  }
}
