/**
 * A simulated Hyper-V VM: its power state machine (Off, Starting, Running, Stopping, Saved,
 * Paused), its uptime and its Heartbeat integration service, on the lab clock.
 */
import { randomUUID } from 'node:crypto';
import type { LabClock } from '../../clock.js';
import type { GuestDeclaration } from '../../config/embedded.js';

export type PowerState = 'Off' | 'Starting' | 'Running' | 'Stopping' | 'Saved' | 'Paused';

export class SimVm {
  readonly id = randomUUID();
  state: PowerState = 'Off';
  /** Lab time the VM last entered Running; null when not running. */
  private runningSince: number | null = null;
  /** Lab time the guest OS finished booting (heartbeat OK); null while booting or off. */
  private bootedAt: number | null = null;

  constructor(
    readonly name: string,
    readonly guest: GuestDeclaration,
    private readonly clock: LabClock,
  ) {}

  uptimeSeconds(): number {
    return this.runningSince === null ? 0 : (this.clock.now() - this.runningSince) / 1000;
  }

  /** Heartbeat status name as Hyper-V reports it, or null when the VM is off. */
  heartbeat(): string | null {
    if (this.state !== 'Running') return null;
    return this.bootedAt !== null && this.clock.now() >= this.bootedAt
      ? 'OkApplicationsHealthy'
      : 'NoContact';
  }

  isBooted(): boolean {
    return this.heartbeat() === 'OkApplicationsHealthy';
  }

  /** Powers the VM on; the guest OS becomes ready bootSeconds later (lab time). */
  async start(): Promise<void> {
    this.state = 'Starting';
    await this.clock.sleep(1000);
    this.state = 'Running';
    this.runningSince = this.clock.now();
    this.bootedAt = this.runningSince + this.guest.timings.bootSeconds * 1000;
  }

  async stop(turnOff: boolean): Promise<void> {
    this.state = 'Stopping';
    if (!turnOff) await this.clock.sleep(this.guest.timings.shutdownSeconds * 1000);
    this.state = 'Off';
    this.runningSince = null;
    this.bootedAt = null;
  }

  /** Puts the VM in the running, booted state at once (the embedded lab's starting point). */
  poweredOnAndBooted(): void {
    this.state = 'Running';
    this.runningSince = this.clock.now();
    this.bootedAt = this.runningSince;
  }
}
