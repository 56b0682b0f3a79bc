/**
 * Bug checks as features name them: the code ("0xD6", "0x3b") or its name
 * ("DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION"). The names are the documented ones of the bug
 * checks driver labs meet (domain brief §4.5 and §5.1).
 */
import { ConfigurationError } from '../errors.js';
import { closest } from '../util/similar.js';

export const BUGCHECK_NAMES: Readonly<Record<number, string>> = {
  10: 'IRQL_NOT_LESS_OR_EQUAL',
  25: 'BAD_POOL_HEADER',
  30: 'KMODE_EXCEPTION_NOT_HANDLED',
  59: 'SYSTEM_SERVICE_EXCEPTION',
  80: 'PAGE_FAULT_IN_NONPAGED_AREA',
  126: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED',
  128: 'NMI_HARDWARE_FAILURE',
  159: 'DRIVER_POWER_STATE_FAILURE',
  194: 'BAD_POOL_CALLER',
  196: 'DRIVER_VERIFIER_DETECTED_VIOLATION',
  201: 'DRIVER_VERIFIER_IOMANAGER_VIOLATION',
  209: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL',
  214: 'DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION',
  226: 'MANUALLY_INITIATED_CRASH',
  239: 'CRITICAL_PROCESS_DIED',
  307: 'DPC_WATCHDOG_VIOLATION',
};

const BY_NAME = new Map(Object.entries(BUGCHECK_NAMES).map(([code, name]) => [name, Number(code)]));

/** A bug check a scenario expects: its code and, when it has a documented name, the name. */
export interface BugcheckId {
  code: number;
  name: string | null;
}

/** The pattern a bug check parameter matches in a step: a hex code or an upper-case name. */
export const BUGCHECK_PATTERN = '0x[0-9a-fA-F]{1,8}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+';

/** "0xd6": a stop code as driverlab writes it everywhere (0x, lower-case hex, no leading zeros). */
export function stopCodeText(code: number): string {
  return `0x${code.toString(16)}`;
}

/** "0xd6 (DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION)", or "0x1234" for a code without a known name. */
export function describeBugcheck(code: number, name: string | null = BUGCHECK_NAMES[code] ?? null): string {
  const hex = stopCodeText(code);
  return name ? `${hex} (${name})` : hex;
}

/** The bug check a code or name stands for; an unknown name is a configuration error listing the names. */
export function parseBugcheck(text: string): BugcheckId {
  const t = text.trim();
  if (/^0x[0-9a-f]{1,8}$/i.test(t)) {
    const code = Number.parseInt(t.slice(2), 16);
    if (code === 0) {
      throw new ConfigurationError(`'${t}' is not a bug check code; bug check codes start at 0x1.`);
    }
    return { code, name: BUGCHECK_NAMES[code] ?? null };
  }
  const code = BY_NAME.get(t.toUpperCase());
  if (code === undefined) {
    const like = closest(t.toUpperCase(), [...BY_NAME.keys()], 1);
    const hint = like.length > 0 ? ` (did you mean ${like.join(' or ')}?)` : '';
    throw new ConfigurationError(
      `'${t}' is not a bug check driverlab knows by name${hint}; write its code instead (0xD6), or one of ${[...BY_NAME.keys()].join(', ')}.`,
    );
  }
  return { code, name: t.toUpperCase() };
}

/** "0x3B, BAD_POOL_HEADER or 0xC2" → the three bug checks. */
export function parseBugcheckList(text: string): BugcheckId[] {
  return text
    .split(/\s*,\s*|\s+or\s+/)
    .filter((p) => p.trim() !== '')
    .map(parseBugcheck);
}

/** The code a bug check was printed with ("0x000000d6", "d6", "0xD6") as a number, or null. */
export function bugcheckCode(printed: string | null | undefined): number | null {
  if (!printed) return null;
  const m = /^(?:0x)?([0-9a-f]{1,8})$/i.exec(printed.trim());
  return m ? Number.parseInt(m[1] as string, 16) : null;
}
