/**
 * A PnP remove that waits on a miniport (seed: "Debugging a Network Connectivity Issue -
 * TrackNblOwner to the Rescue"): NDIS lets an adapter go only when its NBLs come back, so the
 * pending NBLs name who holds them (when NBL owner tracking is on), and the removal runs in the
 * PnP worker that holds the PnP engine lock exclusively while it waits.
 */
import type { Frame, LocksResult, PendingNblsResult } from '../parsers/index.js';

/** Who holds the pending NBLs: the rows held by this miniport, and every holder as "name [type]". */
export function nblHolders(
  pending: PendingNblsResult,
  adapter: string,
): { held: PendingNblsResult['rows']; holders: string[]; onlyThisMiniport: boolean } {
  const held = pending.rows.filter((r) => r.holderName === adapter && r.holderType === 'Miniport');
  const holders = [...new Set(pending.rows.map((r) => `${r.holderName} [${r.holderType ?? '?'}]`))];
  return {
    held,
    holders,
    onlyThisMiniport: pending.trackingEnabled && held.length > 0 && held.length === pending.rows.length,
  };
}

/** The PnP engine lock (nt!PiEngineLock) as `!locks` shows it, or null when it is not held. */
export function pnpEngineLock(locks: LocksResult): LocksResult['resources'][number] | null {
  return locks.resources.find((r) => r.symbol?.toLowerCase() === 'nt!pienginelock') ?? null;
}

/** The thread that owns the PnP engine lock exclusively, or null when nobody does. */
export function pnpEngineLockOwner(locks: LocksResult): string | null {
  const engine = pnpEngineLock(locks);
  if (engine?.mode !== 'exclusive') return null;
  return engine.owners.find((o) => o.owner)?.thread ?? null;
}

/** Whether a thread's stack is NDIS removing an adapter (ndis!ndisPnPRemoveDevice…). */
export function isRemovingAdapter(stack: readonly Pick<Frame, 'module' | 'function'>[]): boolean {
  return stack.some(
    (f) => f.module?.toLowerCase() === 'ndis' && /^ndisPnPRemoveDevice/i.test(f.function ?? ''),
  );
}
