/**
 * The guest OS's version strings, from its build number: what `!analyze -v` prints as OS_VERSION
 * and BUILDLAB_STR, and the file version of the kernel images (lm, IMAGE_VERSION).
 *
 * Each row is the RTM (or first service-pack) build lab string of that build, as Windows writes it
 * in BuildLabEx ("<build>.<revision>.<arch>fre.<lab>.<yymmdd-hhmm>"); Windows 7 SP1 / Server 2008
 * R2 SP1 is the win7sp1_ldr servicing build seen in a public `!analyze -v` capture
 * (BUILDOSVER_STR 6.1.7601.24231.amd64fre.win7sp1_ldr.180810-0600). A build between two rows takes
 * the lower row's lab and its own number, with revision 0.
 */

interface BuildRow {
  build: number;
  major: number;
  minor: number;
  revision: number;
  lab: string;
  stamp: string;
}

const BUILDS: readonly BuildRow[] = [
  { build: 3790, major: 5, minor: 2, revision: 3959, lab: 'srv03_sp2_rtm', stamp: '070216-1710' },
  { build: 6002, major: 6, minor: 0, revision: 18005, lab: 'lh_sp2rtm', stamp: '090410-1830' },
  { build: 7600, major: 6, minor: 1, revision: 16385, lab: 'win7_rtm', stamp: '090713-1255' },
  { build: 7601, major: 6, minor: 1, revision: 24231, lab: 'win7sp1_ldr', stamp: '180810-0600' },
  { build: 9200, major: 6, minor: 2, revision: 16384, lab: 'win8_rtm', stamp: '120725-1247' },
  { build: 9600, major: 6, minor: 3, revision: 16384, lab: 'winblue_rtm', stamp: '130821-1623' },
  { build: 10240, major: 10, minor: 0, revision: 16384, lab: 'th1', stamp: '150709-1700' },
  { build: 14393, major: 10, minor: 0, revision: 0, lab: 'rs1_release', stamp: '160715-1616' },
  { build: 17134, major: 10, minor: 0, revision: 1, lab: 'rs4_release', stamp: '180410-1804' },
  { build: 17763, major: 10, minor: 0, revision: 1, lab: 'rs5_release', stamp: '180914-1434' },
  { build: 19041, major: 10, minor: 0, revision: 1, lab: 'vb_release', stamp: '191206-1406' },
  { build: 22000, major: 10, minor: 0, revision: 1, lab: 'co_release', stamp: '210604-1628' },
  { build: 22621, major: 10, minor: 0, revision: 1, lab: 'ni_release', stamp: '220506-1250' },
  { build: 26100, major: 10, minor: 0, revision: 1, lab: 'ge_release', stamp: '240331-1435' },
];

export interface OsVersion {
  /** "10.0.19041.1", "6.1.7601.24231", "5.2.3790.3959". */
  version: string;
  /** BUILDLAB_STR: "vb_release", "win7sp1_ldr", "srv03_sp2_rtm". */
  lab: string;
  /** BuildLabEx / BUILDOSVER_STR: "10.0.19041.1.amd64fre.vb_release.191206-1406". */
  buildLabEx: string;
}

/** The version strings of a build (x64). */
export function osVersion(build: number): OsVersion {
  const row = [...BUILDS].reverse().find((r) => r.build <= build) ?? (BUILDS[0] as BuildRow);
  const exact = row.build === build;
  const revision = exact ? row.revision : 0;
  const version = `${row.major}.${row.minor}.${build}.${revision}`;
  return { version, lab: row.lab, buildLabEx: `${version}.amd64fre.${row.lab}.${row.stamp}` };
}
