/**
 * The Hyper-V adapter: the one implementation of the lab ports. Every operation is a named
 * PowerShell script (lab/hyperv/ops/) sent to the host's PowerShell session; the same code serves a
 * real Hyper-V host and the embedded simulated lab host.
 */
import type { z } from 'zod';
import { formatLabDuration, type LabClock, scaledClock } from '../clock.js';
import type { DriverConfig, HostConfig, LabFile, Timeouts, VmConfig } from '../config/lab-file.js';
import { Redactor, resolveSecret, type SecretContext } from '../config/secrets.js';
import { formatZodIssues } from '../config/zod-errors.js';
import { ConfigurationError, HarnessLogicError, LabCompromisedError } from '../errors.js';
import type {
  CheckpointInfo,
  Guest,
  GuestCommandResult,
  GuestEvent,
  GuestEventQuery,
  Host,
  Lab,
  Narrator,
  ReadyReport,
  RegistryValue,
  Vm,
  VmStatus,
} from '../ports.js';
import { silentNarrator } from '../ports.js';
import { embeddedHostCommand } from '../sim/launch.js';
import {
  type OperationName,
  type OperationParams,
  type OperationResult,
  operations,
  type VmRecord,
} from './ops/catalog.js';
import { classifyHostError, type PsError, parseReply } from './reply.js';
import { buildScript, type ScriptTarget, wireLine } from './script.js';
import { PowerShellSession, type ShellCommand } from './session.js';

/** One operation as the report keeps it: what was sent (redacted) and what came back. */
export interface TranscriptEntry {
  operation: OperationName;
  subject: string;
  script: string;
  stdout: string;
  stderr: string;
  wallMs: number;
  outcome: 'ok' | 'error';
}

export interface LabOptions {
  env?: NodeJS.ProcessEnv;
  /** Which Cucumber worker this lab serves (embedded lab: one simulated host per worker). */
  workerIndex?: number;
}

/** How often bounded waits look again, in lab milliseconds. */
const POLL_MS = 1000;

export class HypervLab implements Lab {
  readonly name: string;
  readonly kind: 'hyperv' | 'embedded';
  readonly clock: LabClock;
  readonly redactor = new Redactor();
  readonly timeouts: Timeouts;
  private readonly hosts = new Map<string, LabHost>();
  private readonly vmsByName = new Map<string, HypervVm>();
  private narrator: Narrator = silentNarrator;
  private transcript: TranscriptEntry[] = [];
  readonly secrets: SecretContext;

  constructor(
    readonly file: LabFile,
    options: LabOptions = {},
  ) {
    const data = file.data;
    this.name = data.name;
    this.kind = data.kind;
    this.timeouts = data.timeouts;
    this.clock = data.kind === 'embedded' ? scaledClock(data.clock) : scaledClock({ factor: 1 });
    this.secrets = { baseDir: file.dir, env: options.env ?? process.env, redactor: this.redactor };
    for (const hostConfig of data.hosts) {
      const shell: ShellCommand =
        data.kind === 'embedded'
          ? embeddedHostCommand(file.path, options.workerIndex ?? 0)
          : { file: hostConfig.shell, leadingArgs: [] };
      this.hosts.set(hostConfig.name, new LabHost(this, hostConfig, shell));
    }
    for (const vmConfig of data.vms) {
      const hostName = vmConfig.host ?? (data.hosts[0] as HostConfig).name;
      this.vmsByName.set(vmConfig.name, new HypervVm(this, vmConfig, this.hosts.get(hostName) as LabHost));
    }
  }

  describe(): string {
    return `${this.kind === 'embedded' ? 'embedded lab' : 'lab'} '${this.name}'`;
  }

  vms(): readonly Vm[] {
    return [...this.vmsByName.values()];
  }

  vm(name: string): Vm {
    const vm = this.vmsByName.get(name);
    if (!vm) {
      throw new ConfigurationError(
        `The ${this.describe()} has no VM '${name}'; its VMs are ${[...this.vmsByName.keys()].map((n) => `'${n}'`).join(', ')} (see ${this.file.path}).`,
      );
    }
    return vm;
  }

  lease(workerIndex: number): Vm {
    const vms = this.vms();
    if (workerIndex >= vms.length) {
      throw new ConfigurationError(
        `Cucumber worker ${workerIndex} has no VM to lease, because the ${this.describe()} has ${vms.length} VM(s) and each worker needs its own; run with --parallel ${vms.length} or fewer, or add VMs to ${this.file.path}.`,
      );
    }
    return vms[workerIndex] as Vm;
  }

  driver(name: string): DriverConfig {
    const bare = name.replace(/\.sys$/i, '');
    const driver = this.file.data.drivers.find((d) => d.name.toLowerCase() === bare.toLowerCase());
    if (!driver) {
      const known = this.file.data.drivers.map((d) => `'${d.name}'`).join(', ') || 'none';
      throw new ConfigurationError(
        `The ${this.describe()} has no driver '${name}' in its catalog (drivers: ${known}); add it to the drivers section of ${this.file.path}.`,
      );
    }
    return driver;
  }

  /** The narrator the current scenario reports through (set by the World before each scenario). */
  useNarrator(narrator: Narrator): void {
    this.narrator = narrator;
  }

  get currentNarrator(): Narrator {
    return this.narrator;
  }

  /** Hands over (and forgets) the operations run since the last call, for the report. */
  takeTranscript(): TranscriptEntry[] {
    const taken = this.transcript;
    this.transcript = [];
    return taken;
  }

  record(entry: TranscriptEntry): void {
    this.transcript.push(entry);
  }

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.close()));
  }
}

/** A lab host: its PowerShell session and where operations run (local or remote). */
export class LabHost implements Host {
  readonly name: string;
  readonly computerName: string;
  private readonly session: PowerShellSession;
  private target: ScriptTarget | undefined;

  constructor(
    private readonly lab: HypervLab,
    private readonly config: HostConfig,
    shell: ShellCommand,
  ) {
    this.name = config.name;
    this.computerName = config.computerName;
    this.session = new PowerShellSession(shell, `the PowerShell session for host '${config.name}'`);
  }

  describe(): string {
    return `host '${this.name}'`;
  }

  private scriptTarget(): ScriptTarget {
    if (this.target) return this.target;
    const remote = !/^(localhost|\.|127\.0\.0\.1)$/i.test(this.computerName);
    const credential = this.config.credential
      ? {
          user: this.config.credential.user,
          password: resolveSecret(
            this.config.credential.password,
            `the credential of host '${this.name}'`,
            this.lab.secrets,
          ),
        }
      : null;
    this.target = { computerName: remote ? this.computerName : null, credential: remote ? credential : null };
    return this.target;
  }

  /**
   * Runs one operation: validates its parameters, builds its script, sends it, reads its reply.
   * `subject` describes what it acts on ("VM 'win11-a' on host 'lab-01'"); `timeoutMs` is lab time.
   */
  async run<N extends OperationName>(
    name: N,
    params: OperationParams<N>,
    subject: string,
    options: { timeoutMs?: number; classify?: (error: PsError, what: string) => Error } = {},
  ): Promise<OperationResult<N>> {
    const spec = operations[name];
    const checked = (spec.params as z.ZodType).safeParse(params);
    if (!checked.success) {
      throw new HarnessLogicError(
        `The harness called ${name} on ${subject} with parameters the operation does not take (${formatZodIssues(checked.error.issues, params)}).`,
        { cause: checked.error },
      );
    }
    const what = `${name} on ${subject}`;
    const script = buildScript(name, checked.data, this.scriptTarget());
    const timeoutMs = options.timeoutMs ?? this.lab.timeouts.hostOperation * 1000;
    const wallTimeout = this.lab.clock.wallTimeout(timeoutMs);
    const started = performance.now();
    let stdout = '';
    let stderr = '';
    let outcome: TranscriptEntry['outcome'] = 'error';
    try {
      const reply = await this.session.invoke(wireLine(script), wallTimeout, what);
      stdout = reply.stdout;
      stderr = reply.stderr;
      const result = parseReply(reply, spec.result, {
        what,
        classify: options.classify ?? classifyHostError,
      });
      outcome = 'ok';
      return result as OperationResult<N>;
    } finally {
      const redact = (t: string) => this.lab.redactor.redact(t);
      this.lab.record({
        operation: name,
        subject,
        script: redact(script),
        stdout: redact(stdout),
        stderr: redact(stderr),
        wallMs: performance.now() - started,
        outcome,
      });
    }
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

function toStatus(record: VmRecord): VmStatus {
  return {
    name: record.name,
    state: record.state,
    heartbeat: record.heartbeat,
    uptimeSeconds: record.uptimeSeconds,
  };
}

export class HypervVm implements Vm {
  readonly name: string;
  readonly guest: HypervGuest;

  constructor(
    readonly lab: HypervLab,
    readonly config: VmConfig,
    readonly host: LabHost,
  ) {
    this.name = config.name;
    this.guest = new HypervGuest(this);
  }

  describe(): string {
    return `VM '${this.name}' on host '${this.host.name}'`;
  }

  private step<T>(title: string, body: () => Promise<T>): Promise<T> {
    return this.lab.currentNarrator.step(title, body);
  }

  async status(): Promise<VmStatus> {
    return toStatus(await this.host.run('Get-VM', { vmName: this.name }, this.describe()));
  }

  async isRunning(): Promise<boolean> {
    return (await this.status()).state === 'Running';
  }

  start(): Promise<VmStatus> {
    return this.step(`Start ${this.describe()}`, async () =>
      toStatus(
        await this.host.run('Start-VM', { vmName: this.name }, this.describe(), {
          timeoutMs: this.lab.timeouts.boot * 1000,
        }),
      ),
    );
  }

  stop(options: { turnOff?: boolean } = {}): Promise<VmStatus> {
    const how = options.turnOff ? 'Turn off' : 'Shut down';
    return this.step(`${how} ${this.describe()}`, async () =>
      toStatus(
        await this.host.run(
          'Stop-VM',
          { vmName: this.name, turnOff: options.turnOff ?? false },
          this.describe(),
          {
            timeoutMs: this.lab.timeouts.shutdown * 1000,
          },
        ),
      ),
    );
  }

  restart(): Promise<VmStatus> {
    return this.step(`Restart ${this.describe()}`, async () =>
      toStatus(
        await this.host.run('Restart-VM', { vmName: this.name }, this.describe(), {
          timeoutMs: this.lab.timeouts.boot * 1000,
        }),
      ),
    );
  }

  async checkpoints(): Promise<CheckpointInfo[]> {
    const result = await this.host.run('Get-VMCheckpoint', { vmName: this.name }, this.describe());
    return result.checkpoints.map((c) => ({
      name: c.name,
      vmName: c.vmName,
      created: c.created,
      parent: c.parentName,
    }));
  }

  checkpoint(name: string): Promise<CheckpointInfo> {
    return this.step(`Checkpoint ${this.describe()} as '${name}'`, async () => {
      const c = await this.host.run(
        'Checkpoint-VM',
        { vmName: this.name, checkpointName: name },
        this.describe(),
      );
      return { name: c.name, vmName: c.vmName, created: c.created, parent: c.parentName };
    });
  }

  restore(name: string): Promise<VmStatus> {
    return this.step(`Restore ${this.describe()} to checkpoint '${name}'`, async () =>
      toStatus(
        await this.host.run(
          'Restore-VMCheckpoint',
          { vmName: this.name, checkpointName: name },
          this.describe(),
          {
            timeoutMs: this.lab.timeouts.restore * 1000,
          },
        ),
      ),
    );
  }

  async removeCheckpoint(name: string): Promise<void> {
    await this.step(`Remove checkpoint '${name}' of ${this.describe()}`, () =>
      this.host.run('Remove-VMCheckpoint', { vmName: this.name, checkpointName: name }, this.describe()),
    );
  }

  waitUntilReady(options: { timeoutMs?: number } = {}): Promise<ReadyReport> {
    const timeoutMs = options.timeoutMs ?? this.lab.timeouts.readiness * 1000;
    return this.step(`Wait until ${this.describe()} is ready`, async () => {
      const clock = this.lab.clock;
      const started = clock.now();
      const deadline = started + timeoutMs;
      // 1. The Heartbeat integration service, looked at every POLL_MS: never a fixed full wait.
      let heartbeat = await this.host.run('Get-VMHeartbeat', { vmName: this.name }, this.describe());
      while (!(heartbeat.state === 'Running' && heartbeat.status?.startsWith('Ok'))) {
        if (clock.now() >= deadline) {
          throw new LabCompromisedError(
            `${this.describe()} never reported a healthy heartbeat within ${formatLabDuration(timeoutMs)} (state ${heartbeat.state}, heartbeat ${heartbeat.status ?? 'none'}${heartbeat.enabled ? '' : ', integration service disabled'}); check that the guest boots and that the Heartbeat integration service is enabled on host and guest.`,
          );
        }
        await clock.sleep(POLL_MS);
        heartbeat = await this.host.run('Get-VMHeartbeat', { vmName: this.name }, this.describe());
      }
      // 2. PowerShell Direct: a booted guest can still refuse sessions for a moment.
      await this.guest.probe(deadline);
      return { waitedMs: clock.now() - started, heartbeat: heartbeat.status ?? 'unknown' };
    });
  }

  async injectNmi(): Promise<void> {
    await this.step(`Inject an NMI into ${this.describe()}`, () =>
      this.host.run('Debug-VM', { vmName: this.name }, this.describe()),
    );
  }

  async setComPipe(port: 1 | 2, pipeName: string): Promise<void> {
    await this.step(`Point COM${port} of ${this.describe()} at pipe '${pipeName}'`, () =>
      this.host.run('Set-VMComPort', { vmName: this.name, number: port, pipeName }, this.describe()),
    );
  }

  async addresses(): Promise<string[]> {
    const result = await this.host.run('Get-VMNetworkAdapter', { vmName: this.name }, this.describe());
    return result.adapters.flatMap((a) => a.ipAddresses);
  }
}

/** PowerShell Direct failures worth trying again while a guest is still coming up. */
function isTransientGuestError(error: unknown): boolean {
  return (
    error instanceof LabCompromisedError &&
    /(PowerShell Direct could not reach|credential is invalid|remote session might have ended)/i.test(
      error.message,
    )
  );
}

export class HypervGuest implements Guest {
  constructor(private readonly vm: HypervVm) {}

  describe(): string {
    return `the guest OS of ${this.vm.describe()}`;
  }

  private credential(): { user: string; password: string } {
    const c = this.vm.config.guestCredential;
    return {
      user: c.user,
      password: resolveSecret(c.password, `the guest password of VM '${this.vm.name}'`, this.vm.lab.secrets),
    };
  }

  private get base() {
    return { vmName: this.vm.name, credential: this.credential() };
  }

  /** Proves PowerShell Direct answers, retrying transient refusals until `deadline` (lab time). */
  async probe(deadline: number): Promise<{ bootTime: string }> {
    const clock = this.vm.lab.clock;
    for (;;) {
      try {
        return await this.vm.host.run('Test-VMPowerShellDirect', this.base, this.describe());
      } catch (error) {
        if (!isTransientGuestError(error) || clock.now() >= deadline) throw error;
        await clock.sleep(POLL_MS);
      }
    }
  }

  async run(command: readonly string[], options: { timeoutMs?: number } = {}): Promise<GuestCommandResult> {
    const [file, ...args] = command;
    if (file === undefined) {
      throw new HarnessLogicError(
        `A guest command for ${this.describe()} was empty; name the program to run.`,
      );
    }
    const timeoutMs = options.timeoutMs ?? this.vm.lab.timeouts.guestCommand * 1000;
    const shown = command.join(' ');
    return this.vm.lab.currentNarrator.step(`Run '${shown}' in ${this.describe()}`, async () => {
      const r = await this.vm.host.run(
        'Invoke-GuestCommand',
        { ...this.base, file, arguments: args, timeoutSeconds: timeoutMs / 1000 },
        this.describe(),
        { timeoutMs: timeoutMs + 30_000 },
      );
      return {
        command: [...command],
        stdout: r.stdout,
        stderr: r.stderr,
        exitCode: r.exitCode,
        durationMs: r.durationMs,
      };
    });
  }

  async copyIn(hostPath: string, guestPath: string): Promise<void> {
    await this.vm.host.run(
      'Copy-VMFile',
      { vmName: this.vm.name, sourcePath: hostPath, destinationPath: guestPath },
      this.describe(),
    );
  }

  async copyOut(guestPath: string, hostPath: string): Promise<void> {
    await this.vm.host.run('Copy-GuestFileToHost', { ...this.base, guestPath, hostPath }, this.describe());
  }

  reboot(options: { timeoutMs?: number } = {}): Promise<ReadyReport> {
    const lab = this.vm.lab;
    const timeoutMs = options.timeoutMs ?? lab.timeouts.boot * 1000;
    return lab.currentNarrator.step(`Reboot ${this.describe()}`, async () => {
      const clock = lab.clock;
      const started = clock.now();
      const before = await this.probe(started + timeoutMs);
      await this.run(['shutdown.exe', '/r', '/t', '0']);
      // The guest is back when PowerShell Direct answers with a newer boot time.
      const deadline = started + timeoutMs;
      for (;;) {
        await clock.sleep(POLL_MS);
        try {
          const after = await this.probe(deadline);
          if (after.bootTime !== before.bootTime) break;
        } catch (error) {
          if (!isTransientGuestError(error)) throw error;
        }
        if (clock.now() >= deadline) {
          throw new LabCompromisedError(
            `${this.describe()} did not come back from a reboot within ${formatLabDuration(timeoutMs)}; look at the VM's console on the host, it may be stuck in boot or at a bugcheck.`,
          );
        }
      }
      return this.vm.waitUntilReady({ timeoutMs: Math.max(1, started + timeoutMs - clock.now()) });
    });
  }

  async events(query: GuestEventQuery): Promise<GuestEvent[]> {
    const r = await this.vm.host.run(
      'Get-GuestEvents',
      {
        ...this.base,
        logName: query.logName,
        ids: query.ids ?? [],
        ...(query.providerName !== undefined ? { providerName: query.providerName } : {}),
        ...(query.since !== undefined ? { since: query.since } : {}),
        maxEvents: query.maxEvents ?? 200,
      },
      this.describe(),
    );
    return r.events;
  }

  async registryValue(path: string, name: string): Promise<RegistryValue> {
    return this.vm.host.run(
      'Get-GuestRegistryValue',
      { ...this.base, path, valueName: name },
      this.describe(),
    );
  }

  async setRegistryValue(
    path: string,
    name: string,
    type: 'DWord' | 'String' | 'QWord',
    value: string | number,
  ): Promise<void> {
    await this.vm.host.run(
      'Set-GuestRegistryValue',
      { ...this.base, path, valueName: name, type, value },
      this.describe(),
    );
  }

  async createFiles(directory: string, count: number): Promise<number> {
    const r = await this.vm.host.run('New-GuestFiles', { ...this.base, directory, count }, this.describe(), {
      timeoutMs: this.vm.lab.timeouts.guestCommand * 1000 * 10,
    });
    return r.created;
  }

  async remove(path: string): Promise<void> {
    await this.vm.host.run('Remove-GuestItem', { ...this.base, path }, this.describe());
  }
}
