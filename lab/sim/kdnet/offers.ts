/**
 * The cadence at which a waiting target knocks on its host's door: about every 3 s of lab time
 * (KDNET's offer interval), but never more often than LINK_TIMING.minOfferWallMs of wall time.
 */
import { type LabClock, wallSleep } from '../../clock.js';
import { LINK_TIMING } from './protocol.js';

/** Waits one offer interval; rejects when `signal` aborts. */
export function waitOfferInterval(clock: LabClock, signal: AbortSignal): Promise<void> {
  const wallMs = LINK_TIMING.offerEveryLabMs / clock.factor;
  return wallMs >= LINK_TIMING.minOfferWallMs
    ? clock.sleep(LINK_TIMING.offerEveryLabMs, signal)
    : wallSleep(LINK_TIMING.minOfferWallMs, signal);
}

/** Calls `attempt` now and then once per offer interval until it returns true or `signal` aborts. */
export async function repeatEveryOffer(
  clock: LabClock,
  signal: AbortSignal,
  attempt: () => boolean | Promise<boolean>,
): Promise<void> {
  while (!signal.aborted) {
    if (await attempt()) return;
    try {
      await waitOfferInterval(clock, signal);
    } catch {
      return;
    }
  }
}
