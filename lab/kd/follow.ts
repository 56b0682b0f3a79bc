/**
 * A restart of the guest that its live debugger follows. kd prints that the target went down
 * ("Shutdown occurred", or the transport lost), then connects to it again as it boots. A harness
 * that restarts a guest with a debugger attached waits for both before it goes on:
 * - a bug check the scenario provokes next must be told apart from the restart, and kd may not
 *   have read the restart yet when the guest answers PowerShell Direct again (on the embedded lab
 *   the guest's lab time runs ahead of the debugger process);
 * - a debugger that lost its target in the restart is found here, with a sentence, and not at the
 *   next crash.
 * On a real lab kd has printed both long before the guest answers, and this returns at once.
 */
import { formatLabDuration, type LabClock, wallSleep } from '../clock.js';
import { LabCompromisedError, sentenceStart } from '../errors.js';
import type { KdEvent } from './port.js';

/** How often the wait looks at the session's events again, in wall milliseconds. */
const LOOK_WALL_MS = 2;

/** What of a debugger session this needs: its events and its name. */
export interface FollowedDebugger {
  events(): readonly KdEvent[];
  describe(): string;
}

export interface FollowOptions {
  /** "VM 'win11-a' on host 'lab-01'", for messages. */
  subject: string;
  /** The number of the session's events before the restart: only what came later counts. */
  eventsBefore: number;
  /** Lab ms to wait for kd to connect again. */
  timeoutMs: number;
  clock: LabClock;
}

/** Where the session's events after `from` show the target going down, and whether it connected after that. */
function seen(events: readonly KdEvent[], from: number): { down: boolean; back: boolean } {
  const after = events.slice(from);
  const down = after.findIndex((e) => e.kind === 'shutdown' || e.kind === 'transport-lost');
  return { down: down >= 0, back: down >= 0 && after.slice(down + 1).some((e) => e.kind === 'established') };
}

/**
 * Waits until the debugger has seen the target go down after `eventsBefore` and connected to it
 * again. A wait on the debugger process, not on lab time: bounded in wall time by the clock (the
 * lab time itself on a real lab, the embedded lab's wall budget on its virtual time).
 */
export async function followRestart(session: FollowedDebugger, options: FollowOptions): Promise<void> {
  const budget = options.clock.wallTimeout(options.timeoutMs);
  const started = performance.now();
  for (;;) {
    const now = seen(session.events(), options.eventsBefore);
    if (now.back) return;
    if (session.events().some((e) => e.kind === 'exited')) break;
    if (performance.now() - started >= budget) break;
    await wallSleep(LOOK_WALL_MS);
  }
  const Who = sentenceStart(session.describe());
  const within = formatLabDuration(options.timeoutMs);
  const { down } = seen(session.events(), options.eventsBefore);
  if (session.events().some((e) => e.kind === 'exited')) {
    throw new LabCompromisedError(
      `${Who} ended while ${options.subject} restarted, so it no longer follows the VM; check the kd transcript for why the debugger process ended.`,
    );
  }
  throw new LabCompromisedError(
    down
      ? `${Who} saw ${options.subject} go down for its restart but did not connect to it again (within ${within}); check the kd transcript, and that the guest still boots with debugging on (bcdedit /dbgsettings).`
      : `${Who} never printed that ${options.subject} went down when it was restarted (within ${within}); check the kd transcript: the debugger may have lost the target before the restart.`,
  );
}
