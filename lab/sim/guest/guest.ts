/**
 * The simulated guest OS of one VM: its whole state as plain JSON (file system, registry, BCD,
 * verifier, services and drivers, devices, filter stack, event log, commit charge), the boot that
 * applies what is pending, and the dispatch of a guest command: driver triggers and lab test
 * tools here, the programs of the guest image (bcdedit, verifier, pnputil, sc, fltmc, vssadmin,
 * shutdown, reg, cmd, hostname, ping) through their registry, one module per family (programs/).
 *
 * The guest never decides a crash: whatever a driver does is a KernelAction handed to the VM's
 * kernel through the GuestHost; storage timeouts (events 129/153) are the one misbehaviour the
 * guest renders itself, since Windows logs them without crashing.
 */

import type { GuestDeclaration, GuestTool, SimulatedDriver } from '../../config/embedded.js';
import type { DriverConfig } from '../../config/lab-file.js';
import { osVersion } from '../kernel/os.js';
import type { KernelAction, KernelFacts, KernelOutcome, LoadedDriver } from '../ports.js';
import { Bcd, type BcdState, type BootDebugSettings, baselineBcd } from './bcd.js';
import {
  bugcheckReport,
  diskRetry,
  EventLog,
  type EventLogState,
  storportReset,
  uncleanShutdown,
} from './events.js';
import { FilterStack, type FilterStackState, freshStack } from './filters.js';
import {
  type FileSystemState,
  formatGuestPath,
  GUEST_ENVIRONMENT,
  GuestFileSystem,
  parseGuestPath,
} from './fs.js';
import type { InfPackage } from './inf.js';
import type { DeviceState, DriverPackageState } from './pnputil.js';
import { type GuestProgram, guestProgram, type ProgramContext } from './programs/index.js';
import { GuestRegistry, KEYS, type RegistryState } from './registry.js';
import { type ServiceState, START_CODES, startTypeOf, WIN32, type Win32Error } from './services.js';
import { CRLF, fail, ok, type ToolResult, text } from './tool.js';
import { isVerified, pendingSettings, type VerifierActive } from './verifier.js';

export interface PendingCrashReport {
  code: number;
  args: string[];
  dumpPath: string | null;
  reportId: string;
}

export interface GuestState {
  vmName: string;
  computerName: string;
  bootCount: number;
  /** ISO time the running OS finished booting, or null while it has not. */
  bootTime: string | null;
  fs: FileSystemState;
  registry: RegistryState;
  bcd: BcdState;
  verifier: VerifierActive;
  /** NDIS TrackNblOwner in effect since the last boot. */
  trackNblOwner: number;
  services: Record<string, ServiceState>;
  nextServiceOrder: number;
  packages: DriverPackageState[];
  devices: DeviceState[];
  filters: FilterStackState;
  events: EventLogState;
  /** The bugcheck the next boot reports (event 1001), if the last shutdown was one. */
  pendingReport: PendingCrashReport | null;
  /** The last shutdown was not clean (power cut or crash): the next boot logs Kernel-Power 41. */
  unclean: { bugcheckCode: number } | null;
}

/** What the guest knows of the lab file: its declaration, the drivers list, the test tools. */
export interface GuestEnvironment {
  vmName: string;
  declaration: GuestDeclaration;
  drivers: DriverConfig[];
  simulated: Record<string, SimulatedDriver>;
  tools: Record<string, GuestTool>;
  /** Lab fault: the system disk is full, so no dump can be written. */
  diskFull: boolean;
}

/** What the kernel answers a guest that goes on running: nothing, or a commit's answer. */
export type KernelAnswer = Exclude<
  KernelOutcome,
  { kind: 'bugcheck' } | { kind: 'hang' } | { kind: 'verifier-error' }
>;

/** What the VM lends the guest while a command runs. */
export interface GuestHost {
  nowIso(): string;
  /**
   * Hands an action to the kernel and resolves with its answer; a bugcheck rejects with GuestDown
   * (the VM has already reacted); a hang never settles.
   */
  kernel(action: KernelAction): Promise<KernelAnswer>;
  scheduleShutdown(reboot: boolean, delaySeconds: number): 'scheduled' | 'already-scheduled';
  abortShutdown(): boolean;
  /** Waits lab milliseconds while a program runs; rejects when the program is stopped (its time limit). */
  sleep(labMs: number): Promise<void>;
  /** What the program prints as it goes (so a program stopped at its time limit has printed something). */
  write(stream: 'stdout' | 'stderr', text: string): void;
}

/** The guest stopped answering in the middle of a command (a bugcheck). */
export class GuestDown extends Error {}

/**
 * The program to run is neither a file of the guest nor a command on its PATH: what the
 * Invoke-GuestCommand script finds with Get-Command before it starts anything.
 */
export class GuestProgramNotFound extends Error {
  constructor(readonly program: string) {
    super(
      `The program '${program}' was not found in the guest (neither a path that exists nor a command on the guest's PATH).`,
    );
  }
}

export interface BootResult {
  facts: KernelFacts;
  debug: BootDebugSettings;
  /** Drivers loaded during boot, in load order. */
  drivers: LoadedDriver[];
}

/** The load order of the groups drivers belong to (ServiceGroupOrder, file-system filters bottom first). */
const GROUP_ORDER = [
  'system reserved',
  'boot bus extender',
  'system bus extender',
  'scsi miniport',
  'port',
  'primary disk',
  'scsi class',
  'fsfilter infrastructure',
  'fsfilter system',
  'fsfilter bottom',
  'fsfilter copy protection',
  'fsfilter security enhancer',
  'fsfilter open file',
  'fsfilter physical quota management',
  'fsfilter virtualization',
  'fsfilter encryption',
  'fsfilter compression',
  'fsfilter imaging',
  'fsfilter hsm',
  'fsfilter cluster file system',
  'fsfilter system recovery',
  'fsfilter quota management',
  'fsfilter content screener',
  'fsfilter continuous backup',
  'fsfilter replication',
  'fsfilter anti-virus',
  'fsfilter undelete',
  'fsfilter activity monitor',
  'fsfilter top',
  'filter',
  'boot file system',
  'base',
  'file system',
  'ndis wrapper',
  'ndis',
  'tdi',
  'extended base',
];

function groupRank(group: string): number {
  const i = GROUP_ORDER.indexOf(group.toLowerCase());
  return i < 0 ? GROUP_ORDER.length : i;
}

const DRIVERS_DIR = 'C:\\Windows\\System32\\drivers';

/** The stand-in for a driver binary in the simulated guest: a text image naming its file and version. */
export function driverImage(fileName: string, version: string): string {
  return `driverlab simulated driver image${CRLF}FileName: ${fileName}${CRLF}FileVersion: ${version}${CRLF}`;
}

function imageVersion(image: string): string | undefined {
  return /^FileVersion:\s*(\S+)\s*$/m.exec(image)?.[1];
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** The image a process started from `program` runs as: `C:\Tools\x.exe` → x.exe, `bcdedit` → bcdedit.exe. */
export function imageName(program: string): string {
  const name = baseName(program);
  return /\.[A-Za-z0-9]{1,4}$/.test(name) ? name : `${name}.exe`;
}

/** The baseline image of a VM's guest: what a fresh test VM from the golden image holds. */
export function baselineGuest(env: GuestEnvironment, nowIso: string): GuestState {
  const decl = env.declaration;
  const fs = GuestFileSystem.create(nowIso);
  const registry = GuestRegistry.empty();
  registry.set(KEYS.crashControl, 'CrashDumpEnabled', 'DWord', 7);
  registry.set(KEYS.crashControl, 'DumpFile', 'ExpandString', '%SystemRoot%\\MEMORY.DMP');
  registry.set(KEYS.crashControl, 'MinidumpDir', 'ExpandString', '%SystemRoot%\\Minidump');
  registry.set(KEYS.crashControl, 'Overwrite', 'DWord', 1);
  registry.set(KEYS.crashControl, 'AutoReboot', 'DWord', 1);
  registry.set(KEYS.crashControl, 'LogEvent', 'DWord', 1);
  registry.set(KEYS.currentVersion, 'SystemRoot', 'String', GUEST_ENVIRONMENT.systemroot ?? 'C:\\Windows');
  registry.set(KEYS.currentVersion, 'CurrentBuild', 'String', String(decl.os.build));
  registry.set(KEYS.currentVersion, 'ProductName', 'String', decl.os.product);
  registry.createKey(KEYS.ndisParameters);
  if (decl.trackNblOwner !== undefined)
    registry.set(KEYS.ndisParameters, 'TrackNblOwner', 'DWord', decl.trackNblOwner);
  registry.set(KEYS.memoryManagement, 'PagingFiles', 'MultiString', [
    `C:\\pagefile.sys ${decl.memory.pageFileInitialMb} ${decl.memory.pageFileMaximumMb}`,
  ]);
  const services: Record<string, ServiceState> = {};
  let order = 0;
  for (const f of decl.filters) {
    const binary = `${f.name.toLowerCase()}.sys`;
    fs.writeFile(
      `${DRIVERS_DIR}\\${binary}`,
      Buffer.from(driverImage(binary, osVersion(decl.os.build).version)),
      nowIso,
    );
    services[f.name.toLowerCase()] = {
      name: f.name,
      displayName: f.name,
      type: 'filesys',
      start: f.startType,
      errorControl: 1,
      binaryPath: `${DRIVERS_DIR}\\${binary}`,
      group: f.loadOrderGroup,
      state: 'stopped',
      exitCode: 1077,
      deletePending: false,
      order: order++,
      filter: { kind: f.kind, altitude: f.altitude, ...(f.volumes ? { volumes: f.volumes } : {}) },
    };
  }
  return {
    vmName: env.vmName,
    computerName: decl.computerName ?? env.vmName.toUpperCase(),
    bootCount: 0,
    bootTime: null,
    fs: fs.state,
    registry: registry.state,
    bcd: baselineBcd(env.vmName, decl.os.product),
    verifier: { flags: 0, drivers: [], counters: {} },
    trackNblOwner: 0,
    services,
    nextServiceOrder: order,
    packages: [],
    devices: decl.devices.map((d) => ({ ...d, service: null, present: true })),
    filters: freshStack(),
    events: EventLog.empty().state,
    pendingReport: null,
    unclean: null,
  };
}

export class GuestOs {
  readonly fs: GuestFileSystem;
  readonly registry: GuestRegistry;
  readonly bcd: Bcd;
  readonly log: EventLog;
  readonly stack: FilterStack;

  constructor(
    readonly state: GuestState,
    readonly env: GuestEnvironment,
  ) {
    this.fs = new GuestFileSystem(state.fs);
    this.registry = new GuestRegistry(state.registry);
    this.bcd = new Bcd(state.bcd);
    this.log = new EventLog(state.events);
    this.stack = new FilterStack(state.filters);
  }

  // ---------------------------------------------------------------- boot

  /** A boot begins: pending settings apply, boot drivers load. Returns what the kernel boots with. */
  boot(): BootResult {
    const s = this.state;
    s.bootCount += 1;
    s.bootTime = null;
    for (const [key, service] of Object.entries(s.services)) {
      if (service.deletePending) delete s.services[key];
      else {
        service.state = 'stopped';
        service.exitCode = 1077;
      }
    }
    const pending = pendingSettings(this.registry);
    s.verifier = { flags: pending?.flags ?? 0, drivers: pending?.drivers ?? [], counters: {} };
    const nbl = this.registry.number(KEYS.ndisParameters, 'TrackNblOwner');
    // Client SKUs track NBL owners by default, servers do not (seed: the TrackNblOwner case).
    s.trackNblOwner = nbl ?? (this.env.declaration.os.sku === 'client' ? 1 : 0);
    s.filters.items = freshStack().items;
    const debug = this.bcd.boot();
    const bootServices = Object.values(s.services)
      .filter((sv) => START_CODES[sv.start] <= START_CODES.auto)
      .filter(
        (sv) =>
          sv.filter !== undefined || !s.devices.some((d) => d.service === sv.name) || this.deviceBound(sv),
      )
      .sort(
        (a, b) =>
          START_CODES[a.start] - START_CODES[b.start] ||
          groupRank(a.group) - groupRank(b.group) ||
          a.order - b.order,
      );
    const drivers: LoadedDriver[] = [];
    for (const service of bootServices) {
      if (this.startService(service) === null) drivers.push(this.loadedDriver(service));
    }
    // PnP drivers start on their devices.
    for (const device of s.devices.filter((d) => d.present && d.service)) {
      const service = s.services[(device.service as string).toLowerCase()];
      if (service && service.state !== 'running' && this.startService(service) === null) {
        drivers.push(this.loadedDriver(service));
      }
    }
    const decl = this.env.declaration;
    return {
      facts: {
        vmName: this.env.vmName,
        bootCount: s.bootCount,
        os: { ...decl.os },
        verifier: {
          flags: s.verifier.flags,
          drivers: s.verifier.drivers === 'all' ? 'all' : [...s.verifier.drivers],
        },
        trackNblOwner: s.trackNblOwner,
        memory: { ...decl.memory },
        diskFull: this.env.diskFull,
      },
      debug,
      drivers,
    };
  }

  private deviceBound(service: ServiceState): boolean {
    return this.state.devices.some((d) => d.present && d.service === service.name);
  }

  /** The boot finished: the OS is up; Kernel-Power 41 and event 1001 report the crash before it. */
  bootCompleted(nowIso: string): void {
    const s = this.state;
    s.bootTime = nowIso;
    if (s.unclean) {
      this.log.write(uncleanShutdown(s.unclean.bugcheckCode), nowIso);
      s.unclean = null;
    }
    if (s.pendingReport) {
      const r = s.pendingReport;
      if (this.registry.number(KEYS.crashControl, 'LogEvent') !== 0) {
        this.log.write(
          bugcheckReport({ code: r.code, args: r.args, dumpPath: r.dumpPath, reportId: r.reportId }),
          nowIso,
        );
      }
      s.pendingReport = null;
    }
  }

  /** The guest lost power or crashed: nothing of the running OS survives but its disk. */
  poweredOff(unclean: { bugcheckCode: number } | null): void {
    this.state.bootTime = null;
    if (unclean) this.state.unclean = unclean;
    for (const service of Object.values(this.state.services)) service.state = 'stopped';
    for (const device of this.state.devices)
      if (!device.present && device.service !== null) device.present = true;
  }

  // ---------------------------------------------------------------- crash dumps

  /** Where a kernel dump goes (CrashControl DumpFile, expanded), or null when dumps are off. */
  dumpPath(): string | null {
    if (this.registry.number(KEYS.crashControl, 'CrashDumpEnabled') === 0) return null;
    const file = this.registry.string(KEYS.crashControl, 'DumpFile') ?? '%SystemRoot%\\MEMORY.DMP';
    return formatGuestPath(parseGuestPath(file));
  }

  autoReboot(): boolean {
    return this.registry.number(KEYS.crashControl, 'AutoReboot') !== 0;
  }

  /**
   * A bugcheck: writes MEMORY.DMP and a minidump (unless the disk is full or dumps are off) and
   * remembers what the next boot reports. Returns the paths written.
   */
  recordCrash(options: {
    code: number;
    args: string[];
    reportId: string;
    crashTime: Date;
    /** The bytes of the kernel dump (MEMORY.DMP) or the minidump, made only when one is written. */
    dump: (kind: 'kernel' | 'mini') => Uint8Array;
  }): string[] {
    const path = this.dumpPath();
    const written: string[] = [];
    const iso = options.crashTime.toISOString();
    if (path && !this.env.diskFull) {
      this.fs.writeFile(path, options.dump('kernel'), iso);
      const minidir = formatGuestPath(
        parseGuestPath(this.registry.string(KEYS.crashControl, 'MinidumpDir') ?? '%SystemRoot%\\Minidump'),
      );
      const t = options.crashTime;
      const stamp = `${String(t.getUTCMonth() + 1).padStart(2, '0')}${String(t.getUTCDate()).padStart(2, '0')}${String(t.getUTCFullYear() % 100).padStart(2, '0')}`;
      const mini = `${minidir}\\${stamp}-${String(10000 + this.state.bootCount * 131).slice(-5)}-01.dmp`;
      this.fs.writeFile(mini, options.dump('mini'), iso);
      written.push(path, mini);
    }
    this.state.pendingReport = {
      code: options.code,
      args: options.args,
      dumpPath: written.length > 0 ? path : null,
      reportId: options.reportId,
    };
    this.state.unclean = { bugcheckCode: options.code };
    return written;
  }

  // ---------------------------------------------------------------- drivers

  /** The drivers entry a binary is, by file name and (when several share it) version. */
  identify(binary: string, version: string | undefined): DriverConfig | undefined {
    const candidates = this.env.drivers.filter((d) => d.binary.toLowerCase() === binary.toLowerCase());
    if (candidates.length <= 1 || version === undefined) return candidates[0];
    return (
      candidates.find((d) => (this.env.simulated[d.name]?.version ?? '1.0.0.0') === version) ?? candidates[0]
    );
  }

  loadedDriver(service: ServiceState): LoadedDriver {
    const binary = baseName(service.binaryPath);
    let version: string | undefined;
    try {
      version = imageVersion(this.fs.readText(service.binaryPath));
    } catch {
      version = undefined;
    }
    const entry = this.identify(binary, version);
    const sim = entry ? this.env.simulated[entry.name] : undefined;
    const filter = service.filter
      ? {
          kind: service.filter.kind,
          altitude: service.filter.altitude,
          loadOrderGroup: service.group,
          startType: service.start === 'disabled' ? ('demand' as const) : service.start,
          ...(service.filter.volumes ? { volumes: service.filter.volumes } : {}),
        }
      : undefined;
    return {
      name: entry?.name ?? service.name,
      binary,
      service: service.name,
      version: version ?? sim?.version ?? '1.0.0.0',
      faults: sim?.faults ?? [],
      ...(filter ? { filter } : {}),
    };
  }

  /** Marks a service's driver loaded (filter stack, verifier counters); an error when it cannot load. */
  private startService(service: ServiceState): Win32Error | null {
    if (!this.fs.exists(service.binaryPath)) {
      service.exitCode = 2;
      return WIN32.fileNotFound;
    }
    service.state = 'running';
    service.exitCode = 0;
    if (service.filter) {
      this.stack.load({
        name: service.name,
        kind: service.filter.kind,
        altitude: service.filter.altitude,
        volumes: service.filter.volumes ?? this.env.declaration.volumes,
        ...(service.filter.instance ? { instance: service.filter.instance } : {}),
      });
    }
    const binary = baseName(service.binaryPath);
    if (isVerified(this.state.verifier, binary)) {
      const key = binary.toLowerCase();
      const c = this.state.verifier.counters[key] ?? { loads: 0, unloads: 0 };
      c.loads += 1;
      this.state.verifier.counters[key] = c;
    }
    return null;
  }

  private isStoppable(service: ServiceState): boolean {
    return service.filter?.kind !== 'legacy';
  }

  private async loadService(service: ServiceState, host: GuestHost): Promise<Win32Error | null> {
    const error = this.startService(service);
    if (error) return error;
    await host.kernel({ kind: 'driver-loaded', driver: this.loadedDriver(service) });
    return null;
  }

  private async unloadService(service: ServiceState, host: GuestHost): Promise<Win32Error | null> {
    service.state = 'stopped';
    service.exitCode = 0;
    if (service.filter) this.stack.unload(service.name);
    const binary = baseName(service.binaryPath);
    const c = this.state.verifier.counters[binary.toLowerCase()];
    if (c) c.unloads += 1;
    await host.kernel({ kind: 'driver-unloaded', driver: this.loadedDriver(service).name });
    return null;
  }

  /** Creates or updates the services an INF adds, and copies its files to the drivers folder. */
  private installServices(inf: InfPackage, infPath: string, nowIso: string): void {
    const dir = infPath.slice(0, Math.max(infPath.lastIndexOf('\\'), infPath.lastIndexOf('/')));
    for (const file of inf.files) {
      if (/\.sys$/i.test(file))
        this.fs.writeFile(`${DRIVERS_DIR}\\${file}`, this.fs.readFile(`${dir}\\${file}`), nowIso);
    }
    for (const svc of inf.services) {
      const existing = this.state.services[svc.name.toLowerCase()];
      const entry = this.identify(svc.binary, inf.version);
      const declared = entry ? this.env.simulated[entry.name]?.filter : undefined;
      const isFilter = svc.serviceType === 2;
      const filter = isFilter
        ? {
            kind: declared?.kind ?? (svc.altitude ? ('minifilter' as const) : ('legacy' as const)),
            altitude: svc.altitude ?? declared?.altitude ?? '0',
            ...(declared?.volumes ? { volumes: declared.volumes } : {}),
            ...(svc.instance ? { instance: svc.instance } : {}),
          }
        : undefined;
      const next: ServiceState = {
        name: svc.name,
        displayName: svc.displayName,
        type: isFilter ? 'filesys' : 'kernel',
        start: startTypeOf(svc.startType),
        errorControl: svc.errorControl,
        binaryPath: `${DRIVERS_DIR}\\${svc.binary}`,
        group: svc.loadOrderGroup,
        state: existing?.state ?? 'stopped',
        exitCode: existing?.exitCode ?? 1077,
        deletePending: false,
        order: existing?.order ?? this.state.nextServiceOrder++,
        ...(filter ? { filter } : {}),
      };
      this.state.services[svc.name.toLowerCase()] = next;
    }
  }

  // ---------------------------------------------------------------- commands

  /**
   * Runs a program with arguments as PowerShell Direct would; resolves with its output and exit
   * code. A program that exists starts a process first, so the kernel's image-load notify routines
   * run before it does anything; one that does not is GuestProgramNotFound, as the operation's
   * script finds with Get-Command before it runs anything.
   */
  async run(file: string, args: readonly string[], host: GuestHost): Promise<ToolResult> {
    const result = await this.exec(file, args, host);
    if (result === null) throw new GuestProgramNotFound(file);
    return result;
  }

  /** The guest's environment variables, by lower-case name, as a process sees them. */
  environment(): Record<string, string> {
    return {
      ...GUEST_ENVIRONMENT,
      computername: this.state.computerName,
      username: 'Administrator',
      userprofile: 'C:\\Users\\Administrator',
      os: 'Windows_NT',
      number_of_processors: String(this.env.declaration.os.processors),
      processor_architecture: 'AMD64',
    };
  }

  /** Runs a program of the guest; null when the guest has no such program. */
  private async exec(file: string, args: readonly string[], host: GuestHost): Promise<ToolResult | null> {
    const trigger = this.findTrigger(file, args);
    const tool = Object.values(this.env.tools).find((t) => t.program.toLowerCase() === file.toLowerCase());
    const program = guestProgram(file);
    if (!trigger && !tool && !program) return null;
    await host.kernel({ kind: 'image-load', image: imageName(file) });
    if (trigger) return this.runTrigger(trigger.driver, trigger.trigger, host);
    if (tool) return this.runTool(tool, args, host);
    return (program as GuestProgram)(args, this.programContext(host));
  }

  /** What a program of the guest image may use of this OS while it runs for `host`. */
  private programContext(host: GuestHost): ProgramContext {
    return {
      host,
      state: this.state,
      env: this.env,
      fs: this.fs,
      registry: this.registry,
      bcd: this.bcd,
      log: this.log,
      stack: this.stack,
      environment: () => this.environment(),
      identify: (binary, version) => this.identify(binary, version),
      loadedDriver: (service) => this.loadedDriver(service),
      loadService: (service) => this.loadService(service, host),
      unloadService: (service) => this.unloadService(service, host),
      isStoppable: (service) => this.isStoppable(service),
      installServices: (inf, path, nowIso) => this.installServices(inf, path, nowIso),
      exec: (program, programArgs, programHost) => this.exec(program, programArgs, programHost),
    };
  }

  private findTrigger(
    file: string,
    args: readonly string[],
  ): { driver: DriverConfig; trigger: string } | undefined {
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    for (const driver of this.env.drivers) {
      for (const [trigger, command] of Object.entries(driver.triggers)) {
        const [program, ...expected] = command;
        if (!program) continue;
        const programMatches = same(program, file) || (!/[\\/]/.test(file) && same(baseName(program), file));
        if (
          programMatches &&
          expected.length === args.length &&
          expected.every((e, i) => same(e, args[i] as string))
        ) {
          return { driver, trigger };
        }
      }
    }
    return undefined;
  }

  private async runTrigger(driver: DriverConfig, trigger: string, host: GuestHost): Promise<ToolResult> {
    const faults = this.env.simulated[driver.name]?.faults ?? [];
    const storage = faults.filter((f) => f.kind === 'storage-timeout' && f.trigger === trigger);
    const service = Object.values(this.state.services).find(
      (s) => baseName(s.binaryPath).toLowerCase() === driver.binary.toLowerCase() && s.state === 'running',
    );
    const now = host.nowIso();
    let sequence = this.log.state.nextRecordId;
    for (const f of storage) {
      if (f.kind !== 'storage-timeout' || !service) continue;
      for (let i = 0; i < f.count; i += 1) {
        if (f.event === 129) this.log.write(storportReset(service.name, f.port), now);
        else {
          const lba = BigInt(typeof f.lba === 'number' ? f.lba : f.lba) + BigInt(i * 8);
          this.log.write(
            diskRetry({
              disk: f.disk,
              pdo: f.pdo,
              lba,
              scsiStatus: f.scsiStatus,
              srbStatus: f.srbStatus,
              opcode: f.opcode,
              sequence: sequence++,
            }),
            now,
          );
        }
      }
    }
    // A trigger that only makes the guest log storage timeouts needs no kernel decision.
    if (faults.some((f) => f.kind !== 'storage-timeout') || storage.length === 0) {
      const program = driver.triggers[trigger]?.[0] ?? '';
      await host.kernel({ kind: 'trigger', driver: driver.name, trigger, process: imageName(program) });
    }
    return ok('');
  }

  /** A test tool from the lab file: `commit` commits the megabytes given, then exits (the kernel decides). */
  private async runTool(tool: GuestTool, args: readonly string[], host: GuestHost): Promise<ToolResult> {
    const name = baseName(tool.program);
    const mb = Number(args[0]);
    if (args.length !== 1 || !Number.isInteger(mb) || mb <= 0) {
      return fail('', 87, text(`Usage: ${name} <megabytes>`));
    }
    const answer = await host.kernel({ kind: 'commit', megabytes: mb, process: imageName(tool.program) });
    if (answer.kind !== 'commit')
      throw new Error(`the simulated kernel answered a commit with '${answer.kind}'`);
    const ram = this.env.declaration.memory.physicalMb;
    const limit = `commit limit ${answer.limitMb} MB: ${ram} MB RAM + ${answer.pageFileMb} MB page file`;
    if (answer.refused > 0) {
      return fail(
        text(
          `${name}: could not commit ${mb} MB (commit charge ${answer.chargedMb} MB, ${limit}).`,
          'The paging file is too small for this operation to complete.',
        ),
        1455,
      );
    }
    return ok(text(`${name}: committed ${mb} MB (commit charge ${answer.chargedMb + mb} MB, ${limit}).`));
  }
}
