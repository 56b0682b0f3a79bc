/**
 * The seam between a simulated VM and the debug link (lab/sim/kdnet builds the link).
 *
 * At every boot with debugging on, the VM records the effective BCD debug settings and asks the
 * link factory to open the target end of the transport (KDNET over loopback UDP to hostip:port,
 * authenticated with the key; or the VM's COM port pipe for a serial transport). The link tells
 * the VM whether a debugger is attached (a bugcheck then freezes the target instead of writing a
 * dump and rebooting) and carries what the target tells the debugger unasked.
 */
import type { DebugTarget, TargetEvent } from '../contract.js';
import type { BootDebugSettings } from '../guest/bcd.js';

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
