/**
 * The crash dump a bugcheck left in a guest, fetched host-side (domain brief §5.2–5.3; issue 5 §4):
 * the file is copied out of the guest over PowerShell Direct once the guest is back up, never
 * pulled with `.dump` over the debug link (KDNET moves 1.5–2.5 MB/s, a kernel dump is gigabytes).
 * Everything goes through the lab ports, so the same code serves a real lab and the embedded one.
 *
 * Which dump: event 1001 (WER-SystemErrorReporting) of the last bugcheck names the file Windows
 * saved ("A dump was saved in: C:\Windows\MEMORY.DMP."), or says none was. Without that event
 * (CrashControl LogEvent off, or not logged yet) the guest's CrashControl decides: the kernel dump
 * (DumpFile) when it exists, else the newest minidump in MinidumpDir (`dir /b /o-d`).
 */
import { basename, join } from 'node:path';
import { LabCompromisedError } from '../errors.js';
import type { Guest, GuestEvent } from '../ports.js';

const CRASH_CONTROL = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl';
const CURRENT_VERSION = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';
const WER = 'Microsoft-Windows-WER-SystemErrorReporting';

/** The guest a dump is fetched from (a Vm's guest). */
export type DumpGuest = Pick<Guest, 'describe' | 'events' | 'copyOut' | 'registryValue' | 'run'>;

/** What event 1001 said of the last bugcheck. */
export interface BugcheckReportEvent {
  /** "0x000000d6 (0xffff…, …)" as the event's first insertion string gives it. */
  bugcheck: string;
  /** The dump Windows says it saved, or null when it says none was saved. */
  dumpPath: string | null;
  timeCreated: string;
  message: string;
}

export interface FetchedDump {
  /** The dump's path in the guest. */
  guestPath: string;
  /** Where it was copied on the Hyper-V host. */
  hostPath: string;
  /** Event 1001 of the bugcheck that wrote it, when the guest logged one. */
  report: BugcheckReportEvent | null;
}

export interface FetchDumpOptions {
  /** Only a bugcheck reported at or after this ISO time counts (the start of the scenario). */
  since?: string;
  /** Lab milliseconds the copy may take (a kernel dump may be gigabytes). */
  copyTimeoutMs?: number;
}

/** Event 1001's report, read from its insertion strings, with its message as a fallback. */
export function readBugcheckReport(event: GuestEvent): BugcheckReportEvent {
  const saved = /A dump was saved in: (.+?)\.?\s*$/m.exec(event.message)?.[1] ?? null;
  // Insertion string 1 is the dump path (uncertain mapping, domain brief U16): trust it only when it is one.
  const property = event.properties[1] ?? '';
  const dumpPath = /\.dmp$/i.test(property) ? property : saved;
  return {
    bugcheck: event.properties[0] ?? '',
    dumpPath,
    timeCreated: event.timeCreated,
    message: event.message.replace(/\s+/g, ' ').trim(),
  };
}

/** A guest path with %SystemRoot% (and %windir%) expanded to the guest's own folder. */
function expand(path: string, systemRoot: string): string {
  return path.replace(/%(SystemRoot|windir)%/gi, systemRoot);
}

async function stringValue(guest: DumpGuest, key: string, name: string): Promise<string | null> {
  const v = await guest.registryValue(key, name);
  return v.exists && typeof v.value === 'string' && v.value !== '' ? v.value : null;
}

/** The files `dir /b /o-d` lists for a pattern, newest first ([] when none). */
async function newestFirst(guest: DumpGuest, pattern: string): Promise<string[]> {
  const r = await guest.run(['cmd.exe', '/c', 'dir', '/b', '/o-d', pattern]);
  if (r.exitCode !== 0) return [];
  const folder = pattern.slice(0, Math.max(pattern.lastIndexOf('\\'), 0));
  return r.stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((name) => (/[*?]/.test(basename(pattern.replace(/\\/g, '/'))) ? `${folder}\\${name}` : pattern));
}

/**
 * Copies the newest crash dump the guest wrote to `hostDir` on the Hyper-V host. When the guest
 * wrote none, a LabCompromisedError says so and where to look (event 1001, CrashControl, the free
 * space on the system disk): a bugcheck without its dump is the lab failing to keep evidence.
 */
export async function fetchNewestDump(
  guest: DumpGuest,
  hostDir: string,
  options: FetchDumpOptions = {},
): Promise<FetchedDump> {
  const [event] = await guest.events({
    logName: 'System',
    ids: [1001],
    providerName: WER,
    ...(options.since === undefined ? {} : { since: options.since }),
    maxEvents: 1,
  });
  const report = event ? readBugcheckReport(event) : null;
  const systemRoot = (await stringValue(guest, CURRENT_VERSION, 'SystemRoot')) ?? 'C:\\Windows';
  const kernelDump = expand(
    (await stringValue(guest, CRASH_CONTROL, 'DumpFile')) ?? '%SystemRoot%\\MEMORY.DMP',
    systemRoot,
  );
  const minidumps = expand(
    (await stringValue(guest, CRASH_CONTROL, 'MinidumpDir')) ?? '%SystemRoot%\\Minidump',
    systemRoot,
  );
  const looked: string[] = [];
  const copy = async (guestPath: string): Promise<FetchedDump | null> => {
    looked.push(guestPath);
    if ((await newestFirst(guest, guestPath)).length === 0) return null;
    const hostPath = join(hostDir, basename(guestPath.replace(/\\/g, '/')));
    await guest.copyOut(guestPath, hostPath, {
      ...(options.copyTimeoutMs === undefined ? {} : { timeoutMs: options.copyTimeoutMs }),
    });
    return { guestPath, hostPath, report };
  };
  if (report?.dumpPath) {
    const fetched = await copy(report.dumpPath);
    if (fetched) return fetched;
  } else if (!report) {
    const fetched =
      (await copy(kernelDump)) ?? (await copyNewest(guest, `${minidumps}\\*.dmp`, looked, copy));
    if (fetched) return fetched;
  }
  throw noDumpError(guest, report, looked);
}

async function copyNewest(
  guest: DumpGuest,
  pattern: string,
  looked: string[],
  copy: (path: string) => Promise<FetchedDump | null>,
): Promise<FetchedDump | null> {
  const [newest] = await newestFirst(guest, pattern);
  if (!newest) {
    looked.push(pattern);
    return null;
  }
  return copy(newest);
}

function noDumpError(
  guest: DumpGuest,
  report: BugcheckReportEvent | null,
  looked: string[],
): LabCompromisedError {
  const said = report
    ? `event 1001 of ${report.timeCreated} reports bugcheck ${report.bugcheck} and says "${report.dumpPath ? `A dump was saved in: ${report.dumpPath}` : (/A dump was not saved[^.]*\./.exec(report.message)?.[0] ?? report.message)}"`
    : 'the guest logged no event 1001 for a bugcheck';
  const where = looked.map((p) => `'${p}'`).join(', ');
  const missing = looked.length === 0 ? '' : `; ${where} ${looked.length > 1 ? 'do' : 'does'} not exist`;
  return new LabCompromisedError(
    `No crash dump was written by ${guest.describe()} (${said}${missing}), so the bugcheck cannot be analysed; look at event 1001 in the guest's System log for why, check the dump settings under ${CRASH_CONTROL} (CrashDumpEnabled, DumpFile, MinidumpDir) and the free space on the system disk, which must hold the dump.`,
  );
}
