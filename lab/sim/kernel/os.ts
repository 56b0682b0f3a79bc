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
  // 16299 and 18362: the build labs real kd printed for them (lab/kd/replay/corpus/).
  { build: 16299, major: 10, minor: 0, revision: 15, lab: 'rs3_release', stamp: '170928-1534' },
  { build: 17134, major: 10, minor: 0, revision: 1, lab: 'rs4_release', stamp: '180410-1804' },
  { build: 17763, major: 10, minor: 0, revision: 1, lab: 'rs5_release', stamp: '180914-1434' },
  { build: 18362, major: 10, minor: 0, revision: 1, lab: '19h1_release', stamp: '190318-1202' },
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
  /** What kd prints as the build lab ("Edition build lab:", "Built by:"): "19041.1.amd64fre.vb_release.191206-1406". */
  kdBuildLab: string;
}

/** The version strings of a build (x64). */
export function osVersion(build: number): OsVersion {
  const row = [...BUILDS].reverse().find((r) => r.build <= build) ?? (BUILDS[0] as BuildRow);
  const exact = row.build === build;
  const revision = exact ? row.revision : 0;
  const version = `${row.major}.${row.minor}.${build}.${revision}`;
  return {
    version,
    lab: row.lab,
    buildLabEx: `${version}.amd64fre.${row.lab}.${row.stamp}`,
    kdBuildLab: `${build}.${revision}.amd64fre.${row.lab}.${row.stamp}`,
  };
}

/**
 * The name kd gives a target's kernel, from its build — not the product's marketing name: Windows
 * 11 and Server 2016+ are "Windows 10", Server 2008 R2 is "Windows 7" (public captures: "Windows
 * 10 Kernel Version 22000", "Windows 7 Kernel Version 7601 (Service Pack 1)" for a 2008 R2 server;
 * the replay corpus's 26100 guest connects as "Windows 10 26100"). OSNAME in `!analyze -v` is the same.
 */
export function kdProductName(build: number): string {
  if (build >= 10240) return 'Windows 10';
  if (build >= 9600) return 'Windows 8.1';
  if (build >= 9200) return 'Windows 8';
  if (build >= 7600) return 'Windows 7';
  if (build >= 6000) return 'Windows Vista';
  if (build >= 3790) return 'Windows Server 2003';
  return 'Windows XP';
}

/** The service pack kd prints after the build ("7601 (Service Pack 1)"), or null. */
export function servicePackOf(build: number): number | null {
  switch (build) {
    case 7601:
    case 6001:
      return 1;
    case 6002:
    case 3790:
      return 2;
    default:
      return null;
  }
}
