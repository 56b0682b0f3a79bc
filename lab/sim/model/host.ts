/**
 * The simulated Hyper-V host: the VMs of one embedded lab file, on one lab clock, and the state
 * file that carries them across host processes.
 *
 * The adapter restarts its PowerShell after a timeout (a timed-out command keeps running in a real
 * shell) — on a real host the VMs do not notice, so here the host process saves its VMs after every
 * operation and a new process picks them up, lab time included. One state file belongs to one lab
 * session (see lab/sim/launch.ts); files of sessions whose owner process is gone are cleaned up.
 *
 * Saving stays cheap however many checkpoints the VMs have: a checkpoint never changes once taken,
 * so each is written once, to its own file in a folder beside the state file, and the state file
 * holds the live VMs only — rewritten only when they changed (merely looking at a VM changes
 * nothing). Lab time itself is the session's time file (lab/sim/shared-time.ts), which outlives
 * any one host process.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { memoryTime, type VirtualClock, virtualClock } from '../../clock.js';
import type { LabFault } from '../../config/embedded.js';
import type { EmbeddedLabFileData, LabFile } from '../../config/lab-file.js';
import { Redactor, resolveSecret } from '../../config/secrets.js';
import { readReplaced, replaceOften, writeAtomically } from '../../util/files.js';
import type { GuestEnvironment } from '../guest/guest.js';
import { TimeFile } from '../shared-time.js';
import type { DebugLinkFactory } from './debug-link.js';
import { SimTime } from './time.js';
import { type CheckpointState, SimVm, type VmSnapshot, type VmState } from './vm.js';

export interface SimHostOptions {
  lab: LabFile;
  /** Where the VMs are kept between host processes; null keeps them in memory only (tests). */
  statePath: string | null;
  /** The lab clock (tests pass their own); without it, virtual time from the time file or from 0. */
  clock?: VirtualClock;
  /** The session's shared lab time (lab/sim/shared-time.ts), when the host runs as a process. */
  timePath?: string | null;
  /** The calendar time (epoch ms) of lab time 0 for a new host; now when absent. */
  calendarOrigin?: number;
  /** The debug link's target ends (lab/sim/kdnet); without it no debugger can attach. */
  links?: DebugLinkFactory;
  env?: NodeJS.ProcessEnv;
  /**
   * Told of a save that failed after the operation or the debugger activity that asked for it had
   * been answered (saveSoon); standard error when absent.
   */
  onSaveError?: (error: unknown) => void;
}

/** A checkpoint as the state file lists it: its snapshot is in a file of its own. */
type CheckpointEntry = Omit<CheckpointState, 'snapshot'>;

/** What the state file holds. */
interface HostStateFile {
  version: 3;
  savedAtLab: number;
  calendarOrigin: number;
  vms: Record<string, Omit<VmState, 'checkpoints'> & { checkpoints: CheckpointEntry[] }>;
  /** Operations answered per VM, and the host-shell-dies faults already fired. */
  operations: Record<string, number>;
  shellDeaths: string[];
}

const container = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);
const GuestStateShape = z.looseObject({
  vmName: z.string(),
  computerName: z.string(),
  bootCount: z.number(),
  bootTime: z.string().nullable(),
  fs: z.looseObject({ drives: z.record(z.string(), z.looseObject({ kind: z.literal('dir') })) }),
  registry: z.looseObject({ keys: z.record(z.string(), container) }),
  bcd: z.looseObject({ entries: z.array(z.unknown()), current: z.string() }),
  verifier: z.looseObject({ flags: z.number() }),
  trackNblOwner: z.number(),
  services: z.record(z.string(), container),
  nextServiceOrder: z.number(),
  packages: z.array(z.unknown()),
  devices: z.array(z.unknown()),
  filters: z.looseObject({ items: z.array(z.unknown()) }),
  events: z.looseObject({ records: z.array(z.unknown()), nextRecordId: z.number() }),
});
const power = z.enum(['Off', 'Starting', 'Running', 'Stopping', 'Saved', 'Paused']);
const phase = z.enum(['off', 'booting', 'up', 'shutting-down', 'frozen', 'dumping', 'halted']);
const VmStateShape = z.looseObject({
  id: z.string(),
  power,
  phase,
  phaseEndsAt: z.number().nullable(),
  runningSince: z.number().nullable(),
  guest: GuestStateShape,
  checkpoints: z.array(
    z.strictObject({
      id: z.string().regex(/^[0-9a-f-]{36}$/, 'a checkpoint id'),
      name: z.string(),
      created: z.string(),
      parentId: z.string().nullable(),
    }),
  ),
  currentCheckpoint: z.string().nullable(),
});
const SnapshotShape = z.looseObject({ power, phase, guest: GuestStateShape });
const HostStateShape = z.strictObject({
  version: z.literal(3),
  savedAtLab: z.number(),
  calendarOrigin: z.number(),
  vms: z.record(z.string(), VmStateShape),
  operations: z.record(z.string(), z.number()),
  shellDeaths: z.array(z.string()),
});

/** The folder beside a state file that keeps its checkpoints, one file each. */
function checkpointFolder(statePath: string): string {
  return statePath.replace(/\.json$/, '.checkpoints');
}

function readCheckpoint(statePath: string, id: string): VmSnapshot {
  const file = join(checkpointFolder(statePath), `${id}.json`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `the state file '${statePath}' names checkpoint ${id}, but its file '${file}' cannot be read (${String(error)})`,
    );
  }
  const parsed = SnapshotShape.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `the checkpoint file '${file}' is not one this host wrote (${parsed.error.issues[0]?.message ?? 'unknown shape'})`,
    );
  }
  return parsed.data as unknown as VmSnapshot;
}

/** The VMs of a state file, each checkpoint with its snapshot read back from its own file. */
function savedVms(statePath: string, file: HostStateFile): Record<string, VmState> {
  const vms: Record<string, VmState> = {};
  for (const [name, vm] of Object.entries(file.vms)) {
    vms[name] = {
      ...vm,
      checkpoints: vm.checkpoints.map((c) => ({ ...c, snapshot: readCheckpoint(statePath, c.id) })),
    };
  }
  return vms;
}

function readState(path: string): HostStateFile | null {
  let text: string;
  try {
    text = readReplaced(path);
  } catch (error) {
    // No state file yet: a new lab session. Any other failure is not "no VMs".
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(
      `the state file '${path}' could not be read (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`the state file '${path}' is not one this host wrote (it is not JSON: ${String(error)})`);
  }
  const parsed = HostStateShape.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `the state file '${path}' is not one this host wrote (${parsed.error.issues[0]?.message ?? 'unknown shape'})`,
    );
  }
  return parsed.data as unknown as HostStateFile;
}

/** Removes state files whose owning process (the pid in the name) has ended. */
export function removeOrphanStateFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^lab-(\d+)-[0-9a-f]+(\.json(\.\d+\.tmp|\.next)?|\.checkpoints|\.time)$/.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH')
        rmSync(join(dir, name), { force: true, recursive: true });
    }
  }
}

/**
 * The state and checkpoint files hold the VMs' debug settings, the run's KDNET key among them:
 * readable by their owner only (`driverlab run` also keeps them in its private temp folder and
 * removes it when the run ends).
 */
const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;

/** Wall milliseconds between two looks for a VM whose debugger waits on its next transition. */
const IDLE_WAKE_WALL_MS = 2;

/**
 * Wall milliseconds a save after an operation may wait, to be one save for every operation
 * answered meanwhile (saveSoon). Writing the state after each of a run's ~1,000 operations per host
 * was a fifth of the host process's CPU.
 */
export const SAVE_COALESCE_WALL_MS = 50;

/** What the host says when it could not save its VMs. */
export function saveFailure(error: unknown): string {
  return `driverlab embedded lab host: could not save the VMs (${error instanceof Error ? error.message : String(error)}).`;
}

export class SimHost {
  readonly vms = new Map<string, SimVm>();
  readonly time: SimTime;
  readonly data: EmbeddedLabFileData;
  private operations: Record<string, number>;
  private shellDeaths: Set<string>;
  /** The checkpoints whose files are written, and the live state last written. */
  private readonly writtenCheckpoints = new Set<string>();
  private lastWritten: string | null = null;
  /** The timer of a save asked for with saveSoon and not yet written, or null. */
  private pendingSave: ReturnType<typeof setTimeout> | null = null;
  /** The timer that settles the VMs at their next transition (only with a debug link, see armWake). */
  private wake: ReturnType<typeof setTimeout> | null = null;
  /** Operations being answered now: the VMs do not go on by themselves meanwhile. */
  private operating = 0;
  private readonly timeFile: TimeFile | null;

  private constructor(
    private readonly options: SimHostOptions,
    saved: HostStateFile | null,
  ) {
    const data = options.lab.data;
    if (data.kind !== 'embedded')
      throw new Error(`the lab file '${options.lab.path}' is not an embedded lab`);
    this.data = data;
    this.timeFile = !options.clock && options.timePath ? new TimeFile(options.timePath) : null;
    const clock =
      options.clock ?? virtualClock({ store: this.timeFile ?? memoryTime(), pace: data.clock.pace });
    // A host process that takes over a session goes on from the lab time its VMs were saved at.
    if (saved) clock.advanceTo(saved.savedAtLab);
    this.time = new SimTime(clock, saved?.calendarOrigin ?? options.calendarOrigin ?? Date.now());
    this.operations = saved?.operations ?? {};
    this.shellDeaths = new Set(saved?.shellDeaths ?? []);
  }

  /** Opens the host: the saved VMs when the state file has them, else every VM fresh at its baseline. */
  static async open(options: SimHostOptions): Promise<SimHost> {
    if (options.statePath) removeOrphanStateFiles(dirname(options.statePath));
    const file = options.statePath ? readState(options.statePath) : null;
    const saved = file && options.statePath ? savedVms(options.statePath, file) : null;
    const host = new SimHost(options, file);
    for (const vm of Object.values(saved ?? {}))
      for (const c of vm.checkpoints) host.writtenCheckpoints.add(c.id);
    const redactor = new Redactor();
    const secrets = { baseDir: options.lab.dir, env: options.env ?? process.env, redactor };
    for (const vm of host.data.vms) {
      const declaration = host.data.embedded.guests[vm.name];
      if (!declaration) continue;
      const faults: LabFault[] = host.data.embedded.faults[vm.name] ?? [];
      const env: GuestEnvironment = {
        vmName: vm.name,
        declaration,
        drivers: host.data.drivers,
        simulated: host.data.embedded.drivers,
        tools: host.data.tools,
        diskFull: faults.some((f) => f.kind === 'disk-full'),
      };
      const accounts = declaration.accounts.map((a) => ({
        user: a.user,
        password: resolveSecret(
          a.password,
          `the password of guest account '${a.user}' of VM '${vm.name}'`,
          secrets,
        ),
      }));
      const sim = new SimVm(
        {
          name: vm.name,
          env,
          time: host.time,
          faults,
          accounts,
          timings: declaration.timings,
          ...(options.links ? { links: options.links } : {}),
          persist: () => host.save(),
          persistSoon: () => host.saveSoon(),
        },
        saved?.[vm.name],
      );
      if (!saved?.[vm.name]) {
        const missing = faults.find((f) => f.kind === 'checkpoint-missing');
        const withoutBaseline = missing !== undefined && (missing.checkpoint ?? vm.baseline) === vm.baseline;
        await sim.poweredOnAndBooted(withoutBaseline ? null : vm.baseline);
      }
      host.vms.set(vm.name.toLowerCase(), sim);
    }
    await host.save();
    return host;
  }

  vm(name: string): SimVm | undefined {
    return this.vms.get(name.toLowerCase());
  }

  faults(vmName: string): LabFault[] {
    return (
      this.data.embedded.faults[
        this.data.vms.find((v) => v.name.toLowerCase() === vmName.toLowerCase())?.name ?? ''
      ] ?? []
    );
  }

  /**
   * Counts an operation on a VM and says whether the host shell must die now (the host-shell-dies
   * fault fires once, when the VM has seen `afterOperations` operations).
   */
  countOperation(vmName: string): 'die' | 'go-on' {
    const key = vmName.toLowerCase();
    const fault = this.faults(vmName).find((f) => f.kind === 'host-shell-dies');
    if (fault?.kind !== 'host-shell-dies' || this.shellDeaths.has(key)) return 'go-on';
    const seen = this.operations[key] ?? 0;
    this.operations[key] = seen + 1;
    if (seen >= fault.afterOperations) {
      this.shellDeaths.add(key);
      return 'die';
    }
    return 'go-on';
  }

  /**
   * With a debug link plugged in, the VMs go on by themselves between operations: a debugger
   * watches the link, not the host's operations, so a dump written after `g`, the reboot that
   * follows and the link coming back must happen without an operation to look. So when a VM with
   * a debugger attached has a transition ahead and no operation is being answered, lab time jumps
   * to that transition: the discrete-event step of lab/clock.ts across the process boundary (the
   * harness is waiting on the debugger, the debugger on the VM). A VM whose link no debugger has
   * attached to yet is watched until one does. Without a debugger nobody can tell the difference,
   * and the VMs settle lazily when an operation looks (docs/adr/0004-virtual-lab-time.md).
   */
  private armWake(): void {
    if (!this.options.links || this.wake) return;
    if (![...this.vms.values()].some((vm) => vm.hasOpenLink() && vm.nextTransitionAt() !== null)) return;
    const timer = setTimeout(() => {
      this.wake = null;
      void this.wakeUp();
    }, IDLE_WAKE_WALL_MS);
    timer.unref();
    this.wake = timer;
  }

  /** The next transition of a VM whose debugger is attached, or null. */
  private nextWatchedTransition(): number | null {
    let due: number | null = null;
    for (const vm of this.vms.values()) {
      const at = vm.debuggerAttached() ? vm.nextTransitionAt() : null;
      if (at !== null && (due === null || at < due)) due = at;
    }
    return due;
  }

  private async wakeUp(): Promise<void> {
    const due = this.operating > 0 ? null : this.nextWatchedTransition();
    if (due === null) {
      // An operation is being answered (its end saves, which looks again), or no debugger has
      // attached yet: look again shortly.
      if (this.operating === 0) this.armWake();
      return;
    }
    this.time.clock.advanceTo(due);
    for (const vm of this.vms.values()) await vm.settle();
    this.saveSoon();
  }

  /** Answers one operation: meanwhile the VMs do not go on by themselves. */
  async operation<T>(answer: () => Promise<T>): Promise<T> {
    this.operating += 1;
    try {
      return await answer();
    } finally {
      this.operating -= 1;
    }
  }

  /** Stops settling by itself (the host process is leaving). */
  stopWaking(): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
  }

  /**
   * Saves after an operation: at once when the VMs' checkpoints changed since the last save (a host
   * process that takes over must find every checkpoint the harness made), else within
   * SAVE_COALESCE_WALL_MS, once for every operation answered meanwhile. A process that leaves by
   * itself saves first (stdin closed, the host-shell-dies fault); one killed outright leaves the state
   * of at most that long before, which a scenario's restore to its checkpoint replaces. A save that
   * fails is told to the options' onSaveError.
   */
  saveSoon(): void {
    const onError =
      this.options.onSaveError ?? ((error: unknown) => process.stderr.write(`${saveFailure(error)}\n`));
    this.armWake();
    if (!this.options.statePath) return;
    if (this.checkpointsChanged()) {
      void this.save().catch(onError);
      return;
    }
    this.pendingSave ??= setTimeout(() => {
      this.pendingSave = null;
      this.save().catch(onError);
    }, SAVE_COALESCE_WALL_MS);
  }

  /** Whether a VM has a checkpoint whose file is not written, or lost one whose file is. */
  private checkpointsChanged(): boolean {
    let live = 0;
    for (const vm of this.vms.values()) {
      for (const c of vm.state.checkpoints) {
        if (!this.writtenCheckpoints.has(c.id)) return true;
        live += 1;
      }
    }
    return live !== this.writtenCheckpoints.size;
  }

  /**
   * Saves the VMs for the next host process: a checkpoint's file once, when it is new (and removed
   * with its checkpoint); the state file (whole, lab/util/files.ts replaceOften) when the live VMs
   * changed since the last save.
   */
  async save(): Promise<void> {
    if (this.pendingSave) clearTimeout(this.pendingSave);
    this.pendingSave = null;
    this.armWake();
    const path = this.options.statePath;
    if (!path) return;
    const folder = checkpointFolder(path);
    const vms: HostStateFile['vms'] = {};
    const live = new Set<string>();
    for (const vm of this.vms.values()) {
      const entries: CheckpointEntry[] = [];
      for (const { snapshot, ...entry } of vm.state.checkpoints) {
        live.add(entry.id);
        entries.push(entry);
        if (this.writtenCheckpoints.has(entry.id)) continue;
        mkdirSync(folder, { recursive: true, mode: PRIVATE_DIR });
        writeAtomically(join(folder, `${entry.id}.json`), JSON.stringify(snapshot), PRIVATE_FILE);
        this.writtenCheckpoints.add(entry.id);
      }
      vms[vm.name] = { ...vm.state, checkpoints: entries };
    }
    for (const id of this.writtenCheckpoints) {
      if (live.has(id)) continue;
      rmSync(join(folder, `${id}.json`), { force: true });
      this.writtenCheckpoints.delete(id);
    }
    const body = JSON.stringify({ vms, operations: this.operations, shellDeaths: [...this.shellDeaths] });
    if (body === this.lastWritten && existsSync(path)) return;
    mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR });
    const head = `{"version":3,"savedAtLab":${this.time.now()},"calendarOrigin":${this.time.calendarOrigin},`;
    // Replaced after nearly every operation: cheaply, and whole whenever the process dies.
    replaceOften(path, head + body.slice(1), PRIVATE_FILE);
    this.lastWritten = body;
  }
}
