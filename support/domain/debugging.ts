/**
 * Kernel debugging of the test VM: the boot settings that turn it on (bcdedit /dbgsettings and
 * /debug), the KDNET key the guest generates (captured as a secret: registered with the lab's
 * Redactor before anything that shows it reaches the report), and the live debugger session.
 */
import { ConfigurationError, LabCompromisedError } from '../../lab/errors.js';
import type { BcdDbgSettingsResult } from '../../lab/parsers/index.js';
import type { LabWorld } from '../world.js';
import { readOutput } from './read.js';

export interface NetworkDebugSettings {
  hostIp: string;
  port: number;
  /** The key the guest generated (a secret: redacted everywhere). */
  key: string;
}

export class Debugging {
  settings: NetworkDebugSettings | null = null;

  constructor(private readonly world: LabWorld) {}

  /** The address the VM's debugger listens on, from the lab file (KDNET VMs only). */
  private debuggerHostIp(): string {
    const debug = this.world.vm.config.debug;
    if (debug?.transport !== 'net') {
      throw new ConfigurationError(
        `VM '${this.world.vm.name}' is not debugged over the network in ${this.world.lab.file.path} (its debug transport is ${debug?.transport ?? 'not set'}), so a scenario cannot point its KDNET at the debugger; run it on a VM with debug: { transport: net, hostIp, port }.`,
      );
    }
    return debug.hostIp;
  }

  /**
   * Points the VM's kernel debugging at the lab's debugger over KDNET on `port` with a newly
   * generated key, and turns debugging on for the next boot.
   */
  async useNetwork(port: number): Promise<NetworkDebugSettings> {
    const hostIp = this.debuggerHostIp();
    const set = await this.world.guest.run([
      'bcdedit',
      '/dbgsettings',
      'net',
      `hostip:${hostIp}`,
      `port:${port}`,
      'newkey',
    ]);
    const value = readOutput(
      'bcdedit-dbgsettings',
      set.stdout,
      `'bcdedit /dbgsettings net' in ${this.world.vm.describe()}`,
    );
    // Registered before the output reaches the report, so every attachment shows it redacted.
    if (value.key) this.world.lab.redactor.add(value.key, `the KDNET key of VM '${this.world.vm.name}'`);
    await this.world.evidence.attach('bcdedit dbgsettings net', set.stdout, value);
    if (!value.key || set.exitCode !== 0) {
      throw new LabCompromisedError(
        `bcdedit printed no KDNET key in ${this.world.vm.describe()} (exit code ${set.exitCode}); check that the guest's boot configuration can be changed.`,
      );
    }
    const on = await this.world.guest.run(['bcdedit', '/debug', 'on']);
    if (on.exitCode !== 0) {
      throw new LabCompromisedError(
        `bcdedit /debug on failed in ${this.world.vm.describe()} (exit code ${on.exitCode}); check that Secure Boot or BitLocker does not lock the boot configuration.`,
      );
    }
    this.settings = { hostIp, port, key: value.key };
    this.world.did(`kernel debugging over the network to ${hostIp}:${port} was turned on`);
    return this.settings;
  }

  /** The debug settings as `bcdedit /dbgsettings` shows them now. */
  async current(): Promise<BcdDbgSettingsResult> {
    return (await this.world.guest.read(['bcdedit', '/dbgsettings'], 'bcdedit-dbgsettings')).value;
  }
}
