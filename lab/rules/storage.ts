/**
 * Storage timeouts (seed: "Interpreting Event 153 Errors"): 153 when the miniport timed a request out
 * and the disk class driver retried it, 129 when storport timed it out and reset the device; event
 * 153's data names the SCSI status, the SRB status and the SCSI command of the request (bytes 29–31).
 */
import type { WindowsEvent } from '../parsers/index.js';

/** The storage timeout events: 129 (storport reset the device) and 153 (the disk class driver retried). */
export const TIMEOUT_EVENTS: readonly number[] = [129, 153];

/** What a feature calls each field of event 153's data (offsets 29, 30, 31). */
export const EVENT_153_FIELDS = ['SCSI status', 'SRB status', 'SCSI command'] as const;
export type Event153Field = (typeof EVENT_153_FIELDS)[number];

/** What a storage timeout event id reads as when it is one, or null for an id that is not one. */
export function timeoutKind(id: number): 'disk-retry' | 'storport-reset' | null {
  return id === 153 ? 'disk-retry' : id === 129 ? 'storport-reset' : null;
}

/** Why the guest logs this storage timeout event (a sentence part). */
export function whyTimeoutIsLogged(id: number): string {
  return id === 153
    ? 'the disk class driver logs 153 when it retries a request the miniport timed out'
    : 'storport logs 129 when it times a request out and resets the device';
}

/** The events that read as the storage timeout of their id (another provider's 153 does not). */
export function storageTimeouts(events: readonly WindowsEvent[], id: number): WindowsEvent[] {
  const kind = timeoutKind(id);
  return events.filter((e) => e.eventId === id && kind !== null && e.decoded?.type === kind);
}

/** A field of event 153's data as the event parser decoded it: its code and name, or null when the data does not carry it. */
export function event153Field(
  decoded: WindowsEvent['decoded'],
  field: Event153Field,
): { code: string; name: string | null } | null {
  if (decoded?.type !== 'disk-retry') return null;
  const value = {
    'SCSI status': decoded.scsiStatus,
    'SRB status': decoded.srbStatus,
    'SCSI command': decoded.scsiOpcode,
  }[field];
  return value ?? null;
}
