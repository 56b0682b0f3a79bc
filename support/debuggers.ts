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
 */
import { randomBytes } from 'node:crypto';
import { type KdSession, rearmAfterRestore, type Vm } from '../lab/index.js';
import { crashPolicy, theLab } from './runtime.js';
import type { LabWorld } from './world.js';

/** The checkpoint of a VM's baseline with kernel debugging on, made once per run. */
export const DEBUG_BASELINE = 'driverlab-debug-baseline';

export interface AttachedDebugger {
  vm: Vm;
  session: KdSession;
  hostIp: string;
  port: number;
  key: string;
  /** How much of the session's transcript earlier scenarios attached. */
  mark: number;
}

const attached = new Map<string, AttachedDebugger>();
const prepared = new Map<string, { hostIp: string; port: number; key: string }>();

/** A KDNET key in bcdedit's form (four base-36 parts of 64 bits). */
function newKey(): string {
  const bytes = randomBytes(32);
  return [0, 8, 16, 24].map((at) => bytes.readBigUInt64BE(at).toString(36)).join('.');
}

/** Whether the session's debugger process has exited. */
export function hasExited(session: KdSession): boolean {
  return session.events().some((e) => e.kind === 'exited');
}

/** The VM's live debugger, when it has one. */
export function attachedDebugger(vm: Vm): AttachedDebugger | null {
  return attached.get(vm.name) ?? null;
}

async function startSession(
  vm: Vm,
  transport: { hostIp: string; port: number; key: string },
): Promise<KdSession> {
  const lab = theLab();
  const { debuggerOptions } = await import('../lab/index.js');
  const { KdSession } = await import('../lab/index.js');
  const options = debuggerOptions(lab, vm, { verifierPolicy: () => 'b', key: transport.key });
  return KdSession.start(options);
}

/**
 * The checkpoint this scenario restores: the baseline with debugging on (made on the VM's first
 * scenario), or the lab's own baseline when the VM is not debugged over KDNET.
 */
export async function debugBaseline(world: LabWorld, vm: Vm): Promise<string> {
  const debug = vm.config.debug;
  if (debug?.transport !== 'net') return vm.config.baseline;
  if (prepared.has(vm.name)) return DEBUG_BASELINE;
  const lab = theLab();
  await world.useBaselineVm(vm);
  let key: string;
  if (debug.key) {
    const { resolveSecret } = await import('../lab/index.js');
    key = resolveSecret(debug.key, `the KDNET key of VM '${vm.name}'`, lab.secrets);
  } else {
    key = newKey();
    lab.redactor.add(key, `the KDNET key of VM '${vm.name}'`);
  }
  const transport = { hostIp: debug.hostIp, port: debug.port, key };
  await world.debugging.pointAt(transport);
  const session = await startSession(vm, transport);
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
  attached.set(vm.name, { vm, session, mark: 0, ...transport });
  prepared.set(vm.name, transport);
  return DEBUG_BASELINE;
}

/**
 * Restores the VM for a scenario: to its baseline with debugging on and the session reconnected
 * when crashes are examined live, to the lab's baseline otherwise.
 */
export async function restoreForScenario(world: LabWorld, vm: Vm): Promise<void> {
  const checkpoint = crashPolicy() === 'attach' ? await debugBaseline(world, vm) : vm.config.baseline;
  const eventsBefore = attachedDebugger(vm)?.session.events().length ?? 0;
  await world.useBaselineVm(vm, checkpoint);
  if (checkpoint !== vm.config.baseline) await reconnect(vm, eventsBefore);
}

/** After the VM was restored: the session (opened again if a scenario closed it) reconnects to it. */
export async function reconnect(vm: Vm, eventsBefore: number): Promise<void> {
  const transport = prepared.get(vm.name);
  if (!transport) return;
  let live = attached.get(vm.name);
  // A debugger process that died (killed, crashed) is replaced here, before the scenario uses it:
  // only the scenario it died under is broken, the next ones get a new session.
  if (live && hasExited(live.session)) {
    attached.delete(vm.name);
    await live.session.close().catch(() => {});
    live = undefined;
  }
  if (!live) {
    live = { vm, session: await startSession(vm, transport), mark: 0, ...transport };
    attached.set(vm.name, live);
    eventsBefore = 0;
  }
  const lab = theLab();
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
}

/**
 * What the VM's debugger printed since its transcript was last attached (redacted): the scenario's
 * own part, after the reconnection banners of the scenarios before it that left nothing to show
 * (their passing scenarios do not read it, since the session rebuilds its whole transcript on each
 * read). Null when there is nothing.
 */
export function scenarioTranscript(vm: Vm): string | null {
  const live = attached.get(vm.name);
  if (!live) return null;
  const whole = live.session.transcript();
  const text = whole.slice(live.mark);
  live.mark = whole.length;
  return text.trim() === '' ? null : text;
}

/** Ends the VM's session (a scenario that takes its KDNET port for itself). */
export async function detachDebugger(vm: Vm): Promise<void> {
  const live = attached.get(vm.name);
  attached.delete(vm.name);
  await live?.session.close();
}

/**
 * Lets go of a VM another worker now leases: ends this worker's session on it (the session holds
 * the VM's KDNET port) and forgets its debug baseline, which the other worker makes anew.
 */
export async function forgetVm(name: string): Promise<void> {
  const live = attached.get(name);
  attached.delete(name);
  prepared.delete(name);
  await live?.session.close().catch(() => {});
  // A removal of its debug baseline already under way finishes before the other worker starts.
  await removing.get(name);
}

/** Debug baselines being removed at the end of the run, by VM. */
const removing = new Map<string, Promise<void>>();

/** Ends every session and removes the checkpoints made for them (after the run). */
export async function detachAll(): Promise<void> {
  for (const [name, live] of [...attached]) {
    attached.delete(name);
    await live.session.close().catch(() => {});
  }
  for (const name of [...prepared.keys()]) {
    // Another worker may have leased the VM meanwhile (forgetVm): its baseline is that worker's now.
    if (!prepared.delete(name)) continue;
    const removal = theLab()
      .vm(name)
      .removeCheckpoint(DEBUG_BASELINE)
      .catch(() => {});
    removing.set(name, removal);
    await removal;
    removing.delete(name);
  }
}
