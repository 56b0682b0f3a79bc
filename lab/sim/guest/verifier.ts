/**
 * The simulated `verifier.exe`. Settings live where Windows keeps them (Memory Management:
 * VerifyDriverLevel, VerifyDrivers) and take effect at the next boot; /volatile changes the
 * running settings only, and only for the flags Windows allows (0x4, 0x20, 0x80, 0x200, 0x400).
 * Exit codes: 0 success, 1 error, 2 reboot needed (domain brief §4.1).
 *
 * Output layout, uncertainty U7: Microsoft documents the older layout (one `Name: Enabled|Disabled`
 * line per option, then `Verified drivers:`), the newer `Verifier Flags:` layout is only seen in
 * third-party fixtures. This model prints the documented layout, consistently: the documented
 * sample's thirteen lines in its order, then one line per newer option of the /flags table so
 * every flag the settings hold can be read back.
 */
import { type GuestRegistry, KEYS } from './registry.js';
import { fail, ok, type ToolResult, text } from './tool.js';

/** The running verifier settings (as of the last boot, plus /volatile changes). */
export interface VerifierActive {
  flags: number;
  drivers: string[] | 'all';
  /** Per verified driver: loads and unloads since boot, as /query shows them. */
  counters: Record<string, { loads: number; unloads: number }>;
}

interface FlagLine {
  bit: number;
  label: string;
}

/** The documented sample's lines, in its order; Disk integrity checking has no /flags bit. */
const OLDER_LINES: FlagLine[] = [
  { bit: 0x1, label: 'Special pool' },
  { bit: 0x8, label: 'Pool tracking' },
  { bit: 0x2, label: 'Force IRQL checking' },
  { bit: 0x10, label: 'I/O verification' },
  { bit: 0x40, label: 'Enhanced I/O verification' },
  { bit: 0x20, label: 'Deadlock detection' },
  { bit: 0x80, label: 'DMA checking' },
  { bit: 0x100, label: 'Security checks' },
  { bit: 0x200, label: 'Force pending I/O requests' },
  { bit: 0x4, label: 'Low resources simulation' },
  { bit: 0x400, label: 'IRP Logging' },
  { bit: 0x800, label: 'Miscellaneous checks' },
  { bit: 0, label: 'Disk integrity checking' },
];

/** The /flags table's newer options (Windows 8 and later), labelled as the table names them. */
const NEWER_LINES: FlagLine[] = [
  { bit: 0x2000, label: 'Invariant MDL checking for stack' },
  { bit: 0x4000, label: 'Invariant MDL checking for driver' },
  { bit: 0x8000, label: 'Power framework delay fuzzing' },
  { bit: 0x10000, label: 'Port/miniport interface checking' },
  { bit: 0x20000, label: 'DDI compliance checking' },
  { bit: 0x40000, label: 'Systematic low resources simulation' },
  { bit: 0x80000, label: 'DDI compliance checking (additional)' },
  { bit: 0x200000, label: 'NDIS/WIFI verification' },
  { bit: 0x800000, label: 'Kernel synchronization delay fuzzing' },
  { bit: 0x1000000, label: 'VM switch verification' },
  { bit: 0x2000000, label: 'Code integrity checks' },
];

const KNOWN_BITS = [...OLDER_LINES, ...NEWER_LINES].reduce((m, l) => m | l.bit, 0);
/** Standard settings: Special Pool, IRQL, Pool Tracking, I/O, Deadlock, DMA, Security, Misc, DDI. */
export const STANDARD_FLAGS = 0x209bb;
/** The only flags /volatile may change. */
export const VOLATILE_FLAGS = 0x4 | 0x20 | 0x80 | 0x200 | 0x400;

const REBOOT = 'The system reboot is required for the changes to take effect.';

/** /flags accepts decimal, 0x hex, 0o octal and 0b binary (verifier.exe 10.0.17763 help). */
export function parseFlags(value: string): number | undefined {
  const v = value.trim().toLowerCase();
  let n: number;
  if (/^0x[0-9a-f]+$/.test(v)) n = Number.parseInt(v.slice(2), 16);
  else if (/^0o[0-7]+$/.test(v)) n = Number.parseInt(v.slice(2), 8);
  else if (/^0b[01]+$/.test(v)) n = Number.parseInt(v.slice(2), 2);
  else if (/^\d+$/.test(v)) n = Number.parseInt(v, 10);
  else return undefined;
  return Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
}

export interface PendingVerifier {
  flags: number;
  drivers: string[] | 'all';
}

/** The settings for the next boot, read from the registry; null when verification is off. */
export function pendingSettings(registry: GuestRegistry): PendingVerifier | null {
  const flags = registry.number(KEYS.memoryManagement, 'VerifyDriverLevel');
  const list = registry.string(KEYS.memoryManagement, 'VerifyDrivers');
  if (flags === undefined || list === undefined || list.trim() === '') return null;
  const drivers = list.trim() === '*' ? 'all' : list.trim().split(/\s+/);
  return { flags, drivers };
}

function renderSettings(flags: number, drivers: string[] | 'all' | null): string[] {
  const line = (l: FlagLine) =>
    `${l.label}: ${l.bit !== 0 && (flags & l.bit) === l.bit ? 'Enabled' : 'Disabled'}`;
  const out = [...OLDER_LINES.map(line), ...NEWER_LINES.map(line)];
  if ((flags & 0x4) !== 0) {
    out.push(
      '',
      'Low Resources Simulation options:',
      '',
      '- Fault injection probability: 600/10000.',
      '- Boot time delay: 7 minutes.',
    );
  }
  out.push('', 'Verified drivers:', '');
  if (drivers === null || (Array.isArray(drivers) && drivers.length === 0)) out.push('None');
  else if (drivers === 'all') out.push('All Drivers');
  else out.push(...drivers);
  return out;
}

function usage(problem: string): ToolResult {
  return fail(text(problem, '', 'Run "verifier /?" for the list of options.'));
}

export interface VerifierContext {
  registry: GuestRegistry;
  active: VerifierActive;
}

/** Runs `verifier <args>`. */
export function verifier(args: readonly string[], ctx: VerifierContext): ToolResult {
  const lower = args.map((a) => a.toLowerCase().replace(/^-/, '/'));
  const first = lower[0];
  if (first === undefined || first === '/?' || first === '/help') {
    return ok(
      text(
        'Driver Verifier command line: verifier /standard /driver NAME [NAME ...] | /flags <options> /all | /reset | /querysettings | /query | /volatile /flags <options>',
      ),
    );
  }
  if (first === '/querysettings') {
    const pending = pendingSettings(ctx.registry);
    return ok(text(...renderSettings(pending?.flags ?? 0, pending?.drivers ?? null)));
  }
  if (first === '/query') return query(ctx.active);
  if (first === '/reset') {
    const had = pendingSettings(ctx.registry) !== null;
    ctx.registry.deleteValue(KEYS.memoryManagement, 'VerifyDriverLevel');
    ctx.registry.deleteValue(KEYS.memoryManagement, 'VerifyDrivers');
    return had ? ok(text(REBOOT), 2) : ok(text('No settings were changed.'));
  }
  if (first === '/volatile') return volatile(args.slice(1), ctx);

  let flags: number | undefined;
  let drivers: string[] | 'all' | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const option = lower[i] as string;
    if (option === '/standard') flags = STANDARD_FLAGS;
    else if (option === '/flags') {
      const value = args[i + 1];
      const parsed = value === undefined ? undefined : parseFlags(value);
      if (parsed === undefined) return usage(`Invalid value for /flags: '${value ?? ''}'.`);
      if ((parsed & ~KNOWN_BITS) !== 0) {
        return usage(
          `The /flags value 0x${parsed.toString(16)} has bits that are not Driver Verifier options.`,
        );
      }
      flags = parsed;
      i += 1;
    } else if (option === '/all') drivers = 'all';
    else if (option === '/driver') {
      const names: string[] = [];
      for (let j = i + 1; j < args.length && !/^[/-]/.test(args[j] as string); j += 1)
        names.push(args[j] as string);
      if (names.length === 0) return usage('/driver needs at least one driver name.');
      if (names.some((n) => /[*?]/.test(n))) return usage('Driver names cannot contain wildcards.');
      drivers = names;
      i += names.length;
    } else {
      return usage(`The option '${args[i]}' is not supported by the embedded lab's verifier.`);
    }
  }
  if (flags === undefined || drivers === undefined) {
    return usage('Give the settings (/standard or /flags) and the drivers (/driver NAME … or /all).');
  }
  ctx.registry.set(KEYS.memoryManagement, 'VerifyDriverLevel', 'DWord', flags);
  ctx.registry.set(
    KEYS.memoryManagement,
    'VerifyDrivers',
    'String',
    drivers === 'all' ? '*' : drivers.join(' '),
  );
  return ok(text('New verifier settings:', '', ...renderSettings(flags, drivers), '', REBOOT), 2);
}

function volatile(args: readonly string[], ctx: VerifierContext): ToolResult {
  const [option, ...rest] = args;
  const active = ctx.active;
  if (active.flags === 0 && active.drivers !== 'all' && active.drivers.length === 0) {
    return fail(
      text('Driver Verifier is not active; enable it and reboot before changing settings with /volatile.'),
    );
  }
  switch (option?.toLowerCase().replace(/^-/, '/')) {
    case '/flags': {
      const parsed = rest[0] === undefined ? undefined : parseFlags(rest[0]);
      if (parsed === undefined) return usage(`Invalid value for /flags: '${rest[0] ?? ''}'.`);
      if ((parsed & ~VOLATILE_FLAGS) !== 0) {
        return fail(
          text('Only these options can be changed without a reboot: 0x4, 0x20, 0x80, 0x200, 0x400.'),
        );
      }
      active.flags = (active.flags & ~VOLATILE_FLAGS) | parsed;
      return ok(text('New verifier settings:', '', ...renderSettings(active.flags, active.drivers)));
    }
    case '/adddriver':
    case '/removedriver': {
      if (rest.length === 0) return usage(`${option} needs at least one driver name.`);
      if (active.drivers === 'all') return fail(text('All drivers are already verified.'));
      const names = new Set(active.drivers.map((d) => d.toLowerCase()));
      const add = option?.toLowerCase().endsWith('adddriver');
      for (const name of rest) {
        if (add) names.add(name.toLowerCase());
        else names.delete(name.toLowerCase());
      }
      active.drivers = [...names];
      return ok(text('New verifier settings:', '', ...renderSettings(active.flags, active.drivers)));
    }
    default:
      return usage(`The option '${option ?? ''}' is not a /volatile option.`);
  }
}

function query(active: VerifierActive): ToolResult {
  const drivers = active.drivers === 'all' ? Object.keys(active.counters) : active.drivers;
  if (active.flags === 0 || (active.drivers !== 'all' && active.drivers.length === 0)) {
    return ok(text('No drivers are currently verified.'));
  }
  const lines = [
    `Level: ${active.flags.toString(16).toUpperCase().padStart(8, '0')}`,
    'RaiseIrqls: 0',
    'AcquireSpinLocks: 0',
    'SynchronizeExecutions: 0',
    'AllocationsAttempted: 0',
    'AllocationsSucceeded: 0',
    'AllocationsSucceededSpecialPool: 0',
    'AllocationsWithNoTag: 0',
    'AllocationsFailed: 0',
    'AllocationsFailedDeliberately: 0',
    'Trims: 0',
    'UnTrackedPool: 0',
    '',
    'Verified drivers:',
    '',
  ];
  for (const name of drivers) {
    const c = active.counters[name.toLowerCase()] ?? { loads: 0, unloads: 0 };
    lines.push(
      `Name: ${name}, loads: ${c.loads}, unloads: ${c.unloads}`,
      'CurrentPagedPoolAllocations: 0',
      'CurrentNonPagedPoolAllocations: 0',
      'PeakPagedPoolAllocations: 0',
      'PeakNonPagedPoolAllocations: 0',
      'PagedPoolUsageInBytes: 0',
      'NonPagedPoolUsageInBytes: 0',
      'PeakPagedPoolUsageInBytes: 0',
      'PeakNonPagedPoolUsageInBytes: 0',
      '',
    );
  }
  return ok(text(...lines));
}

/** Whether a driver binary is verified under the given settings. */
export function isVerified(settings: { flags: number; drivers: string[] | 'all' }, binary: string): boolean {
  if (settings.flags === 0) return false;
  return settings.drivers === 'all' || settings.drivers.some((d) => d.toLowerCase() === binary.toLowerCase());
}
