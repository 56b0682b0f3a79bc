/**
 * Driver Verifier in the guest: settings given with `verifier /flags … /driver …|/all` take effect
 * at the next boot (exit code 2 says so), so enabling means setting, rebooting and confirming what
 * the guest then reports; the IRP log (`!verifier 100`) is read from the crash in the debugger.
 */
import {
  type ActiveVerifier,
  type DriverConfig,
  describeVerifier,
  describeVerifierFlags,
  irpLogEntriesFrom,
  irpLoggingGap,
  LabCompromisedError,
  logsIrpsOf,
  missingSettings,
  ParseError,
  parsers,
  type ShownVerifier,
  settingsFromQuery,
  settingsFromRegistry,
  underSpecialPool,
  type VerifierFlags,
  type VerifierQueryResult,
} from '../../lab/index.js';
import type { Expect, Keeps, Narrative, TestVm } from '../capabilities.js';
import type { Crashes } from './crashes.js';
import type { Debugging } from './debugging.js';
import type { GuestTools } from './guest.js';

const MEMORY_MANAGEMENT = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management';

/** What Driver Verifier uses: the VM, the guest tools, the crash (its IRP log), evidence, the narrative and expectations. */
export interface VerifierNeeds extends Pick<TestVm, 'vm'>, Keeps {
  readonly guest: Pick<GuestTools, 'run'>;
  /** Restarts the guest, with its live debugger following (the settings take effect at boot). */
  readonly debugging: Pick<Debugging, 'restartGuest'>;
  readonly crashes: Pick<Crashes, 'last' | 'noCrash' | 'analysis'>;
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export class Verifier {
  private settings: ActiveVerifier | null = null;

  constructor(private readonly my: VerifierNeeds) {}

  /** What Driver Verifier checks since the scenario enabled it, or null. */
  get active(): ActiveVerifier | null {
    return this.settings;
  }

  /** "Driver Verifier checks myfault.sys with 0x1 (special pool)", for the because of expectations. */
  get description(): string {
    return describeVerifier(this.settings);
  }

  /** The drivers special pool covers ('all' with /all), for the pool triage. */
  get underSpecialPool(): string[] | 'all' {
    return underSpecialPool(this.settings);
  }

  /** Sets Driver Verifier's options for these drivers (or all), reboots, and confirms the guest runs with them. */
  async enable(options: VerifierFlags, target: DriverConfig[] | 'all'): Promise<void> {
    const drivers = target === 'all' ? 'all' : target.map((d) => d.binary);
    const hex = `0x${options.flags.toString(16)}`;
    const command = ['verifier', '/flags', hex, ...(drivers === 'all' ? ['/all'] : ['/driver', ...drivers])];
    const set = await this.my.guest.run(command);
    if (set.exitCode !== 2 && set.exitCode !== 0) {
      throw new LabCompromisedError(
        `Driver Verifier refused '${command.join(' ')}' on ${this.my.vm.describe()} (exit code ${set.exitCode}: ${set.stdout.trim().split(/\r?\n/).pop() ?? ''}); check that the guest's verifier.exe takes these options.`,
      );
    }
    await this.my.debugging.restartGuest();
    await this.confirm({ flags: options.flags, drivers });
    this.settings = { flags: options.flags, drivers };
    this.my.narrative.did(this.description);
  }

  /**
   * The IRP log of the crash (`!verifier 100`) has an entry with this SpecialApcDisable count whose
   * stack shows the I/O issued from `binary`.
   */
  async expectIrpLogEntry(binary: string, specialApcDisable: number): Promise<void> {
    if (!this.my.crashes.last) {
      throw this.my.crashes.noCrash(
        `the IRP log of a crash of ${this.my.vm.describe()} to have an entry with SpecialApcDisable = ${specialApcDisable} issued from ${binary}`,
      );
    }
    // No IRP logging, another driver verified, or Driver Verifier off: !verifier 100 lists no entry.
    // That is data — the expectation below fails with its sentence — not a reading problem.
    const log = await (await this.my.crashes.analysis()).run('!verifier 100', 'verifier-irplog', {
      whenEmpty: { entries: [], truncated: false },
    });
    const from = irpLogEntriesFrom(log, binary);
    const hit = from.find((e) => e.specialApcDisable === specialApcDisable);
    this.my.expect.that(hit !== undefined, {
      expected: `the IRP log to have an entry with SpecialApcDisable = ${specialApcDisable} issued from ${binary}`,
      because: `${this.description} and ${this.my.crashes.last?.during ?? this.my.narrative.lastAction ?? 'the driver issued I/O'}`,
      actual:
        log.entries.length === 0
          ? `the IRP log has no entries${logsIrpsOf(this.settings, binary) ? '' : ` (${irpLoggingGap(this.settings, binary)})`}`
          : from.length === 0
            ? `none of its ${log.entries.length} entries has ${binary} on its stack`
            : `the entries from ${binary} have SpecialApcDisable ${[...new Set(from.map((e) => e.specialApcDisable))].join(', ')}`,
    });
  }

  /** Confirms the settings after the reboot: /querysettings, or the registry when its text cannot be read. */
  private async confirm(expected: ActiveVerifier): Promise<void> {
    const r = await this.my.guest.run(['verifier', '/querysettings']);
    let query: VerifierQueryResult | null = null;
    try {
      query = parsers['verifier-query'].parse(r.stdout);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      await this.my.evidence.attach('verifier querysettings (unreadable)', `${r.stdout}\n\n${error.message}`);
    }
    let shown: ShownVerifier;
    if (query) {
      await this.my.evidence.attach('verifier querysettings', r.stdout, query);
      shown = settingsFromQuery(query);
    } else {
      const level = await this.my.vm.guest.registryValue(MEMORY_MANAGEMENT, 'VerifyDriverLevel');
      const list = await this.my.vm.guest.registryValue(MEMORY_MANAGEMENT, 'VerifyDrivers');
      await this.my.evidence.attach('verifier registry settings', null, {
        VerifyDriverLevel: level,
        VerifyDrivers: list,
      });
      shown = settingsFromRegistry(level.value, list.value);
    }
    const missing = missingSettings(expected, shown);
    const missingFlags = missing.flags;
    const missingDrivers = missing.drivers;
    if (missingFlags !== 0 || missingDrivers.length > 0) {
      throw new LabCompromisedError(
        `Driver Verifier on ${this.my.vm.describe()} did not take its settings after the reboot (${missingFlags !== 0 ? `options ${describeVerifierFlags(missingFlags)} are off` : ''}${missingFlags !== 0 && missingDrivers.length > 0 ? ' and ' : ''}${missingDrivers.length > 0 ? `${missingDrivers.join(', ')} not verified` : ''}); check the guest's verifier /querysettings and its boot mode.`,
      );
    }
  }
}
