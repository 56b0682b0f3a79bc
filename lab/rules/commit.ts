/**
 * Where `!vm`'s "N commit requests have failed" comes from (seed: "Commitment Failures, Not Just a
 * Failed Love Story"): the sum of the ULONG array nt!MiChargeCommitmentFailures[4]. Members 0 and 1
 * always count; member 2 counts on Windows XP / Server 2003 (NT 5.x), member 3 on anything newer.
 */

export interface CommitFailureCount {
  /** The indexes of the members that count for this OS version. */
  members: number[];
  total: number;
  /** The rule as a sentence part: "members 0, 1 and 3 count on NT 10.0". */
  rule: string;
}

/** The NT version a dump's OS_VERSION ("10.0.19041.1") or a product version names, as [major, minor]. */
export function ntVersion(osVersion: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(osVersion.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** The count `!vm` reports for these member values on this OS version. */
export function countedCommitFailures(values: readonly number[], osVersion: string): CommitFailureCount {
  const version = ntVersion(osVersion);
  if (!version) throw new RangeError(`'${osVersion}' is not an NT version such as 10.0.19041.1`);
  const xp2003 = version[0] === 5;
  const members = xp2003 ? [0, 1, 2] : [0, 1, 3];
  const total = members.reduce((sum, i) => sum + (values[i] ?? 0), 0);
  return {
    members,
    total,
    rule: `members ${members.slice(0, -1).join(', ')} and ${members[members.length - 1]} count on NT ${version.join('.')}`,
  };
}

/**
 * The failed commit requests `!vm` reports: it prints its "commit requests have failed" line only
 * when some have, so no line means none failed (data, not a reading problem).
 */
export function failedCommits(report: { commitFailures: number | null }): number {
  return report.commitFailures ?? 0;
}
