/**
 * The cadence at which a waiting target knocks on its host's door: KDNET offers about every 3 s;
 * here every LINK_TIMING.minOfferWallMs of wall time. The offers are link mechanics over real
 * loopback sockets, so they run on wall time and never move the lab's virtual time: how soon a
 * debugger hears an offer changes no outcome (docs/adr/0004-virtual-lab-time.md).
 */
import { wallSleep } from '../../clock.js';
import { LINK_TIMING } from './protocol.js';

/** Waits one offer interval; rejects when `signal` aborts. */
export function waitOfferInterval(signal: AbortSignal): Promise<void> {
  return wallSleep(LINK_TIMING.minOfferWallMs, signal);
}

/** Calls `attempt` now and then once per offer interval until it returns true or `signal` aborts. */
export async function repeatEveryOffer(
  signal: AbortSignal,
  attempt: () => boolean | Promise<boolean>,
): Promise<void> {
  while (!signal.aborted) {
    if (await attempt()) return;
    try {
      await waitOfferInterval(signal);
    } catch {
      return;
    }
  }
}
