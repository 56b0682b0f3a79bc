/**
 * The simulated VM's state, as the host's state file and its checkpoints keep it, and the options a
 * VM is made with (see vm.ts for the VM itself).
 */
import type { LabFault } from '../../config/embedded.js';
import type { GuestEnvironment, GuestState } from '../guest/guest.js';
import type { KernelState } from '../kernel/index.js';
import type { DebugLinkFactory, EffectiveDebugSettings } from './debug-link.js';
import type { SimTime } from './time.js';

export type PowerState = 'Off' | 'Starting' | 'Running' | 'Stopping' | 'Saved' | 'Paused';

/**
 * What the guest OS is doing while the VM has power: booting, up, shutting down, stopped in the
 * debugger (frozen), writing a crash dump, or halted on a bugcheck screen (AutoReboot off).
 */
export type GuestPhase = 'off' | 'booting' | 'up' | 'shutting-down' | 'frozen' | 'dumping' | 'halted';

/** The VM's side of a bugcheck (what bugchecked, and how, is in the kernel state). */
export interface CrashState {
  /** The WER report id event 1001 names. */
  reportId: string;
  /** Lab time of the bugcheck. */
  at: number;
}

/** The part of a VM a checkpoint captures: everything but the checkpoint tree, times made relative. */
export interface VmSnapshot {
  power: PowerState;
  phase: GuestPhase;
  phaseRemainingMs: number | null;
  afterShutdown: 'reboot' | 'off' | null;
  uptimeMs: number;
  frozenFrom: { phase: GuestPhase; remainingMs: number | null } | null;
  shutdownInMs: { reboot: boolean; inMs: number } | null;
  guest: GuestState;
  kernel: KernelState | null;
  crash: CrashState | null;
  hang: { what: string } | null;
  bootDebug: EffectiveDebugSettings | null;
}

export interface CheckpointState {
  id: string;
  name: string;
  created: string;
  parentId: string | null;
  snapshot: VmSnapshot;
}

/** A VM as the host's state file keeps it. */
export interface VmState {
  id: string;
  power: PowerState;
  phase: GuestPhase;
  phaseEndsAt: number | null;
  afterShutdown: 'reboot' | 'off' | null;
  /** Lab time the VM was last powered on or reset; null when off. */
  runningSince: number | null;
  /** Saved or Paused: how much of the current phase was left, and the uptime, when it was frozen. */
  suspended: { remainingMs: number | null; uptimeMs: number } | null;
  frozenFrom: { phase: GuestPhase; remainingMs: number | null } | null;
  scheduledShutdown: { reboot: boolean; at: number } | null;
  guest: GuestState;
  /** The kernel of the running guest, changed in place by the kernel; null when off. */
  kernel: KernelState | null;
  /** Lab time the kernel's clock was last brought up to date. */
  kernelClockAt: number | null;
  crash: CrashState | null;
  hang: { what: string } | null;
  bootDebug: EffectiveDebugSettings | null;
  /** COM port pipes as configured, and as in effect since the last cold start. */
  comPorts: { 1: string | null; 2: string | null };
  effectiveComPorts: { 1: string | null; 2: string | null };
  checkpoints: CheckpointState[];
  currentCheckpoint: string | null;
}

/** Where a guest command's output goes as it is printed, and what stops it. */
export interface GuestCommandIo {
  write(stream: 'stdout' | 'stderr', text: string): void;
  signal?: AbortSignal;
}

export interface VmOptions {
  name: string;
  env: GuestEnvironment;
  time: SimTime;
  faults: readonly LabFault[];
  /** Accounts PowerShell Direct accepts (resolved passwords). */
  accounts: { user: string; password: string }[];
  /** Lab milliseconds a boot, a checkpoint restore, a guest command and a shutdown take. */
  timings: { boot: number; restore: number; command: number; shutdown: number };
  /** Opens the target end of the debug link at each boot with debugging on (lab/sim/kdnet). */
  links?: DebugLinkFactory;
  /** Saves the VM at once: before a guest command hangs (it never answers), or a verifier break. */
  persist?: () => Promise<void>;
  /** Saves the VM within a moment: its state changed outside an operation (debugger activity). */
  persistSoon?: () => void;
}

/** Lab milliseconds for what the guest timings in the lab file do not cover. */
export const DURATIONS = {
  powerOn: 2000,
  checkpoint: 3000,
  /** Writing MEMORY.DMP after a bugcheck, before the automatic reboot. */
  dump: 12000,
  resume: 4000,
  /** Copy-VMFile / Copy-Item throughput: lab milliseconds per megabyte. */
  copyPerMb: 20,
} as const;
