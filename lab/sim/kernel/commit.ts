/**
 * Commit charge and nt!MiChargeCommitmentFailures, as the memory manager's charge routines move it
 * (Windows Server 2003 memory manager, `MiChargeCommitment` and `MiChargeCommitmentPfnLockHeld`;
 * later builds as the seed describes them):
 *
 * - A user commit (VirtualAlloc, MiChargeCommitment) fits while commit + request + the system's
 *   reserve (MmSystemCommitReserve: 5 MB, 1 MB below 33 MB of RAM) stays within the commit limit
 *   (RAM + the page file's current size). Otherwise:
 *   - when the limit is within 100 pages of its maximum (page file at or near its maximum size),
 *     member [1] counts the attempt, and the request fails if the limit is at its maximum; on builds
 *     after Windows XP / Server 2003 a request whose new commit value is still within the limit
 *     (only the reserve is in the way, "NewCommitValue <= CurrentCommitValue") counts in [3] instead;
 *   - else the page file is extended (up to its maximum); when that fails (no disk space: the
 *     guest's disk-full fault), member [0] counts it and the request fails.
 * - A charge made with the PFN lock held (MiChargeCommitmentPfnLockHeld: no extension is tried)
 *   fails when commit is within 64 pages of the limit, counted in member [2].
 *
 * `!vm` sums [0] + [1] + ([2] on XP/2003, [3] later) — the seed's rule, rendered in render/objects.ts.
 */
import type { KernelOutcome } from '../ports.js';
import type { KernelState } from './state.js';

const PAGES_PER_MB = 256;

/** MmSystemCommitReserve in pages. */
export function systemCommitReserve(state: KernelState): number {
  return state.boot.memory.physicalMb < 33 ? 1 * PAGES_PER_MB : 5 * PAGES_PER_MB;
}

function limitPages(state: KernelState): number {
  return (state.boot.memory.physicalMb + state.memory.pageFileCurrentMb) * PAGES_PER_MB;
}

function maximumPages(state: KernelState): number {
  return (state.boot.memory.physicalMb + state.boot.memory.pageFileMaximumMb) * PAGES_PER_MB;
}

/** MiChargeCommitment: charges `pages` or refuses them, moving the failure members as it goes. */
function chargeUser(state: KernelState, pages: number): boolean {
  const failures = state.memory.failures;
  const reserve = systemCommitReserve(state);
  for (;;) {
    const current = state.memory.committedPages;
    const next = current + pages;
    const limit = limitPages(state);
    if (next + reserve <= limit) {
      state.memory.committedPages = next;
      return true;
    }
    const maximum = maximumPages(state);
    if (limit + 100 >= maximum) {
      const onlyTheReserve = next <= limit && state.boot.os.family === 'vista-and-later';
      if (onlyTheReserve) {
        failures[3] += 1;
        return false;
      }
      failures[1] += 1;
      if (limit >= maximum) return false;
    }
    const wantedMb = Math.ceil((next + reserve - state.boot.memory.physicalMb * PAGES_PER_MB) / PAGES_PER_MB);
    const grownMb = state.boot.diskFull
      ? state.memory.pageFileCurrentMb
      : Math.min(state.boot.memory.pageFileMaximumMb, Math.max(wantedMb, state.memory.pageFileCurrentMb));
    if (grownMb <= state.memory.pageFileCurrentMb) {
      failures[0] += 1;
      return false;
    }
    state.memory.pageFileCurrentMb = grownMb;
  }
}

/** MiChargeCommitmentPfnLockHeld: no extension, refused within 64 pages of the limit. */
function chargePfnLockHeld(state: KernelState, pages: number): boolean {
  if (state.memory.committedPages + pages > limitPages(state) - 64) {
    state.memory.failures[2] += 1;
    return false;
  }
  state.memory.committedPages += pages;
  return true;
}

export interface CommitRequest {
  megabytes: number;
  /** How many times the process asks. */
  times: number;
  /** user: VirtualAlloc's path (the default); pfn-lock-held: a charge under the PFN lock. */
  path: 'user' | 'pfn-lock-held';
  /** The process keeps what it was granted until its last request (else each is released at once). */
  hold: boolean;
}

/**
 * A process commits `megabytes`, `times` over, and exits: what it was granted is released then. The
 * outcome counts the refused requests, with the commit before them and the limit after them.
 */
export function commit(state: KernelState, request: CommitRequest): KernelOutcome {
  const before = state.memory.committedPages;
  const pages = request.megabytes * PAGES_PER_MB;
  let refused = 0;
  for (let i = 0; i < request.times; i += 1) {
    const granted =
      request.path === 'pfn-lock-held' ? chargePfnLockHeld(state, pages) : chargeUser(state, pages);
    if (!granted) refused += 1;
    else if (!request.hold) state.memory.committedPages -= pages;
  }
  state.memory.committedPages = before;
  return {
    kind: 'commit',
    refused,
    chargedMb: Math.floor(before / PAGES_PER_MB),
    limitMb: state.boot.memory.physicalMb + state.memory.pageFileCurrentMb,
    pageFileMb: state.memory.pageFileCurrentMb,
  };
}
