/**
 * The System Writer and .NET bloat (seed: "Missing System Writer Case Explained"): the System Writer
 * gives up in OnIdentify on a folder under Microsoft.NET with more files or folders than it can
 * enumerate, and only the Temporary ASP.NET Files are safe to delete.
 */

/** The Temporary ASP.NET Files folder of .NET Framework 4 (64-bit). */
export const TEMPORARY_ASPNET_FILES =
  'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files';

/** What makes the System Writer give up in OnIdentify: a folder under Microsoft.NET with more than this many. */
export const SYSTEM_WRITER_LIMITS = { files: 10_000, folders: 1_000 } as const;

/** Whether a folder under Microsoft.NET with this many files or folders makes the System Writer give up. */
export function systemWriterGivesUp(count: number, kind: 'files' | 'folders'): boolean {
  return count > SYSTEM_WRITER_LIMITS[kind];
}

/** The limit a bloat is about, as a sentence part: "more than 10,000 files" (both when the kind is not known). */
export function systemWriterLimit(kind: 'files' | 'folders' | null): string {
  const n = (k: 'files' | 'folders') => `more than ${SYSTEM_WRITER_LIMITS[k].toLocaleString('en-US')} ${k}`;
  return kind ? n(kind) : `${n('files')} or ${n('folders')}`;
}
