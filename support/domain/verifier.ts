/**
 * Driver Verifier in the guest: settings given with `verifier /flags … /driver …|/all` take effect
 * at the next boot (exit code 2 says so), so enabling means setting, rebooting and confirming what
 * the guest then reports; the IRP log (`!verifier 100`) is read from the crash in the debugger.
 */
import {
  type DriverConfig,
  describeVerifierFlags,
  LabCompromisedError,
  ParseError,
  type VerifierFlags,
  type VerifierQueryResult,
  verifierOption,
} from '../../lab/index.js';
import { expectThat } from '../expectations.js';
import type { LabWorld } from '../world.js';
import { theParsers } from './read.js';

const MEMORY_MANAGEMENT = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management';

export interface ActiveVerifier {
  flags: number;
  /** The verified driver binaries, or 'all'. */
  drivers: string[] | 'all';
}

export class Verifier {
  private settings: ActiveVerifier | null = null;

  constructor(private readonly world: LabWorld) {}

  /** What Driver Verifier checks since the scenario enabled it, or null. */
  get active(): ActiveVerifier | null {
    return this.settings;
  }

  /** "Driver Verifier checks myfault.sys with 0x1 (special pool)", for the because of expectations. */
  get description(): string {
    const s = this.settings;
    if (!s) return 'Driver Verifier is off';
    return `Driver Verifier checks ${s.drivers === 'all' ? 'all drivers' : s.drivers.join(', ')} with ${describeVerifierFlags(s.flags)}`;
  }

  /** The drivers special pool covers ('all' with /all), for the pool triage. */
  get underSpecialPool(): string[] | 'all' {
    const s = this.settings;
    if (!s || (s.flags & 0x1) === 0) return [];
    return s.drivers;
  }

  /** Sets Driver Verifier's options for these drivers (or all), reboots, and confirms the guest runs with them. */
  async enable(options: VerifierFlags, target: DriverConfig[] | 'all'): Promise<void> {
    const drivers = target === 'all' ? 'all' : target.map((d) => d.binary);
    const hex = `0x${options.flags.toString(16)}`;
    const command = ['verifier', '/flags', hex, ...(drivers === 'all' ? ['/all'] : ['/driver', ...drivers])];
    const set = await this.world.guest.run(command);
    if (set.exitCode !== 2 && set.exitCode !== 0) {
      throw new LabCompromisedError(
        `Driver Verifier refused '${command.join(' ')}' on ${this.world.vm.describe()} (exit code ${set.exitCode}: ${set.stdout.trim().split(/\r?\n/).pop() ?? ''}); check that the guest's verifier.exe takes these options.`,
      );
    }
    await this.world.vm.guest.reboot();
    await this.confirm({ flags: options.flags, drivers });
    this.settings = { flags: options.flags, drivers };
    this.world.did(this.description);
  }

  /**
   * The IRP log of the crash (`!verifier 100`) has an entry with this SpecialApcDisable count whose
   * stack shows the I/O issued from `binary`.
   */
  async expectIrpLogEntry(binary: string, specialApcDisable: number): Promise<void> {
    if (!this.world.crashes.last) {
      throw this.world.crashes.noCrash(
        `the IRP log of a crash of ${this.world.vm.describe()} to have an entry with SpecialApcDisable = ${specialApcDisable} issued from ${binary}`,
      );
    }
    // No IRP logging, another driver verified, or Driver Verifier off: !verifier 100 lists no entry.
    // That is data — the expectation below fails with its sentence — not a reading problem.
    const log = await (await this.world.crashes.analysis()).run('!verifier 100', 'verifier-irplog', {
      whenEmpty: { entries: [], truncated: false },
    });
    const module = binary.replace(/\.sys$/i, '').toLowerCase();
    const from = log.entries.filter((e) => e.stack.some((f) => f.module?.toLowerCase() === module));
    const hit = from.find((e) => e.specialApcDisable === specialApcDisable);
    expectThat(this.world, hit !== undefined, {
      expected: `the IRP log to have an entry with SpecialApcDisable = ${specialApcDisable} issued from ${binary}`,
      because: `${this.description} and ${this.world.crashes.last?.during ?? this.world.lastAction ?? 'the driver issued I/O'}`,
      actual:
        log.entries.length === 0
          ? `the IRP log has no entries${this.logsIrps(binary) ? '' : ` (${this.irpLoggingGap(binary)})`}`
          : from.length === 0
            ? `none of its ${log.entries.length} entries has ${binary} on its stack`
            : `the entries from ${binary} have SpecialApcDisable ${[...new Set(from.map((e) => e.specialApcDisable))].join(', ')}`,
    });
  }

  /** Whether Driver Verifier logs the IRPs of this driver: I/O verification (0x10) and IRP logging (0x400) on it. */
  private logsIrps(binary: string): boolean {
    const s = this.settings;
    if (!s || (s.flags & 0x410) !== 0x410) return false;
    return s.drivers === 'all' || s.drivers.some((d) => d.toLowerCase() === binary.toLowerCase());
  }

  /** Why no IRP of this driver is logged, from the settings the scenario gave. */
  private irpLoggingGap(binary: string): string {
    const s = this.settings;
    if (!s) return 'Driver Verifier is off, so no IRP is logged';
    const missing = [
      (s.flags & 0x10) === 0 ? 'I/O verification' : null,
      (s.flags & 0x400) === 0 ? 'IRP logging' : null,
    ]
      .filter((m) => m !== null)
      .join(' and ');
    if (missing !== '') return `Driver Verifier runs without ${missing}, so no IRP is logged`;
    return `Driver Verifier does not verify ${binary}, so its IRPs are not logged`;
  }

  /** Confirms the settings after the reboot: /querysettings, or the registry when its text cannot be read. */
  private async confirm(expected: ActiveVerifier): Promise<void> {
    const r = await this.world.guest.run(['verifier', '/querysettings']);
    let query: VerifierQueryResult | null = null;
    try {
      query = (await theParsers())['verifier-query'].parse(r.stdout);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      await this.world.evidence.attach(
        'verifier querysettings (unreadable)',
        `${r.stdout}\n\n${error.message}`,
      );
    }
    let flags: number;
    let drivers: string[] | 'all' | null;
    if (query) {
      await this.world.evidence.attach('verifier querysettings', r.stdout, query);
      flags = query.flags
        ? Number(query.flags)
        : Object.entries(query.options)
            .filter(([, on]) => on)
            .reduce((all, [label]) => all | (verifierOption(label)?.bit ?? 0), 0);
      drivers = query.allDrivers ? 'all' : query.drivers;
    } else {
      const level = await this.world.vm.guest.registryValue(MEMORY_MANAGEMENT, 'VerifyDriverLevel');
      const list = await this.world.vm.guest.registryValue(MEMORY_MANAGEMENT, 'VerifyDrivers');
      await this.world.evidence.attach('verifier registry settings', null, {
        VerifyDriverLevel: level,
        VerifyDrivers: list,
      });
      flags = typeof level.value === 'number' ? level.value : Number(level.value ?? 0);
      const text = typeof list.value === 'string' ? list.value.trim() : '';
      drivers = text === '*' ? 'all' : text.split(/\s+/).filter((d) => d !== '');
    }
    const missingFlags = expected.flags & ~flags;
    const missingDrivers =
      expected.drivers === 'all'
        ? drivers === 'all' || drivers === null
          ? []
          : ['all drivers']
        : expected.drivers.filter(
            (d) => drivers !== 'all' && !(drivers ?? []).some((x) => x.toLowerCase() === d.toLowerCase()),
          );
    if (missingFlags !== 0 || missingDrivers.length > 0) {
      throw new LabCompromisedError(
        `Driver Verifier on ${this.world.vm.describe()} did not take its settings after the reboot (${missingFlags !== 0 ? `options ${describeVerifierFlags(missingFlags)} are off` : ''}${missingFlags !== 0 && missingDrivers.length > 0 ? ' and ' : ''}${missingDrivers.length > 0 ? `${missingDrivers.join(', ')} not verified` : ''}); check the guest's verifier /querysettings and its boot mode.`,
      );
    }
  }
}
