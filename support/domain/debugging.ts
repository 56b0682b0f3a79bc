/**
 * Kernel debugging of the test VM: the boot settings that turn it on (bcdedit /dbgsettings and
 * /debug), the KDNET key the guest generates (captured as a secret: registered with the lab's
 * Redactor before anything that shows it reaches the report), and the live debugger session.
 */
import { randomBytes } from 'node:crypto';
import {
  type BcdDbgSettingsResult,
  ConfigurationError,
  claimFreeKdnetPort,
  debuggerOptions,
  followRestart,
  formatLabDuration,
  HarnessLogicError,
  KdSession,
  LabCompromisedError,
  type LmResult,
  type StopEvent,
} from '../../lab/index.js';
import type { Expect, Keeps, LabAccess, Narrative, TestVm } from '../capabilities.js';
import type { DebuggerRegistry } from '../debuggers.js';
import type { GuestTools } from './guest.js';
import { readOutput } from './read.js';

/** A KDNET key in bcdedit's form (four base-36 parts of 64 bits) that no guest generated. */
function unrelatedKey(): string {
  const bytes = randomBytes(32);
  return [0, 8, 16, 24].map((at) => bytes.readBigUInt64BE(at).toString(36)).join('.');
}

export interface NetworkDebugSettings {
  hostIp: string;
  port: number;
  /** The key the guest generated (a secret: redacted everywhere). */
  key: string;
}

/** What kernel debugging of the test VM uses: the lab and its debugger, the VM, the guest tools (bcdedit), the VM's own live debugger (the worker's registry), the narrative, expectations and evidence. */
export interface DebuggingNeeds extends LabAccess, Pick<TestVm, 'vm'>, Keeps {
  readonly guest: Pick<GuestTools, 'run' | 'read'>;
  readonly debuggers: Pick<DebuggerRegistry, 'attachedDebugger' | 'detachDebugger'>;
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export class Debugging {
  settings: NetworkDebugSettings | null = null;
  private session: KdSession | null = null;
  /** Which key the debugger listens with: the one the VM generated, or another. */
  private keyKind: 'generated' | 'wrong' | null = null;
  private stop: StopEvent | null = null;

  constructor(private readonly my: DebuggingNeeds) {}

  /** The address the VM's debugger listens on, from the lab file (KDNET VMs only). */
  private debuggerHostIp(): string {
    const debug = this.my.vm.config.debug;
    if (debug?.transport !== 'net') {
      throw new ConfigurationError(
        `VM '${this.my.vm.name}' is not debugged over the network in ${this.my.lab.file.path} (its debug transport is ${debug?.transport ?? 'not set'}), so a scenario cannot point its KDNET at the debugger; run it on a VM with debug: { transport: net, hostIp, port }.`,
      );
    }
    return debug.hostIp;
  }

  /** Points the VM's KDNET at a debugger with a key it is given, and turns debugging on for the next boot. */
  async pointAt(transport: { hostIp: string; port: number; key: string }): Promise<void> {
    const set = await this.my.guest.run([
      'bcdedit',
      '/dbgsettings',
      'net',
      `hostip:${transport.hostIp}`,
      `port:${transport.port}`,
      `key:${transport.key}`,
    ]);
    if (set.exitCode !== 0) {
      throw new LabCompromisedError(
        `bcdedit could not set the KDNET debug settings in ${this.my.vm.describe()} (exit code ${set.exitCode}: ${set.stdout.trim() || set.stderr.trim()}); check that the guest's boot configuration can be changed.`,
      );
    }
    await this.debugOn();
  }

  private async debugOn(): Promise<void> {
    const on = await this.my.guest.run(['bcdedit', '/debug', 'on']);
    if (on.exitCode !== 0) {
      throw new LabCompromisedError(
        `bcdedit /debug on failed in ${this.my.vm.describe()} (exit code ${on.exitCode}); check that Secure Boot or BitLocker does not lock the boot configuration.`,
      );
    }
  }

  /**
   * Points the VM's kernel debugging at the lab's debugger over KDNET on `port` with a newly
   * generated key, and turns debugging on for the next boot.
   */
  async useNetwork(port: number): Promise<NetworkDebugSettings> {
    const hostIp = this.debuggerHostIp();
    const set = await this.my.guest.run([
      'bcdedit',
      '/dbgsettings',
      'net',
      `hostip:${hostIp}`,
      `port:${port}`,
      'newkey',
    ]);
    const value = await readOutput(
      'bcdedit-dbgsettings',
      set.stdout,
      `'bcdedit /dbgsettings net' in ${this.my.vm.describe()}`,
    );
    // Registered before the output reaches the report, so every attachment shows it redacted.
    if (value.key) this.my.lab.redactor.add(value.key, `the KDNET key of VM '${this.my.vm.name}'`);
    await this.my.evidence.attach('bcdedit dbgsettings net', set.stdout, value);
    if (!value.key || set.exitCode !== 0) {
      throw new LabCompromisedError(
        `bcdedit printed no KDNET key in ${this.my.vm.describe()} (exit code ${set.exitCode}); check that the guest's boot configuration can be changed.`,
      );
    }
    await this.debugOn();
    this.settings = { hostIp, port, key: value.key };
    this.my.narrative.did(`kernel debugging over the network to ${hostIp}:${port} was turned on`);
    return this.settings;
  }

  /**
   * As useNetwork, on a port chosen free now and held by this worker until it ends (lab/endpoints.ts),
   * so a scenario of another run on this machine never listens on the same one.
   */
  async useNetworkOnFreePort(): Promise<NetworkDebugSettings> {
    const { port } = await claimFreeKdnetPort(this.debuggerHostIp());
    return this.useNetwork(port);
  }

  /** The debug settings as `bcdedit /dbgsettings` shows them now. */
  async current(): Promise<BcdDbgSettingsResult> {
    return (await this.my.guest.read(['bcdedit', '/dbgsettings'], 'bcdedit-dbgsettings')).value;
  }

  /** The boot configuration sends debugging over the network to the lab's debugger on this port. */
  async expectSettings(port: number): Promise<void> {
    const hostIp = this.debuggerHostIp();
    const now = await this.current();
    this.my.expect.that(
      now.debugtype?.toUpperCase() === 'NET' && now.hostip === hostIp && now.port === port,
      {
        expected: `the debug settings of ${this.my.vm.describe()} to send over the network to ${hostIp}:${port}`,
        because: this.my.narrative.lastAction ?? 'network debugging was turned on',
        actual: `they say ${now.debugtype ?? 'no debug type'} to ${now.hostip ?? 'no host'}:${now.port ?? 'no port'}`,
      },
    );
  }

  /**
   * Restarts the guest OS and waits until it is ready — and, when the VM's live debugger still
   * owns its KDNET (this scenario did not point KDNET at a debugger of its own), until kd has seen
   * it go down and connected to it again (lab/kd/follow.ts): a bug check that follows is then
   * reported by that connection and never taken for the restart.
   */
  async restartGuest(): Promise<void> {
    const vm = this.my.vm;
    const live = this.settings === null ? this.my.debuggers.attachedDebugger(vm) : null;
    const eventsBefore = live?.session.events().length ?? 0;
    await vm.guest.reboot();
    if (!live || live.session.state === 'disconnected') return;
    await followRestart(live.session, {
      subject: vm.describe(),
      eventsBefore,
      timeoutMs: this.my.lab.timeouts.kdConnect,
      clock: this.my.lab.clock,
    });
  }

  /** Starts the lab's debugger listening for the VM on the scenario's KDNET port, with its key or another. */
  async listen(key: 'generated' | 'wrong'): Promise<void> {
    const settings = this.settings;
    if (!settings) {
      throw new HarnessLogicError(
        "The debugger was started before the scenario turned network debugging on; 'When network debugging to the lab's debugger is turned on, on port …' comes first.",
      );
    }
    await this.close();
    const lab = this.my.lab;
    const vm = this.my.vm;
    // The VM's own session may listen on this very port (kd.exe listens on every address): end it.
    const own = this.my.debuggers.attachedDebugger(vm);
    if (own && own.port === settings.port) await this.my.debuggers.detachDebugger(vm);
    const wrong = key === 'wrong' ? unrelatedKey() : null;
    if (wrong) lab.redactor.add(wrong, `a KDNET key VM '${vm.name}' does not know`);
    const options = debuggerOptions(lab, vm, { verifierPolicy: () => 'b', key: wrong ?? settings.key });
    if (options.connection.kind !== 'net')
      throw new HarnessLogicError(
        `VM '${vm.name}' was given KDNET settings but its debugger is not a KDNET one.`,
      );
    this.session = KdSession.start({
      ...options,
      connection: { ...options.connection, port: settings.port },
    });
    this.keyKind = key;
    this.my.narrative.did(
      `the debugger listens on port ${settings.port} with ${key === 'generated' ? 'the key the VM generated' : 'a key the VM does not know'}`,
    );
  }

  private live(): KdSession {
    if (!this.session) {
      throw new HarnessLogicError(
        "No debugger listens for the VM; 'When the debugger listens …' comes first.",
      );
    }
    return this.session;
  }

  /** The debugger connects to the VM within `timeoutMs` (lab time). */
  async expectConnected(timeoutMs: number): Promise<void> {
    const session = this.live();
    let error: unknown = null;
    try {
      await session.waitUntilConnected({ timeoutMs });
    } catch (e) {
      if (!(e instanceof LabCompromisedError)) throw e;
      error = e;
    }
    if (error && this.keyKind === 'generated') throw error;
    this.my.expect.that(error === null, {
      expected: `the debugger to connect to ${this.my.vm.describe()} within ${formatLabDuration(timeoutMs)}`,
      because: this.my.narrative.lastAction ?? 'the VM boots with network debugging on',
      actual: `it did not: ${error instanceof Error ? error.message : ''}`,
    });
  }

  /** The debugger is still waiting for the VM after `timeoutMs`: a key the VM does not know never connects. */
  async expectNeverConnected(timeoutMs: number): Promise<void> {
    const session = this.live();
    const connected = !(await session.staysDisconnected(timeoutMs));
    await this.my.evidence.attach('debugger events', null, session.events());
    this.my.expect.that(!connected, {
      expected: `the debugger to be still waiting for ${this.my.vm.describe()} after ${formatLabDuration(timeoutMs)}`,
      because:
        'KDNET signs every packet with the key, and the debugger listens with one the VM does not know',
      actual: `it connected (${session.state})`,
    });
  }

  /** Breaks into the running VM. */
  async breakIn(): Promise<void> {
    this.stop = await this.live().breakIn();
    this.my.narrative.did('the debugger broke in');
  }

  /** The stopped target answers at the prompt: `lm` lists the kernel among its modules. */
  async expectPromptAnswers(): Promise<void> {
    const session = this.live();
    const { output } = await session.execute('lm');
    const modules: LmResult = await readOutput('lm', output, `'lm' on ${session.describe()}`);
    await this.my.evidence.attach('kd lm', output, modules);
    this.my.expect.that(
      modules.modules.some((m) => m.name.toLowerCase() === 'nt'),
      {
        expected: `the debugger of ${this.my.vm.describe()} to answer at its prompt with the loaded modules, the kernel (nt) among them`,
        because: `${this.stop ? `it broke in (${this.stop.kind})` : 'it broke in'}`,
        actual: `lm lists ${
          modules.modules
            .map((m) => m.name)
            .slice(0, 8)
            .join(', ') || 'no module'
        }`,
      },
    );
  }

  /** Breaks in, then the prompt answers. */
  async expectBreakInAnswers(): Promise<void> {
    await this.breakIn();
    await this.expectPromptAnswers();
  }

  /** Lets the target run again. */
  async resume(): Promise<void> {
    await this.live().go();
    this.stop = null;
    this.my.narrative.did('the debugger let the VM run again');
  }

  /** Ends the session, attaching its transcript (redacted: the KDNET key never shows). */
  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (!session) return;
    try {
      await this.my.evidence.text('kd transcript (live).txt', session.transcript());
    } finally {
      await session.close();
    }
  }
}
