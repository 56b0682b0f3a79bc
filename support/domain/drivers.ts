/**
 * The lab file's drivers in the guest: installing a package (copied from the lab's host, installed with
 * pnputil when it has an INF, with sc create otherwise), loading it, and running its triggers (the
 * command lines the lab file gives to exercise it).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigurationError,
  type DriverConfig,
  describeBugcheck,
  type GuestCommandResult,
  resolveLabPath,
} from '../../lab/index.js';
import type { Expect, LabAccess, TestVm } from '../capabilities.js';
import { labelDriver } from '../report-labels.js';
import type { Crashes } from './crashes.js';

/** Where driver packages go in the guest. */
const GUEST_DRIVERS = 'C:\\driverlab\\drivers';

/** Exit codes of a driver start that leave the driver running: 0, and 1056 (already running). */
const STARTED = new Set([0, 1056]);
/** pnputil's success codes: 0, and 3010 (ERROR_SUCCESS_REBOOT_REQUIRED). */
const INSTALLED = new Set([0, 3010]);

function lastLines(r: GuestCommandResult): string {
  const text = `${r.stdout}\n${r.stderr}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return text.slice(-2).join(' ') || 'nothing';
}

/** What the lab file's drivers use: the lab (its drivers list), the VM, the crashes (a driver may bugcheck the VM), expectations. */
export interface DriversNeeds extends LabAccess, Pick<TestVm, 'vm'> {
  readonly crashes: Pick<Crashes, 'run' | 'last'>;
  readonly expect: Expect;
}

export class Drivers {
  /** The drivers the scenario installed, by name (the suspects of a crash). */
  private readonly installed = new Map<string, DriverConfig>();
  /** Every driver trigger the scenario ran, by driver. */
  private readonly triggered: { binary: string; trigger: string }[] = [];

  constructor(private readonly my: DriversNeeds) {}

  /** The binaries of the drivers the scenario put on the VM ("myfault.sys"). */
  get suspects(): string[] {
    return [...this.installed.values()].map((d) => d.binary);
  }

  /** The drivers-list entry that is the fixed build of a driver (its `fixedBy`). */
  fixedBuildOf(driver: DriverConfig): DriverConfig {
    if (!driver.fixedBy) {
      throw new ConfigurationError(
        `The driver '${driver.name}' has no fixed build in the drivers list of ${this.my.lab.describe()}; name it with fixedBy under its entry in ${this.my.lab.file.path}.`,
      );
    }
    return this.my.lab.driver(driver.fixedBy);
  }

  /** Copies the driver's package into the guest and installs it. */
  async install(driver: DriverConfig): Promise<void> {
    if (this.installed.has(driver.name)) return;
    const lab = this.my.lab;
    const guest = this.my.vm.guest;
    const folder = resolveLabPath(lab.file, driver.package);
    let files: string[];
    try {
      files = readdirSync(folder);
    } catch (error) {
      throw new ConfigurationError(
        `The package folder '${folder}' of driver '${driver.name}' cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); check drivers[].package in ${lab.file.path}.`,
        { cause: error },
      );
    }
    const target = `${GUEST_DRIVERS}\\${driver.name}`;
    for (const file of files) await guest.copyIn(join(folder, file), `${target}\\${file}`);
    const because = `its package '${driver.package}' is in the lab file's drivers list`;
    const install = driver.inf
      ? ['pnputil', '/add-driver', `${target}\\${driver.inf}`, '/install']
      : [
          'sc',
          'create',
          driver.service,
          'type=',
          'kernel',
          'start=',
          'demand',
          'binPath=',
          `${target}\\${driver.binary}`,
        ];
    const r = await this.my.crashes.run(install, `${driver.binary} was installed`);
    if (r === null) this.crashedWhile(`${driver.binary} to install`, because);
    else if (!INSTALLED.has(r.exitCode)) {
      throw this.my.expect.failed({
        expected: `${driver.binary} to install on ${this.my.vm.describe()}`,
        because,
        actual: `'${install.slice(0, 2).join(' ')}' exited with ${r.exitCode}: ${lastLines(r)}`,
      });
    }
    this.installed.set(driver.name, driver);
    await labelDriver(driver.binary);
  }

  /** Installs the driver if needed and starts it. */
  async load(driver: DriverConfig): Promise<void> {
    await this.install(driver);
    const r = await this.my.crashes.run(['sc', 'start', driver.service], `${driver.binary} was loaded`);
    const because = `${driver.binary} was installed as the service '${driver.service}'`;
    if (r === null) this.crashedWhile(`${driver.binary} to load`, because);
    else if (!STARTED.has(r.exitCode)) {
      throw this.my.expect.failed({
        expected: `${driver.binary} to load on ${this.my.vm.describe()}`,
        because,
        actual: `'sc start ${driver.service}' exited with ${r.exitCode}: ${lastLines(r)}`,
      });
    }
  }

  /**
   * Runs one of the driver's triggers; `what` says what the driver does then ("overran its pool
   * allocation"). The VM may bugcheck under it: that is the crash a later step examines.
   */
  async trigger(driver: DriverConfig, trigger: string, what: string): Promise<void> {
    const command = driver.triggers[trigger];
    if (!command) {
      const known = Object.keys(driver.triggers);
      throw new ConfigurationError(
        `The driver '${driver.name}' has no trigger '${trigger}' in the drivers list of ${this.my.lab.describe()} (${known.length > 0 ? `its triggers: ${known.join(', ')}` : 'it has none'}); add it under its triggers in ${this.my.lab.file.path}.`,
      );
    }
    this.triggered.push({ binary: driver.binary, trigger });
    await this.my.crashes.run(command, `${driver.binary} ${what}`);
  }

  /** The binaries the scenario made run this driver trigger ("overrun"), in order. */
  triggeredBy(trigger: string): string[] {
    return [...new Set(this.triggered.filter((t) => t.trigger === trigger).map((t) => t.binary))];
  }

  private crashedWhile(expected: string, because: string): never {
    const crash = this.my.crashes.last;
    throw this.my.expect.failed({
      expected,
      because,
      actual: crash
        ? `${this.my.vm.describe()} bugchecked with ${describeBugcheck(crash.code)} instead`
        : `the guest command was cut short in ${this.my.vm.describe()} before it finished`,
    });
  }
}
