/**
 * The seam between a simulated VM and the debug link (lab/sim/kdnet builds the link).
 *
 * When the VM (lab/sim/model/vm.ts) opens, closes and tells a link something:
 * - open: at every boot whose BCD turned debugging on, right after the kernel of that boot is
 *   created and before the boot drivers load (so a boot-time bugcheck can meet an attached
 *   debugger); also when a running VM comes back with debugging on (a checkpoint restored, Start-VM
 *   of a saved VM, a new host process picking the VM up from its state file). The target handed
 *   over is the kernel's KernelDebugTarget (lab/sim/kernel/target.ts) for that boot.
 * - notify `going-down`, then close: the guest begins to shut down (`reboot` or `power-off`; the
 *   link closes when the shutdown is over), Restart-VM and `.reboot` from the debugger (`reboot`),
 *   Stop-VM -TurnOff and Restore-VMCheckpoint (`power-off`), the dump after a bugcheck is written
 *   (`bugcheck-reboot`). Save-VM and the next open close the link without a notice.
 * - notify `bugcheck`: the kernel bugchecked while `attached()` — the VM stops in the debugger
 *   instead of writing its dump; `g` (the target's resume) then writes the dump and reboots. A
 *   `.crash` from the debugger is not announced (its text is that command's answer).
 * The VM calls `attached()` only at a bugcheck; every other debugger activity reaches the VM
 * through the target, which may close this very link while it serves a request (`.reboot`).
 */

import type { BootDebugSettings } from '../guest/bcd.js';
import type { DebugTarget, TargetEvent } from '../ports.js';

/** The debug settings a boot used, with the VM's COM port pipes (for debugtype Serial). */
export interface EffectiveDebugSettings extends BootDebugSettings {
  /** Lab time of the boot. */
  bootedAt: number;
  /** \\.\pipe\<name> of COM1 and COM2 as of the VM's last cold start, or null. */
  comPipes: { 1: string | null; 2: string | null };
}

export interface DebugLink {
  /** A debugger is connected now. */
  attached(): boolean;
  /** Tells the connected debugger something (a bugcheck banner, a break, the target going down). */
  notify(event: TargetEvent): void;
  /** Closes the target end (power off, reset, restore, reboot). */
  close(): void;
}

export interface DebugLinkFactory {
  open(vm: { name: string; target: DebugTarget }, settings: EffectiveDebugSettings): DebugLink;
}
