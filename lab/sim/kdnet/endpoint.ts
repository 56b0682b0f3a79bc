/**
 * What the embedded host's VM does with the target end of a debug link, whatever the transport,
 * and the part every transport shares: events go to the attached debugger, and going down ends
 * the session and silences the endpoint until it is started again.
 */
import type { TargetEvent } from '../ports.js';
import type { TargetServer } from './target-server.js';

export type GoingDownReason = Extract<TargetEvent, { kind: 'going-down' }>['reason'];

export interface TargetEndpoint {
  /** Starts offering the target to its debugger (at boot). */
  start(): Promise<void>;
  /**
   * Tells the attached debugger about an event; false when no debugger is attached (the VM then
   * decides what happens without one). A going-down event ends the session; the endpoint stays
   * silent until it is started again.
   */
  notify(event: TargetEvent): boolean;
  /** A debugger is attached now. */
  isAttached(): boolean;
  /** Stops the endpoint; an attached debugger is told the target goes down for `reason`. */
  stop(reason?: GoingDownReason): Promise<void>;
}

/** The session-keeping common to the KDNET and pipe endpoints. */
export abstract class EndpointBase<S extends { server: TargetServer }> implements TargetEndpoint {
  protected session: S | undefined;
  /** The target went down: no offers, no connection attempts until start(). */
  protected down = false;

  abstract start(): Promise<void>;
  abstract stop(reason?: GoingDownReason): Promise<void>;
  /** Stops looking for a debugger (offers, or attempts to open the pipe). */
  protected abstract stopLooking(): void;
  /** Closes a session whose debugger was just told that the target goes down. */
  protected abstract closeSession(session: S, reason: GoingDownReason): void;

  isAttached(): boolean {
    return this.session !== undefined;
  }

  notify(event: TargetEvent): boolean {
    const session = this.session;
    if (event.kind === 'going-down') {
      this.down = true;
      this.stopLooking();
    }
    if (!session) return false;
    session.server.event(event);
    if (event.kind === 'going-down') {
      this.session = undefined;
      session.server.end();
      this.closeSession(session, event.reason);
    }
    return true;
  }
}
