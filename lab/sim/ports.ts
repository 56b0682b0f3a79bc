/**
 * The ports inside the embedded lab, between its three parts (what each hands the next):
 *
 *   guest model (lab/sim/model, lab/sim/guest)  — VM power, BCD, verifier, drivers, filters, VSS,
 *        │                                        event log, registry: the state guest tools print
 *        │ KernelFacts, KernelAction
 *        ▼
 *   simulated kernel (lab/sim/kernel)           — driver faults × verifier settings → outcomes,
 *        │                                        and what the debugger prints for each command
 *        │ DebugTarget (commands in, text out)
 *        ▼
 *   debug link (lab/sim/kdnet)                  — KDNET over loopback UDP (authenticated with the
 *                                                 key) or a COM pipe, to the simulated debugger
 *                                                 executable (lab/sim/kd), which kd's host side is.
 *
 * Everything the debugger prints is rendered from the kernel's state; nothing is replayed. A kernel
 * state is plain JSON, so a checkpoint or a crash dump can carry it.
 */

import type * as z from 'zod';
import type { DriverFault, FilterDeclaration } from '../config/embedded.js';

/** What the kernel knows about its guest, as of the last boot (BCD and verifier settings apply at boot). */
export interface KernelFacts {
  vmName: string;
  /** The guest's boots so far, this one included: every kernel address derives from VM name + boot count. */
  bootCount: number;
  os: {
    product: string;
    build: number;
    processors: number;
    family: 'xp-2003' | 'vista-and-later';
    sku: 'client' | 'server';
  };
  /** Driver Verifier settings in effect since the last boot. */
  verifier: { flags: number; drivers: string[] | 'all' };
  /** NDIS TrackNblOwner in effect since the last boot. */
  trackNblOwner: number;
  memory: { physicalMb: number; pageFileInitialMb: number; pageFileMaximumMb: number };
  /** The system disk is full (lab fault): no dump can be written. */
  diskFull: boolean;
}

/** A lab driver as the kernel sees it once it is loaded. */
export interface LoadedDriver {
  name: string;
  binary: string;
  service: string;
  version: string;
  faults: DriverFault[];
  filter?: z.infer<typeof FilterDeclaration>;
}

/** Something that happens in the guest that the kernel must decide the outcome of. */
export type KernelAction =
  /** A driver was loaded (service started, or installed with pnputil /install). */
  | { kind: 'driver-loaded'; driver: LoadedDriver }
  /** A driver was unloaded (service stopped). */
  | { kind: 'driver-unloaded'; driver: string }
  /** A named trigger of a driver ran in the guest (from the lab's drivers), in a user-mode process. */
  | { kind: 'trigger'; driver: string; trigger: string; process?: string }
  /** A process was started from this image file ("bcdedit.exe"): image-load notify routines run. */
  | { kind: 'image-load'; image: string }
  /** A network adapter was removed (PnP query-remove + remove). */
  | { kind: 'pnp-remove'; driver: string }
  /**
   * A process commits this many megabytes, then exits and releases them; `times` repeats the
   * request (a tool that retries, a soak); with `hold` it keeps what it was granted until it exits
   * (a leak). `path` is the memory manager routine that charges it: VirtualAlloc's (`user`, the
   * default) or a charge made with the PFN lock held (`pfn-lock-held`, no page file extension).
   */
  | {
      kind: 'commit';
      megabytes: number;
      process?: string;
      times?: number;
      hold?: boolean;
      path?: 'user' | 'pfn-lock-held';
    }
  /** Debug-VM -InjectNonMaskableInterrupt. */
  | { kind: 'nmi' }
  /** The debugger's .crash. */
  | { kind: 'manual-crash' };

/** The bug check the kernel raised: code and the four parameters as KD prints them. */
export interface BugcheckInfo {
  /** e.g. 0xd6, as a number. */
  code: number;
  name: string;
  args: [bigint | string, bigint | string, bigint | string, bigint | string];
}

export type KernelOutcome =
  | { kind: 'none' }
  /** The guest is stopped in KeBugCheckEx. */
  | { kind: 'bugcheck'; bugcheck: BugcheckInfo }
  /** The action never completes (a PnP remove waiting for NBLs): the guest command hangs. */
  | { kind: 'hang'; what: string }
  /**
   * Driver Verifier found a non-fatal I/O error (WDM DRIVER ERROR): `text` is what the target
   * prints; with `ask` it then asks "(bizrd)?" and waits for the attached debugger's answer (the
   * VM decides what happens without one: the error is ignored).
   */
  | { kind: 'verifier-error'; text: string; ask: boolean }
  /**
   * The answer to a commit: how many of its requests failed with STATUS_COMMITMENT_LIMIT, the
   * commit the system held before them, and the commit limit (RAM + page file) after the page file
   * grew as far as it could — all in megabytes.
   */
  | { kind: 'commit'; refused: number; limitMb: number; pageFileMb: number; chargedMb: number };

/**
 * What the debug link asks of the target while the debugger is attached. Implemented for a live
 * guest by the kernel's KernelDebugTarget inside its VM (lab/sim/kernel/target.ts) and for a crash
 * dump by openDumpTarget (lab/sim/kernel/dump.ts); used by the KDNET / pipe target endpoint.
 */
export interface DebugTarget {
  /** What KD prints when it connects: "Windows 10 Kernel Version 19041 MP (4 procs) Free x64", … */
  identity(): TargetIdentity;
  /** The target is stopped (broken in or bugchecked) and answers commands. */
  isStopped(): boolean;
  /** Host pressed CTRL+C: stop the target; returns what KD prints (Break instruction exception …). */
  breakIn(): Promise<string>;
  /** Runs a command on the stopped target and returns what KD prints for it (no prompt). */
  execute(command: string): Promise<string>;
  /** The processor the prompt shows ("0: kd> "), or null for a uniprocessor target ("kd> "). */
  currentProcessor(): number | null;
  /** `g`: resume; after a bugcheck this lets the guest write its dump and reboot. */
  resume(): Promise<void>;
  /** `.reboot`. */
  reboot(): Promise<void>;
  /** The answer to a Driver Verifier "Break, Ignore, Zap, Remove, Disable all (bizrd)?" question. */
  answerVerifier(choice: 'b' | 'i' | 'z' | 'r' | 'd'): Promise<string>;
}

export interface TargetIdentity {
  product: string;
  build: number;
  processors: number;
  arch: 'x64';
  /** "0xfffff800`01a04000" style, as KD prints it. */
  kernelBase: string;
  psLoadedModuleList: string;
  /** Lab seconds since boot. */
  uptimeSeconds: number;
}

/** Something the target tells the attached debugger without being asked. */
export type TargetEvent =
  /** A bug check: the text KD prints (*** Fatal System Error …), after which the target is stopped. */
  | { kind: 'bugcheck'; text: string }
  /** A breakpoint or NMI break: the text KD prints, after which the target is stopped. */
  | { kind: 'break'; text: string }
  /** Driver Verifier asks "… (bizrd)?"; the target waits for an answer. */
  | { kind: 'verifier-question'; text: string }
  /** DbgPrint output from a driver. */
  | { kind: 'print'; text: string }
  /** The target is rebooting or powering off: the link drops. */
  | { kind: 'going-down'; reason: 'reboot' | 'power-off' | 'bugcheck-reboot' };
