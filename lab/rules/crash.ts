/**
 * What a crash means, without a debugger or a VM: the bug check event 1001 reports, the parameters
 * as kd and the event print them, the image a crash is blamed on, the frames of the crashing
 * thread, the memory a crash referenced and the context record it carries, and the bucket it is
 * counted in (lab/rules/buckets.ts).
 */
import { bugcheckCode } from '../params/bugcheck.js';
import type { AnalyzeResult, WindowsEvent } from '../parsers/index.js';
import { bucketId, type SignatureFrame } from './buckets.js';

/** What a bug check report says: the code, the four parameters (0x + 16 hex digits) and the dump. */
export interface ReportedCrash {
  code: number;
  args: string[];
  /** Where the guest wrote the kernel dump, or null when it wrote none. */
  dumpPath: string | null;
}

/** A bug check parameter as kd or event 1001 prints it ("ffffa80`01a1b820"), as 0x + 16 lower-case hex digits. */
export function bugcheckParameter(printed: string): string {
  return `0x${printed.replace(/^0x/i, '').replace(/`/g, '').toLowerCase().padStart(16, '0')}`;
}

/**
 * The crash an event 1001 reports, from what the event parser decoded; null when the event does not
 * say which bug check it is (another language, another event under the same id).
 */
export function crashReportedBy(decoded: WindowsEvent['decoded']): ReportedCrash | null {
  if (decoded?.type !== 'bugcheck') return null;
  const code = bugcheckCode(decoded.code);
  if (code === null) return null;
  return { code, args: decoded.args, dumpPath: decoded.dumpPath || null };
}

/** The image `!analyze -v` blames: its IMAGE_NAME, else its MODULE_NAME as a driver; null when it names neither. */
export function blamedImage(analysis: Pick<AnalyzeResult, 'imageName' | 'moduleName'>): string | null {
  return analysis.imageName ?? (analysis.moduleName ? `${analysis.moduleName}.sys` : null);
}

/** Whether a crash is blamed on this driver binary (case does not matter to Windows). */
export function isBlamedOn(
  analysis: Pick<AnalyzeResult, 'imageName' | 'moduleName'>,
  binary: string,
): boolean {
  return blamedImage(analysis)?.toLowerCase() === binary.toLowerCase();
}

/** Whether the crashing thread's stack passes through `module!function` (what the thread was doing). */
export function stackPassesThrough(frames: readonly SignatureFrame[], module: string, fn: string): boolean {
  return frames.some(
    (f) => f.module?.toLowerCase() === module.toLowerCase() && f.function?.toLowerCase() === fn.toLowerCase(),
  );
}

/** The first `count` frames as a sentence part, innermost first: "nt!KeBugCheckEx ← myfault!MyfaultOverrun". */
export function describeStack(frames: readonly SignatureFrame[], count: number): string {
  return frames
    .map((f) => `${f.module ?? '?'}!${f.function ?? '?'}`)
    .slice(0, count)
    .join(' ← ');
}

/** A bug check and its parameters as read (a parameter kd could not show is null). */
export interface CrashParameters {
  code: number;
  args: readonly (string | null)[];
}

/** Bug checks whose first parameter is the memory the faulting code referenced (0xA, 0x50, 0xD1, 0xD6). */
export const REFERENCED_IN_ARG1: ReadonlySet<number> = new Set([0x0a, 0x50, 0xd1, 0xd6]);

/** The memory the crash referenced (Arg1 of 0xD6 and its kin), or null when its bug check does not say. */
export function referencedMemory(crash: CrashParameters): string | null {
  return REFERENCED_IN_ARG1.has(crash.code) ? (crash.args[0] ?? null) : null;
}

/** Which parameter holds a context record (.cxr): Arg3 of 0x3B, Arg4 of 0x7E (zero-based indexes). */
const CONTEXT_ARG: Readonly<Record<number, number>> = { 59: 2, 126: 3 };

/** The address of the context record the crash's parameters carry, or null when its bug check has none. */
export function contextRecordOf(crash: CrashParameters): string | null {
  const at = CONTEXT_ARG[crash.code];
  return at === undefined ? null : (crash.args[at] ?? null);
}

/**
 * The bucket a crash is counted in once `!analyze -v` read it: the code the analysis names (else the
 * one the crash was reported with), its FAILURE_BUCKET_ID, its stack.
 */
export function crashBucket(
  analysis: Pick<AnalyzeResult, 'bugcheck' | 'failureBucketId' | 'stack'>,
  reportedCode: number,
): string {
  const code = analysis.bugcheck.code === null ? reportedCode : Number.parseInt(analysis.bugcheck.code, 16);
  return bucketId({ code, failureBucketId: analysis.failureBucketId, frames: analysis.stack ?? [] });
}
