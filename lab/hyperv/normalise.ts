/**
 * PowerShell JSON, made canonical before validation.
 *
 * The operation scripts stringify enums and dates themselves and keep arrays as arrays, but a reply
 * can still carry the raw forms, depending on the PowerShell that wrote it (domain brief §1.12,
 * uncertainty register U1/U15):
 * - Windows PowerShell 5.1 writes DateTime as "\/Date(1326441600000)\/"; 7.x writes ISO 8601;
 * - enums are numbers unless stringified (VMState 2 = Running, Heartbeat 2 = OkApplicationsHealthy);
 * - ETS-decorated values serialize as an object around the value: an array as
 *   {"value":[2,3],"Count":2} (5.1), a date from Get-Date as {"value":"…","DisplayHint":2,…} (6.x),
 *   an enum as {"value":1,"Value":"Unknown"} (5.1, both spellings of the key);
 * - a one-element array that was unrolled on the way arrives as the element itself, an empty one
 *   as null.
 * The generic pass (normalisePowerShellJson) undoes the wrappers and dates everywhere; the rest
 * needs to know what a field is, so the operations' result schemas say it with psEnum and psList.
 * The numeric maps are a fallback only: two independent third-party sources agree on the VMState
 * numbers; the Heartbeat numbers come from a single third-party list.
 */
import * as z from 'zod';

export const VM_STATES: Readonly<Record<number, string>> = {
  1: 'Other',
  2: 'Running',
  3: 'Off',
  4: 'Stopping',
  6: 'Saved',
  9: 'Paused',
  10: 'Starting',
  11: 'Reset',
  32773: 'Saving',
  32776: 'Pausing',
  32777: 'Resuming',
  32779: 'FastSaved',
  32780: 'FastSaving',
  32781: 'ForceShutdown',
  32782: 'ForceReboot',
  32783: 'RunningCritical',
  32784: 'OffCritical',
  32785: 'StoppingCritical',
  32786: 'SavedCritical',
  32787: 'PausedCritical',
  32788: 'StartingCritical',
  32789: 'ResetCritical',
  32790: 'SavingCritical',
  32791: 'PausingCritical',
  32792: 'ResumingCritical',
  32793: 'FastSavedCritical',
  32794: 'FastSavingCritical',
};

export const HEARTBEATS: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Ok',
  2: 'OkApplicationsHealthy',
  3: 'OkApplicationsNotHealthy',
  4: 'OkApplicationsUnknown',
  5: 'NoContact',
  6: 'LostCommunication',
  7: 'Error',
};

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * An ETS wrapper: an object with a `value` (or `Value`) next to nothing but PowerShell's own
 * PascalCase decorations. Operation results only ever use camelCase keys, so a result object can
 * never be mistaken for one.
 */
function etsInner(record: Record<string, unknown>): { found: boolean; value: unknown } {
  const keys = Object.keys(record);
  if (!keys.includes('value') && !keys.includes('Value')) return { found: false, value: undefined };
  if (!keys.every((k) => k === 'value' || /^[A-Z]/.test(k))) return { found: false, value: undefined };
  const lower = record.value;
  const upper = record.Value;
  // {"value":1,"Value":"Unknown"}: the name is the better half of an enum.
  if (typeof upper === 'string' && typeof lower === 'number') return { found: true, value: upper };
  return { found: true, value: 'value' in record ? lower : upper };
}

/** Undoes 5.1/7.x serialization quirks that do not depend on what a field means. */
export function normalisePowerShellJson(value: unknown): unknown {
  if (typeof value === 'string') {
    const date = MS_DATE.exec(value);
    return date ? new Date(Number(date[1])).toISOString() : value;
  }
  if (Array.isArray(value)) return value.map((v) => normalisePowerShellJson(v));
  if (isRecord(value)) {
    const inner = etsInner(value);
    if (inner.found) return normalisePowerShellJson(inner.value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalisePowerShellJson(v);
    return out;
  }
  return value;
}

/** An enum field: its name as a string, also when it arrives as its number ("Unknown(n)" when unmapped). */
export function psEnum(names: Readonly<Record<number, string>>) {
  return z.preprocess(
    (v) => (typeof v === 'number' && Number.isInteger(v) ? (names[v] ?? `Unknown(${v})`) : v),
    z.string(),
  );
}

/** A list field: an unrolled single element becomes a list of one, null an empty list. */
export function psList<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (v === null ? [] : v === undefined || Array.isArray(v) ? v : [v]),
    z.array(item),
  );
}
