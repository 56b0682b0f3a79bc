/**
 * One live kernel debugger per leased VM, kept across the worker's scenarios.
 *
 * Starting a debugger process costs far more than a scenario's lab operations, and a crash is
 * examined best where it happens, so each VM debugged over KDNET gets one session for the whole
 * run: before its first scenario the VM's baseline is restored, its boot configuration pointed at
 * the lab's debugger (the lab file's host IP and port, and its key — or one made for this run and
 * registered as a secret), and after a reboot with the debugger connected it is checkpointed as
 * DEBUG_BASELINE. Every scenario then restores that checkpoint; the session reconnects to the
 * restored VM, and a bug check stops in it instead of writing a dump. A scenario that changes the
 * transport (its own KDNET port and key) may close the session; the next scenario opens it again.
 *
 * With `{"debugger": "dumps"}` in the world parameters, or for a VM debugged over a COM pipe,
 * nothing of this happens: the lab's baseline is restored and crashes are examined in their dumps.
 *
 * The registry is a worker-scoped fixture (support/fixtures.ts): made when the worker opens its lab,
 * its sessions ended and its checkpoints removed when the worker closes it.
 */
import { randomBytes } from 'node:crypto';
import {
  debuggerOptions,
  type HypervLab,
  KdSession,
  kdnetPort,
  rearmAfterRestore,
  resolveSecret,
  type Vm,
} from '../lab/index.js';

/** The checkpoint of a VM's baseline with kernel debugging on, made once per run. */
export const DEBUG_BASELINE = 'driverlab-debug-baseline';

export interface AttachedDebugger {
  vm: Vm;
  session: KdSession;
  hostIp: string;
  port: number;
  key: string;
}

/** Where a VM's KDNET points: the debugger's address and port, and the key. */
export interface Transport {
  hostIp: string;
  port: number;
  key: string;
}

/** What a scenario lends the registry to restore its VM: its VM slot, and the bcdedit that points KDNET at a debugger. */
export interface RestoringScenario {
  useBaselineVm(vm: Vm, checkpoint?: string): Promise<void>;
  readonly debugging: { pointAt(transport: Transport): Promise<void> };
}

/** A KDNET key in bcdedit's form (four base-36 parts of 64 bits). */
function newKey(): string {
  const bytes = randomBytes(32);
  return [0, 8, 16, 24].map((at) => bytes.readBigUInt64BE(at).toString(36)).join('.');
}

/** Whether the session's debugger process has exited. */
export function hasExited(session: KdSession): boolean {
  return session.events().some((e) => e.kind === 'exited');
}

/** The live debuggers of one worker's VMs, and the debug baselines made for them. */
export class DebuggerRegistry {
  private readonly attached = new Map<string, AttachedDebugger>();
  private readonly prepared = new Map<string, Transport>();
  /** Debug baselines being removed at the end of the run, by VM. */
  private readonly removing = new Map<string, Promise<void>>();

  constructor(
    private readonly lab: HypervLab,
    /** How this run examines crashes (the world parameter `debugger`). */
    readonly policy: 'attach' | 'dumps',
  ) {}

  /** The VM's live debugger, when it has one. */
  attachedDebugger(vm: Vm): AttachedDebugger | null {
    return this.attached.get(vm.name) ?? null;
  }

  private startSession(vm: Vm, transport: Transport): KdSession {
    const options = debuggerOptions(this.lab, vm, { verifierPolicy: () => 'b', key: transport.key });
    return KdSession.start(options);
  }

  /**
   * The checkpoint this scenario restores: the baseline with debugging on (made on the VM's first
   * scenario), or the lab's own baseline when the VM is not debugged over KDNET.
   */
  async debugBaseline(scenario: RestoringScenario, vm: Vm): Promise<string> {
    const debug = vm.config.debug;
    if (debug?.transport !== 'net') return vm.config.baseline;
    if (this.prepared.has(vm.name)) return DEBUG_BASELINE;
    const lab = this.lab;
    await scenario.useBaselineVm(vm);
    let key: string;
    if (debug.key) {
      key = resolveSecret(debug.key, `the KDNET key of VM '${vm.name}'`, lab.secrets);
    } else {
      key = newKey();
      lab.redactor.add(key, `the KDNET key of VM '${vm.name}'`);
    }
    const transport = { hostIp: debug.hostIp, port: kdnetPort(vm.config), key };
    await scenario.debugging.pointAt(transport);
    const session = this.startSession(vm, transport);
    try {
      await vm.guest.reboot();
      await session.waitUntilConnected();
      if ((await vm.checkpoints()).some((c) => c.name === DEBUG_BASELINE))
        await vm.removeCheckpoint(DEBUG_BASELINE);
      await vm.checkpoint(DEBUG_BASELINE);
    } catch (error) {
      // The next scenario tries again from the lab's baseline; this session must not outlive the attempt.
      await session.close();
      throw error;
    }
    this.attached.set(vm.name, { vm, session, ...transport });
    this.prepared.set(vm.name, transport);
    return DEBUG_BASELINE;
  }

  /**
   * Restores the VM for a scenario: to its baseline with debugging on and the session reconnected
   * when crashes are examined live, to the lab's baseline otherwise.
   */
  async restoreForScenario(scenario: RestoringScenario, vm: Vm): Promise<void> {
    const checkpoint = this.policy === 'attach' ? await this.debugBaseline(scenario, vm) : vm.config.baseline;
    const eventsBefore = this.attachedDebugger(vm)?.session.events().length ?? 0;
    await scenario.useBaselineVm(vm, checkpoint);
    if (checkpoint !== vm.config.baseline) await this.reconnect(vm, eventsBefore);
  }

  /** After the VM was restored: the session (opened again if a scenario closed it) reconnects to it. */
  private async reconnect(vm: Vm, eventsBefore: number): Promise<void> {
    const transport = this.prepared.get(vm.name);
    if (!transport) return;
    const lab = this.lab;
    for (let attempt = 1; ; attempt += 1) {
      let live = this.attached.get(vm.name);
      // A debugger process that died (killed, crashed) is replaced here, before the scenario uses it:
      // only the scenario it died under is broken, the next ones get a new session.
      if (live && hasExited(live.session)) {
        this.attached.delete(vm.name);
        await live.session.close().catch(() => {});
        live = undefined;
      }
      if (!live) {
        live = { vm, session: this.startSession(vm, transport), ...transport };
        this.attached.set(vm.name, live);
        eventsBefore = 0;
      }
      try {
        // KDNET re-arms after the restore, or only after a restart, as the lab file says (lab/kd/restore.ts).
        await rearmAfterRestore(live.session, {
          mode: lab.file.data.debugger.afterRestore,
          subject: vm.describe(),
          checkpoint: DEBUG_BASELINE,
          eventsBefore,
          timeoutMs: lab.timeouts.kdConnect,
          restart: () => vm.restart(),
          clock: lab.clock,
        });
        return;
      } catch (error) {
        // The debugger died while the restored VM was awaited (between the check above and its
        // reconnection): the VM is not at fault, so a new session awaits it, once.
        if (attempt === 1 && hasExited(live.session)) continue;
        throw error;
      }
    }
  }

  /**
   * What the VM's debugger printed since its transcript was last attached (redacted): the scenario's
   * own part, after the reconnection banners of the scenarios before it that left nothing to show
   * (a scenario that did not use the debugger does not take it). The session lets go of what it
   * hands out, so each take costs what was printed since the last. Null when there is nothing.
   */
  scenarioTranscript(vm: Vm): string | null {
    const live = this.attached.get(vm.name);
    if (!live) return null;
    const text = live.session.takeTranscript();
    return text.trim() === '' ? null : text;
  }

  /** Ends the VM's session (a scenario that takes its KDNET port for itself). */
  async detachDebugger(vm: Vm): Promise<void> {
    const live = this.attached.get(vm.name);
    this.attached.delete(vm.name);
    await live?.session.close();
  }

  /**
   * Lets go of a VM another worker now leases: ends this worker's session on it (the session holds
   * the VM's KDNET port) and forgets its debug baseline, which the other worker makes anew.
   */
  async forgetVm(name: string): Promise<void> {
    const live = this.attached.get(name);
    this.attached.delete(name);
    this.prepared.delete(name);
    await live?.session.close().catch(() => {});
    // A removal of its debug baseline already under way finishes before the other worker starts.
    await this.removing.get(name);
  }

  /** Ends every session and removes the checkpoints made for them (after the run). */
  async detachAll(): Promise<void> {
    for (const [name, live] of [...this.attached]) {
      this.attached.delete(name);
      await live.session.close().catch(() => {});
    }
    for (const name of [...this.prepared.keys()]) {
      // Another worker may have leased the VM meanwhile (forgetVm): its baseline is that worker's now.
      if (!this.prepared.delete(name)) continue;
      const removal = this.lab
        .vm(name)
        .removeCheckpoint(DEBUG_BASELINE)
        .catch(() => {});
      this.removing.set(name, removal);
      await removal;
      this.removing.delete(name);
    }
  }
}
