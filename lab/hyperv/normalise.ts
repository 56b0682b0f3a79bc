/**
 * PowerShell JSON, made canonical before validation.
 *
 * The operation scripts stringify enums and dates themselves, but a reply can still carry the raw
 * forms, depending on the PowerShell that wrote it (domain brief §1.12, uncertainty U1/U15):
 * - Windows PowerShell 5.1 writes DateTime as "\/Date(1616101200000)\/"; 7.x writes ISO 8601;
 * - enums are numbers unless stringified (VMState 2 = Running, Heartbeat 2 = OkApplicationsHealthy);
 * - 5.1 sometimes wraps ETS-decorated values as { "value": …, … } instead of a scalar.
 * The numeric maps are a fallback only: the two third-party sources agree on VMState numbers, the
 * Heartbeat numbers come from a single third-party list.
 */

const VM_STATES: Record<number, string> = {
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

const HEARTBEATS: Record<number, string> = {
  0: 'Unknown',
  1: 'Ok',
  2: 'OkApplicationsHealthy',
  3: 'OkApplicationsNotHealthy',
  4: 'OkApplicationsUnknown',
  5: 'NoContact',
  6: 'LostCommunication',
  7: 'Error',
};

const ENUM_FIELDS: Record<string, Record<number, string>> = { state: VM_STATES, heartbeat: HEARTBEATS };

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

export function normalisePowerShellJson(value: unknown, key?: string): unknown {
  if (typeof value === 'string') {
    const date = MS_DATE.exec(value);
    return date ? new Date(Number(date[1])).toISOString() : value;
  }
  if (typeof value === 'number' && key !== undefined) {
    const names = ENUM_FIELDS[key];
    if (names) return names[value] ?? `Unknown(${value})`;
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => normalisePowerShellJson(v));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // ETS wrapping in 5.1: an object whose "value" is the scalar, with decoration properties beside it.
    if ('value' in record && key !== undefined && ENUM_FIELDS[key] === undefined && isEtsWrapper(record)) {
      return normalisePowerShellJson(record.value, key);
    }
    if ('value' in record && key !== undefined && ENUM_FIELDS[key] !== undefined) {
      return normalisePowerShellJson(record.value, key);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = normalisePowerShellJson(v, k);
    return out;
  }
  return value;
}

function isEtsWrapper(record: Record<string, unknown>): boolean {
  const v = record.value;
  const scalar = v === null || ['string', 'number', 'boolean'].includes(typeof v);
  return scalar && Object.keys(record).every((k) => k === 'value' || /^[A-Z]/.test(k) || k === 'Count');
}
