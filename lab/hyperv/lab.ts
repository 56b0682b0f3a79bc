/**
 * The Hyper-V adapter: the one implementation of the lab ports. Every operation is a named
 * PowerShell script (lab/hyperv/ops/) sent to the host's PowerShell session; the same code serves a
 * real Hyper-V host and the embedded simulated lab host. Which shell a host's session starts, and
 * which debugger executable the lab's debuggers run, it is given (lab/compose.ts decides).
 */
import type * as z from 'zod';
import { formatLabDuration, type LabClock, wallClock } from '../clock.js';
import type { DriverConfig, HostConfig, LabFile, Timeouts, VmConfig } from '../config/lab-file.js';
import { Redactor, resolveSecret, type SecretContext } from '../config/secrets.js';
import { formatZodIssues } from '../config/zod-errors.js';
import { ConfigurationError, HarnessLogicError, LabCompromisedError } from '../errors.js';
import {
  type CheckpointInfo,
  type Guest,
  type GuestCommandResult,
  GuestCommandTimeoutError,
  type GuestEvent,
  type GuestEventQuery,
  type GuestRunOptions,
  type Host,
  type Lab,
  type Narrator,
  type ReadyReport,
  type RegistryValue,
  silentNarrator,
  type Vm,
  type VmStatus,
} from '../ports.js';
import type { LabWiring, ProcessCommand } from '../wiring.js';
import {
  type OperationName,
  type OperationParams,
  type OperationResult,
  operations,
  type VmRecord,
} from './ops/operations.js';
import { classifyHostError, GuestUnreachableError, type PsError, parseReply } from './reply.js';
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
  /** 1 for the first try; a retried operation leaves one entry per attempt. */
  attempt: number;
  /** The error's message when the attempt failed. */
  error?: string;
}

export interface LabOptions {
  env?: NodeJS.ProcessEnv;
  /** Which processes the lab starts: given by the composition root (lab/compose.ts). */
  wiring: LabWiring;
}

/** How often bounded waits look again, in lab milliseconds. */
const POLL_MS = 1000;
/** The fewest looks a bounded wait takes before it gives up (see timeIsUp). */
const MIN_LOOKS = 3;

/**
 * How a guest operation is tried again when PowerShell Direct refuses or cannot reach the guest (it
 * does both for a while after every boot): at most `attempts` tries within `withinMs` lab
 * milliseconds, `pauseMs` apart. Every attempt stays in the transcript.
 */
export interface RetryPolicy {
  attempts: number;
  withinMs: number;
  pauseMs: number;
  /**
   * Which refusals are tried again: a refused credential means nothing ran in the guest; a session
   * that could not be reached may have ended after the command started, which only an operation
   * that is safe to repeat may retry.
   */
  reasons: readonly GuestUnreachableError['reason'][];
}

export const GUEST_RETRY: RetryPolicy = {
  attempts: 3,
  withinMs: 60_000,
  pauseMs: 5_000,
  reasons: ['credential', 'unreachable'],
};
/** A guest program may crash or reboot the guest: run it twice never, unless it surely did not start. */
const COMMAND_RETRY: RetryPolicy = { ...GUEST_RETRY, reasons: ['credential'] };
const NO_RETRY: RetryPolicy = { attempts: 1, withinMs: 0, pauseMs: 0, reasons: [] };

export interface RunOptions {
  /** Lab milliseconds the operation may take (default: the lab file's hostOperation). */
  timeoutMs?: number;
  classify?: (error: PsError, what: string) => Error;
  /** Default: GUEST_RETRY for guest operations, no retry for host operations. */
  retry?: RetryPolicy;
}

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
  private readonly wiring: LabWiring;

  constructor(
    readonly file: LabFile,
    options: LabOptions,
  ) {
    const data = file.data;
    this.name = data.name;
    this.kind = data.kind;
    this.timeouts = data.timeouts;
    // The embedded lab's time is virtual and shared with its host processes (lab/sim/shared-time.ts).
    // The composition root decides the clock with the processes: the embedded lab's time is virtual
    // and shared with its host processes (lab/sim/shared-time.ts); a real lab's is the wall clock.
    this.clock = options.wiring.clock ?? wallClock();
    this.secrets = { baseDir: file.dir, env: options.env ?? process.env, redactor: this.redactor };
    this.wiring = options.wiring;
    for (const hostConfig of data.hosts) {
      const shell: ShellCommand = options.wiring.hostShell(hostConfig);
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

  debuggerExecutable(): ProcessCommand {
    return this.wiring.debuggerExecutable();
  }

  /** The lab's hosts, in lab-file order. */
  labHosts(): readonly LabHost[] {
    return [...this.hosts.values()];
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
        `The ${this.describe()} has no driver '${name}' in its drivers list (drivers: ${known}); add it to the drivers section of ${this.file.path}.`,
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
    try {
      await Promise.all([...this.hosts.values()].map((h) => h.close()));
    } finally {
      this.wiring.release?.();
    }
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
    readonly config: HostConfig,
    /** The process that runs this host's operations (pwsh, powershell, or the embedded host). */
    readonly shell: ShellCommand,
  ) {
    this.name = config.name;
    this.computerName = config.computerName;
    this.session = new PowerShellSession(shell, `the PowerShell session for host '${config.name}'`);
  }

  describe(): string {
    return `host '${this.name}'`;
  }

  /** True when the operations go to another computer through PowerShell remoting. */
  get isRemote(): boolean {
    return !/^(localhost|\.|127\.0\.0\.1|::1)$/i.test(this.computerName);
  }

  private scriptTarget(): ScriptTarget {
    if (this.target) return this.target;
    const credential =
      this.isRemote && this.config.credential
        ? {
            user: this.config.credential.user,
            password: resolveSecret(
              this.config.credential.password,
              `the credential of host '${this.name}'`,
              this.lab.secrets,
            ),
          }
        : null;
    this.target = { computerName: this.isRemote ? this.computerName : null, credential };
    return this.target;
  }

  /**
   * Runs one operation: validates its parameters, builds its script, sends it, reads its reply.
   * `subject` describes what it acts on ("VM 'win11-a' on host 'lab-01'"); times are lab time.
   * A guest operation that PowerShell Direct refuses is tried again within its retry bound.
   */
  async run<N extends OperationName>(
    name: N,
    params: OperationParams<N>,
    subject: string,
    options: RunOptions = {},
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
    const retry = options.retry ?? (spec.guest ? GUEST_RETRY : NO_RETRY);
    const clock = this.lab.clock;
    const started = clock.now();
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.attempt(name, script, subject, what, attempt, options);
      } catch (error) {
        const spent = clock.now() - started;
        const more =
          error instanceof GuestUnreachableError &&
          retry.reasons.includes(error.reason) &&
          attempt < retry.attempts &&
          // The second attempt is always allowed: one slow round trip must not use up the window.
          (attempt < 2 || spent + retry.pauseMs <= retry.withinMs);
        if (!more) {
          if (attempt > 1 && error instanceof GuestUnreachableError) {
            throw new GuestUnreachableError(
              `${error.message.replace(/\.$/, '')} (${attempt} attempts in ${formatLabDuration(spent)}).`,
              error.reason,
              { cause: error },
            );
          }
          throw error;
        }
        await clock.sleep(retry.pauseMs);
      }
    }
  }

  private async attempt<N extends OperationName>(
    name: N,
    script: string,
    subject: string,
    what: string,
    attempt: number,
    options: RunOptions,
  ): Promise<OperationResult<N>> {
    const timeoutMs = options.timeoutMs ?? this.lab.timeouts.hostOperation;
    const started = performance.now();
    let stdout = '';
    let stderr = '';
    let failure: string | undefined;
    try {
      const reply = await this.session.invoke(wireLine(script), this.lab.clock.wallTimeout(timeoutMs), what);
      stdout = reply.stdout;
      stderr = reply.stderr;
      return parseReply(reply, operations[name].result, {
        what,
        classify: options.classify ?? classifyHostError,
      }) as OperationResult<N>;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      const redact = (t: string) => this.lab.redactor.redact(t);
      this.lab.record({
        operation: name,
        subject,
        script: redact(script),
        stdout: redact(stdout),
        stderr: redact(stderr),
        wallMs: performance.now() - started,
        outcome: failure === undefined ? 'ok' : 'error',
        attempt,
        ...(failure === undefined ? {} : { error: redact(failure) }),
      });
    }
  }

  /** How many shell processes this host's session has started (restarts after timeouts and deaths). */
  get shellStarts(): number {
    return this.session.processStarts;
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
          timeoutMs: this.lab.timeouts.boot,
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
          {
            vmName: this.name,
            turnOff: options.turnOff ?? false,
            // The shutdown gets half the operation's time; a guest that has not shut down by then
            // (stopped in the debugger, at a bug check) is turned off in the other half.
            forceSeconds: this.lab.clock.wallTimeout(this.lab.timeouts.shutdown) / 2000,
          },
          this.describe(),
          {
            timeoutMs: this.lab.timeouts.shutdown,
          },
        ),
      ),
    );
  }

  restart(): Promise<VmStatus> {
    return this.step(`Restart ${this.describe()}`, async () =>
      toStatus(
        await this.host.run('Restart-VM', { vmName: this.name }, this.describe(), {
          timeoutMs: this.lab.timeouts.boot,
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
            timeoutMs: this.lab.timeouts.restore,
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

  /**
   * Bounded readiness: first the Heartbeat integration service, then a PowerShell Direct answer,
   * both within `timeoutMs` of lab time and both polled, so a VM that is already back costs one
   * look each. A VM that cannot come up on its own (off, saved, paused, heartbeat service disabled)
   * fails at once instead of after the whole timeout.
   */
  waitUntilReady(options: { timeoutMs?: number } = {}): Promise<ReadyReport> {
    const timeoutMs = options.timeoutMs ?? this.lab.timeouts.readiness;
    return this.step(`Wait until ${this.describe()} is ready`, async () => {
      const clock = this.lab.clock;
      const started = clock.now();
      const deadline = started + timeoutMs;
      let looks = 1;
      const look = () =>
        this.host.run('Get-VMHeartbeat', { vmName: this.name }, this.describe(), {
          timeoutMs: remaining(clock, deadline),
        });
      let heartbeat = await look();
      while (!(heartbeat.state === 'Running' && heartbeat.status?.startsWith('Ok'))) {
        if (!heartbeat.enabled) {
          throw new LabCompromisedError(
            `${this.describe()} cannot report a heartbeat, because its Heartbeat integration service is disabled; enable it with Enable-VMIntegrationService -VMName '${this.name}' -Name Heartbeat (and check the vmicheartbeat service in the guest).`,
          );
        }
        if (
          ['Off', 'Saved', 'Paused', 'FastSaved'].includes(heartbeat.state) ||
          /Critical$/.test(heartbeat.state)
        ) {
          throw new LabCompromisedError(
            `${this.describe()} is ${heartbeat.state}, so it will not become ready by waiting; start it (or restore a checkpoint that leaves it running) before waiting for it.`,
          );
        }
        if (timeIsUp(clock, deadline, looks)) {
          throw new LabCompromisedError(
            `${this.describe()} never reported a healthy heartbeat within ${formatLabDuration(timeoutMs)} (state ${heartbeat.state}, heartbeat ${heartbeat.status ?? 'none'}); check that the guest boots and that the Heartbeat integration service runs on host and guest.`,
          );
        }
        await clock.sleep(POLL_MS);
        heartbeat = await look();
        looks += 1;
      }
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

/**
 * Whether a bounded wait has run out: its lab-time deadline has passed and it has looked at least
 * MIN_LOOKS times. On a fast embedded clock one round trip to the host costs wall milliseconds that
 * the factor turns into lab seconds (starting the host process, a loaded CI machine), so a deadline
 * alone could pass before the condition was ever looked at twice; on a real host (factor 1) the
 * deadline decides.
 */
export function timeIsUp(clock: LabClock, deadline: number, looks: number): boolean {
  return looks >= MIN_LOOKS && clock.now() + POLL_MS > deadline;
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1]?.trim() ?? '';
  return last.length > 120 ? `${last.slice(0, 117)}…` : last;
}

/** The lab time left until `deadline`, never less than one poll (an operation needs some time to answer). */
function remaining(clock: LabClock, deadline: number): number {
  return Math.max(POLL_MS, deadline - clock.now());
}

export class HypervGuest implements Guest {
  constructor(private readonly vm: HypervVm) {}

  describe(): string {
    return `the guest OS of ${this.vm.describe()}`;
  }

  /** The guest account: its password resolved from its reference, or the host's credential file. */
  private credential(): { user: string; password: string } | { credentialFile: string } {
    const c = this.vm.config.guestCredential;
    if ('credentialFile' in c) return { credentialFile: c.credentialFile };
    return {
      user: c.user,
      password: resolveSecret(c.password, `the guest password of VM '${this.vm.name}'`, this.vm.lab.secrets),
    };
  }

  private get base() {
    return { vmName: this.vm.name, credential: this.credential() };
  }

  /**
   * Proves PowerShell Direct answers, waiting for it until `deadline` (lab time); the last refusal,
   * with how many looks it took and how long, is the error.
   */
  async probe(deadline: number): Promise<{ bootTime: string }> {
    const answer = await this.waitForAnswer(deadline, null);
    if (answer === null) {
      throw new LabCompromisedError(
        `Wait-VMPowerShellDirect on ${this.describe()} ended with neither an answer nor a refusal, which the operation's script never reports; look at its reply in the transcript, since the script on the host may not be driverlab's.`,
      );
    }
    return answer;
  }

  /**
   * Waits on the host until PowerShell Direct answers — with a boot time other than `otherThan`,
   * when given: the guest came back from a reboot — looking every POLL_MS until `deadline` (lab
   * time), in one operation however long the guest takes (Wait-VMPowerShellDirect). A guest that
   * cannot be reached is still booting and is looked at to the deadline; a refused credential is
   * tried only GUEST_RETRY.attempts times, since a wrong password never heals and the guest may
   * refuse only briefly while its profile loads. Null when the guest answered only with the boot
   * time `otherThan` until the deadline; the last refusal, with the looks and the time, is the error.
   */
  async waitForAnswer(deadline: number, otherThan: string | null): Promise<{ bootTime: string } | null> {
    const clock = this.vm.lab.clock;
    const started = clock.now();
    const timeoutMs = remaining(clock, deadline);
    const r = await this.vm.host.run(
      'Wait-VMPowerShellDirect',
      {
        ...this.base,
        timeoutSeconds: timeoutMs / 1000,
        pollMilliseconds: POLL_MS,
        minimumLooks: MIN_LOOKS,
        credentialRefusals: GUEST_RETRY.attempts,
        bootTimeOtherThan: otherThan,
      },
      this.describe(),
      // The host ends the wait at the deadline; the operation gets time to say so.
      { timeoutMs: timeoutMs + this.vm.lab.timeouts.hostOperation, retry: NO_RETRY },
    );
    if (r.answered && r.bootTime !== null) return { bootTime: r.bootTime };
    if (r.lastError === null) return null;
    const refusal = classifyHostError(r.lastError, `Wait-VMPowerShellDirect on ${this.describe()}`);
    if (!(refusal instanceof GuestUnreachableError)) throw refusal;
    throw new GuestUnreachableError(
      `${refusal.message.replace(/\.$/, '')} (${r.looks} attempts in ${formatLabDuration(clock.now() - started)}).`,
      refusal.reason,
      { cause: refusal },
    );
  }

  async run(command: readonly string[], options: GuestRunOptions = {}): Promise<GuestCommandResult> {
    const [file, ...args] = command;
    if (file === undefined) {
      throw new HarnessLogicError(
        `A guest command for ${this.describe()} was empty; name the program to run.`,
      );
    }
    const timeoutMs = options.timeoutMs ?? this.vm.lab.timeouts.guestCommand;
    const shown = command.join(' ');
    return this.vm.lab.currentNarrator.step(
      `Run '${shown}' in ${this.describe()}`,
      async () => {
        const r = await this.vm.host.run(
          'Invoke-GuestCommand',
          { ...this.base, file, arguments: args, timeoutSeconds: timeoutMs / 1000 },
          this.describe(),
          // The guest stops the program at its limit; the host operation gets time to say so.
          { timeoutMs: timeoutMs + this.vm.lab.timeouts.hostOperation, retry: COMMAND_RETRY },
        );
        const result: GuestCommandResult = {
          command: [...command],
          stdout: r.stdout,
          stderr: r.stderr,
          exitCode: r.exitCode,
          durationMs: r.durationMs,
        };
        if (r.timedOut) {
          const printed = lastLine(r.stdout) || lastLine(r.stderr);
          throw new GuestCommandTimeoutError(
            `'${shown}' in ${this.describe()} did not finish within ${formatLabDuration(timeoutMs)} and was stopped (${printed ? `its last line: ${JSON.stringify(printed)}` : 'it printed nothing'}); if the program can take longer, give the step a longer time limit, otherwise look at the guest, which may hang.`,
            result,
          );
        }
        return result;
      },
      {
        // A command the scenario expects a bug check to end: the guest stops answering under it.
        expected: (error) =>
          options.cutShortBy !== undefined &&
          error instanceof GuestUnreachableError &&
          error.reason === 'unreachable'
            ? `cut short by ${options.cutShortBy}`
            : options.limitIsData === true && error instanceof GuestCommandTimeoutError
              ? `still running at its time limit of ${formatLabDuration(timeoutMs)}, so stopped there (the scenario reads that as data)`
              : null,
      },
    );
  }

  /** A copy may move a kernel dump of gigabytes: five host operations' time unless told otherwise. */
  private copyTimeout(options: { timeoutMs?: number }): number {
    return options.timeoutMs ?? this.vm.lab.timeouts.hostOperation * 5;
  }

  async copyIn(hostPath: string, guestPath: string, options: { timeoutMs?: number } = {}): Promise<void> {
    await this.vm.host.run(
      'Copy-VMFile',
      { vmName: this.vm.name, sourcePath: hostPath, destinationPath: guestPath },
      this.describe(),
      { timeoutMs: this.copyTimeout(options) },
    );
  }

  async copyOut(guestPath: string, hostPath: string, options: { timeoutMs?: number } = {}): Promise<void> {
    await this.vm.host.run('Copy-GuestFileToHost', { ...this.base, guestPath, hostPath }, this.describe(), {
      timeoutMs: this.copyTimeout(options),
    });
  }

  reboot(options: { timeoutMs?: number } = {}): Promise<ReadyReport> {
    const lab = this.vm.lab;
    const timeoutMs = options.timeoutMs ?? lab.timeouts.boot;
    return lab.currentNarrator.step(`Reboot ${this.describe()}`, async () => {
      const clock = lab.clock;
      const started = clock.now();
      const deadline = started + timeoutMs;
      const before = await this.probe(deadline);
      const gone = (cause?: unknown) =>
        new LabCompromisedError(
          `${this.describe()} did not come back from a reboot within ${formatLabDuration(timeoutMs)}; look at the VM's console on the host, it may be stuck in boot or at a bugcheck.`,
          { cause },
        );
      try {
        // Never retried: a second shutdown would reboot the guest again once it is back.
        await this.vm.host.run(
          'Invoke-GuestCommand',
          { ...this.base, file: 'shutdown.exe', arguments: ['/r', '/t', '0'], timeoutSeconds: 60 },
          this.describe(),
          { retry: NO_RETRY, timeoutMs: remaining(clock, deadline) },
        );
      } catch (error) {
        // The session can drop while the guest goes down; that is the reboot starting.
        if (!(error instanceof GuestUnreachableError)) throw error;
      }
      // The guest is back when PowerShell Direct answers with another boot time.
      let after: { bootTime: string } | null;
      try {
        after = await this.waitForAnswer(deadline, before.bootTime);
      } catch (error) {
        throw error instanceof GuestUnreachableError ? gone(error) : error;
      }
      if (after === null) throw gone();
      return this.vm.waitUntilReady({ timeoutMs: remaining(clock, deadline) });
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

  createFiles(directory: string, count: number): Promise<number> {
    return this.createItems(directory, count, 'file');
  }

  createFolders(directory: string, count: number): Promise<number> {
    return this.createItems(directory, count, 'folder');
  }

  private async createItems(directory: string, count: number, kind: 'file' | 'folder'): Promise<number> {
    const r = await this.vm.host.run(
      'New-GuestItems',
      { ...this.base, directory, count, kind },
      this.describe(),
      // Tens of thousands of items take longer than one guest command.
      { timeoutMs: this.vm.lab.timeouts.guestCommand * 10 },
    );
    return r.created;
  }

  async remove(path: string): Promise<boolean> {
    return (await this.vm.host.run('Remove-GuestItem', { ...this.base, path }, this.describe())).removed;
  }
}
