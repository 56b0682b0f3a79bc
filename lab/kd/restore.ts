/**
 * KDNET after a checkpoint restore (issue 15 §5). Whether a guest's KDNET re-arms after
 * `Restore-VMCheckpoint` of a *running* checkpoint is unproven: reports say a full reboot may be
 * needed (the target then logs "Bad packet sent from <host>"). A lab file says which its guests need
 * (`debugger.afterRestore`): `reconnect` — the debugger waits for the restored guest to connect again
 * — or `reboot` — the guest is restarted after the restore, and the debugger waits for that boot.
 * `probeAfterRestore` tries both on a VM and recommends one (`driverlab doctor --lab`).
 */
import { randomBytes } from 'node:crypto';
import { formatLabDuration, type LabClock, wallSleep } from '../clock.js';
import { resolveSecret } from '../config/secrets.js';
import { kdnetPort } from '../endpoints.js';
import type { Lab, Vm } from '../ports.js';
import { debuggerOptions } from './open.js';
import { KdSession } from './session.js';

/** How often a wait for the debugger's connection looks again, in wall milliseconds. */
const LOOK_WALL_MS = 2;

import { ConfigurationError, LabCompromisedError, sentenceStart } from '../errors.js';
import type { KdEvent } from './port.js';

export type AfterRestore = 'reconnect' | 'reboot';

/** What of a debugger session this needs: its events and its name. */
export interface WatchedDebugger {
  events(): readonly KdEvent[];
  describe(): string;
}

export interface RearmOptions {
  mode: AfterRestore;
  /** "VM 'win11-a' on host 'lab-01'", for messages. */
  subject: string;
  /** The checkpoint that was restored, for messages. */
  checkpoint: string;
  /** The number of the session's events before the restore: only a later connection counts. */
  eventsBefore: number;
  /** Lab ms to wait for the connection. */
  timeoutMs: number;
  /** Restarts the guest (used in `reboot` mode). */
  restart(): Promise<unknown>;
  clock: LabClock;
}

/** Whether the session connected to the target after event `from`. */
function connectedSince(session: WatchedDebugger, from: number): boolean {
  return session
    .events()
    .slice(from)
    .some((e) => e.kind === 'established');
}

/** The debugger process's end, when it ended after event `from`. */
function exitedSince(session: WatchedDebugger, from: number): Extract<KdEvent, { kind: 'exited' }> | null {
  for (const e of session.events().slice(from)) if (e.kind === 'exited') return e;
  return null;
}

/**
 * Waits (polling the session's events) until it connects after `from`, until `timeoutMs` passed,
 * or until its debugger process ends: a debugger that is gone never connects.
 */
async function connects(
  session: WatchedDebugger,
  from: number,
  timeoutMs: number,
  clock: LabClock,
  kind: 'wait' | 'watch' = 'wait',
): Promise<boolean> {
  // A wait on the debugger process, not on lab time: bounded in wall time by the clock (exactly the
  // lab time on a real lab; the embedded lab's wall budget on its virtual time). A watch for a
  // connection that may well not come (the probe's restore) gets the clock's watch window instead.
  const budget = kind === 'watch' ? clock.wallWatch(timeoutMs) : clock.wallTimeout(timeoutMs);
  const started = performance.now();
  while (!connectedSince(session, from)) {
    if (performance.now() - started >= budget || exitedSince(session, from)) return false;
    await wallSleep(LOOK_WALL_MS);
  }
  return true;
}

/** After a restore: the debugger connects to the restored VM again, rebooting it first when the lab file says so. */
export async function rearmAfterRestore(session: WatchedDebugger, options: RearmOptions): Promise<void> {
  const from = options.mode === 'reboot' ? session.events().length : options.eventsBefore;
  if (options.mode === 'reboot') await options.restart();
  if (await connects(session, from, options.timeoutMs, options.clock)) return;
  const who = session.describe();
  const exited = exitedSince(session, from);
  if (exited) {
    const how = exited.signal ? `signal ${exited.signal}` : `exit code ${exited.code ?? 'unknown'}`;
    throw new LabCompromisedError(
      `${sentenceStart(who)} ended (${how}) while it waited for ${options.subject} to connect again after its restore to '${options.checkpoint}'; driverlab starts a new debugger session for the VM; if this recurs, check what ended kd (its log, the memory of the machine it runs on).`,
    );
  }
  const other =
    options.mode === 'reconnect'
      ? "if the guest's KDNET does not re-arm after a restore, set debugger.afterRestore: reboot in the lab file"
      : 'check that the guest boots with debugging on';
  throw new LabCompromisedError(
    `${sentenceStart(who)} did not connect again after ${options.subject} was restored to '${options.checkpoint}'${options.mode === 'reboot' ? ' and restarted' : ''} (within ${formatLabDuration(options.timeoutMs)}); check the kd transcript, and ${other}.`,
  );
}

export interface ProbeOptions {
  subject: string;
  checkpoint: string;
  /** Restores the running checkpoint. */
  restore(): Promise<unknown>;
  restart(): Promise<unknown>;
  timeoutMs: number;
  clock: LabClock;
}

/** Tries a restore with a debugger attached: does KDNET re-arm by itself, or only after a reboot? */
export async function probeAfterRestore(
  session: WatchedDebugger,
  options: ProbeOptions,
): Promise<{ recommend: AfterRestore | null; sentence: string }> {
  const before = session.events().length;
  await options.restore();
  if (await connects(session, before, options.timeoutMs, options.clock, 'watch')) {
    return {
      recommend: 'reconnect',
      sentence: `After ${options.subject} was restored to '${options.checkpoint}', its KDNET connected again by itself within ${formatLabDuration(options.timeoutMs)}: debugger.afterRestore: reconnect (the default) fits this lab.`,
    };
  }
  const rebooted = session.events().length;
  await options.restart();
  if (await connects(session, rebooted, options.timeoutMs, options.clock)) {
    return {
      recommend: 'reboot',
      sentence: `After ${options.subject} was restored to '${options.checkpoint}', its KDNET stayed silent for ${formatLabDuration(options.timeoutMs)} and connected only after a restart: set debugger.afterRestore: reboot in the lab file.`,
    };
  }
  return {
    recommend: null,
    sentence: `After ${options.subject} was restored to '${options.checkpoint}', its KDNET connected neither by itself nor after a restart (${formatLabDuration(options.timeoutMs)} each); check the guest's bcdedit /dbgsettings and /debug on in that checkpoint, and the host firewall.`,
  };
}

/** The checkpoint `probeVmAfterRestore` takes of the VM running with its debugger connected. */
export const PROBE_CHECKPOINT = 'driverlab-restore-probe';

/** A KDNET key in bcdedit's form (four base-36 parts of 64 bits). */
function probeKey(): string {
  const bytes = randomBytes(32);
  return [0, 8, 16, 24].map((at) => bytes.readBigUInt64BE(at).toString(36)).join('.');
}

export interface VmProbeResult {
  /** What the lab should use, or null when KDNET came back neither way. */
  recommend: AfterRestore | null;
  /** What the lab file says now. */
  configured: AfterRestore;
  sentence: string;
}

/**
 * `driverlab doctor --lab`: on one KDNET VM, does what a run does before its first scenario — the
 * lab's baseline restored, KDNET pointed at the lab's debugger (bcdedit /dbgsettings, /debug on), a
 * reboot with kd connected, a running checkpoint of that — then restores the checkpoint and watches
 * whether kd connects again by itself or only after a restart (`probeAfterRestore`). The VM is left
 * at its baseline and the probe's checkpoint removed, whatever happened.
 */
export async function probeVmAfterRestore(
  lab: Pick<Lab, 'file' | 'clock' | 'redactor' | 'timeouts' | 'debuggerExecutable'>,
  vm: Vm,
  env: NodeJS.ProcessEnv,
): Promise<VmProbeResult> {
  const debug = vm.config.debug;
  const configured = lab.file.data.debugger.afterRestore;
  if (debug?.transport !== 'net') {
    throw new ConfigurationError(
      `${vm.describe()} is not debugged over KDNET in the lab file '${lab.file.path}', so there is no KDNET to re-arm after a restore; the restore probe is for VMs with debug: { transport: net, … }.`,
    );
  }
  const subject = vm.describe();
  const key = debug.key
    ? resolveSecret(debug.key, `the KDNET key of VM '${vm.name}'`, {
        baseDir: lab.file.dir,
        env,
        redactor: lab.redactor,
      })
    : probeKey();
  lab.redactor.add(key, `the KDNET key of VM '${vm.name}'`);
  const baseline = vm.config.baseline;
  const restored = await vm.restore(baseline);
  if (restored.state !== 'Running') await vm.start();
  await vm.waitUntilReady();
  for (const argv of [
    [
      'bcdedit',
      '/dbgsettings',
      'net',
      `hostip:${debug.hostIp}`,
      `port:${kdnetPort(vm.config)}`,
      `key:${key}`,
    ],
    ['bcdedit', '/debug', 'on'],
  ]) {
    const result = await vm.guest.run(argv);
    if (result.exitCode !== 0) {
      throw new LabCompromisedError(
        `${argv.slice(0, 2).join(' ')} failed in ${subject} (exit code ${result.exitCode}: ${lab.redactor.redact(result.stdout.trim() || result.stderr.trim())}), so the restore probe could not point its KDNET at the debugger; check that Secure Boot or BitLocker does not lock the guest's boot configuration.`,
      );
    }
  }
  const session = KdSession.start(debuggerOptions(lab, vm, { key, env }));
  try {
    await vm.guest.reboot();
    await session.waitUntilConnected();
    if ((await vm.checkpoints()).some((c) => c.name === PROBE_CHECKPOINT))
      await vm.removeCheckpoint(PROBE_CHECKPOINT);
    await vm.checkpoint(PROBE_CHECKPOINT);
    const probe = await probeAfterRestore(session, {
      subject,
      checkpoint: PROBE_CHECKPOINT,
      restore: () => vm.restore(PROBE_CHECKPOINT),
      restart: () => vm.restart(),
      timeoutMs: lab.timeouts.kdConnect,
      clock: lab.clock,
    });
    return { recommend: probe.recommend, configured, sentence: probe.sentence };
  } finally {
    await session.close().catch(() => {});
    await vm.removeCheckpoint(PROBE_CHECKPOINT).catch(() => {});
    await vm.restore(baseline).catch(() => {});
  }
}
