/**
 * Crash buckets: the name under which one crash is counted across runs (syzkaller's crash titles,
 * Windows Error Reporting's buckets). A bucket is `!analyze`'s FAILURE_BUCKET_ID when it names one;
 * otherwise a signature driverlab builds from what every crash shows: the bug check code and the
 * first stack frame outside the kernel and the HAL, with offsets and addresses stripped, so two
 * crashes of the same fault on different machines, builds or load addresses land in one bucket.
 */

/** The parts of a frame a signature reads (lab/parsers' Frame has them). */
export interface SignatureFrame {
  module: string | null;
  function: string | null;
}

/** What a crash shows for bucketing: the code, the analysis's bucket when any, the stack when any. */
export interface CrashFacts {
  /** The bug check code (0xd6 as a number). */
  code: number;
  /** FAILURE_BUCKET_ID as `!analyze -v` printed it, or null. */
  failureBucketId: string | null;
  /** The crashing thread's frames, innermost first; empty when none was read. */
  frames: readonly SignatureFrame[];
}

/** The modules that are the kernel and the HAL, whatever the build calls them. */
const CORE = /^(nt|nt\w*|ntoskrnl|ntkrnlmp|ntkrnlpa|ntkrpamp|hal|halmacpi|halacpi|hal\w*)$/i;

/** "0xD6": a bug check code as buckets name it (upper-case hex, 0x prefix, no padding). */
export function bugcheckTag(code: number): string {
  return `0x${code.toString(16).toUpperCase()}`;
}

/** The bucket a crash lands in. */
export function bucketId(crash: CrashFacts): string {
  const given = crash.failureBucketId?.trim();
  if (given) return given;
  return signature(crash.code, crash.frames);
}

/** `0xD6_myfault!MyfaultOverrun`; `0xD6_unknown` when no frame outside nt and the HAL was read. */
export function signature(code: number, frames: readonly SignatureFrame[]): string {
  const culprit = frames.find((f) => f.module !== null && !CORE.test(f.module));
  if (!culprit?.module) return `${bugcheckTag(code)}_unknown`;
  const module = culprit.module.replace(/\.(sys|dll|exe)$/i, '').toLowerCase();
  const fn = culprit.function ? stripOffsets(culprit.function) : 'unknown_function';
  return `${bugcheckTag(code)}_${module}!${fn}`;
}

/** A function name without `+0x…` offsets or addresses the debugger printed into it. */
function stripOffsets(name: string): string {
  return (
    name
      .replace(/\+0x[0-9a-f`]+/gi, '')
      .replace(/\b(?:0x)?[0-9a-f]{8}`?[0-9a-f]{8}\b/gi, '')
      .trim() || 'unknown_function'
  );
}
