/**
 * Driver Verifier's settings and what follows from them, without a guest: what is checked (as a
 * sentence part), which drivers special pool covers, whether the IRPs of a driver are logged (and
 * why not), the settings `verifier /querysettings` or the registry shows after the reboot, and which
 * of the asked-for settings did not take.
 */
import { describeVerifierFlags, verifierOption } from '../params/verifier-flags.js';
import type { IrpLogResult, VerifierQueryResult } from '../parsers/index.js';

/** Driver Verifier's options and the drivers it verifies. */
export interface ActiveVerifier {
  flags: number;
  /** The verified driver binaries, or 'all'. */
  drivers: string[] | 'all';
}

/** Special pool's bit in /flags. */
const SPECIAL_POOL = 0x1;
const IO_VERIFICATION = 0x10;
const IRP_LOGGING = 0x400;

function verifies(settings: ActiveVerifier, binary: string): boolean {
  return settings.drivers === 'all' || settings.drivers.some((d) => d.toLowerCase() === binary.toLowerCase());
}

/** "Driver Verifier checks myfault.sys with 0x1 (special pool)"; "Driver Verifier is off" without settings. */
export function describeVerifier(settings: ActiveVerifier | null): string {
  if (!settings) return 'Driver Verifier is off';
  return `Driver Verifier checks ${settings.drivers === 'all' ? 'all drivers' : settings.drivers.join(', ')} with ${describeVerifierFlags(settings.flags)}`;
}

/** The drivers special pool covers ('all' with /all); none when special pool is off. */
export function underSpecialPool(settings: ActiveVerifier | null): string[] | 'all' {
  if (!settings || (settings.flags & SPECIAL_POOL) === 0) return [];
  return settings.drivers;
}

/** Whether Driver Verifier logs the IRPs of this driver: I/O verification (0x10) and IRP logging (0x400) on it. */
export function logsIrpsOf(settings: ActiveVerifier | null, binary: string): boolean {
  if (!settings || (settings.flags & (IO_VERIFICATION | IRP_LOGGING)) !== (IO_VERIFICATION | IRP_LOGGING))
    return false;
  return verifies(settings, binary);
}

/** Why no IRP of this driver is logged, from the settings (a sentence part). */
export function irpLoggingGap(settings: ActiveVerifier | null, binary: string): string {
  if (!settings) return 'Driver Verifier is off, so no IRP is logged';
  const missing = [
    (settings.flags & IO_VERIFICATION) === 0 ? 'I/O verification' : null,
    (settings.flags & IRP_LOGGING) === 0 ? 'IRP logging' : null,
  ]
    .filter((m) => m !== null)
    .join(' and ');
  if (missing !== '') return `Driver Verifier runs without ${missing}, so no IRP is logged`;
  return `Driver Verifier does not verify ${binary}, so its IRPs are not logged`;
}

/** The entries of an IRP log (`!verifier 100`) whose stack shows the I/O issued from this driver. */
export function irpLogEntriesFrom(log: IrpLogResult, binary: string): IrpLogResult['entries'] {
  const module = binary.replace(/\.sys$/i, '').toLowerCase();
  return log.entries.filter((e) => e.stack.some((f) => f.module?.toLowerCase() === module));
}

/** Settings as the guest shows them: `drivers` is null when the listing names none either way. */
export interface ShownVerifier {
  flags: number;
  drivers: string[] | 'all' | null;
}

/** What Driver Verifier runs with, as `verifier /querysettings` shows it (flags from its labels when it prints none). */
export function settingsFromQuery(query: VerifierQueryResult): ShownVerifier {
  const flags = query.flags
    ? Number(query.flags)
    : Object.entries(query.options)
        .filter(([, on]) => on)
        .reduce((all, [label]) => all | (verifierOption(label)?.bit ?? 0), 0);
  return { flags, drivers: query.allDrivers ? 'all' : query.drivers };
}

/** What Driver Verifier runs with, as the registry keeps it (VerifyDriverLevel, VerifyDrivers; '*' is all). */
export function settingsFromRegistry(level: unknown, list: unknown): ActiveVerifier {
  const flags = typeof level === 'number' ? level : Number(level ?? 0);
  const text = typeof list === 'string' ? list.trim() : '';
  return { flags, drivers: text === '*' ? 'all' : text.split(/\s+/).filter((d) => d !== '') };
}

/** The asked-for settings that did not take: options that are off, drivers that are not verified. */
export function missingSettings(
  expected: ActiveVerifier,
  shown: ShownVerifier,
): { flags: number; drivers: string[] } {
  const flags = expected.flags & ~shown.flags;
  // A listing that names no driver either way does not contradict /all; it verifies none of a list.
  const drivers =
    expected.drivers === 'all'
      ? shown.drivers === 'all' || shown.drivers === null
        ? []
        : ['all drivers']
      : expected.drivers.filter((d) => !verifies({ flags: shown.flags, drivers: shown.drivers ?? [] }, d));
  return { flags, drivers };
}
