/**
 * What the embedded host's end-to-end tests share: which operations the adapter can send from this
 * tree, and one way to drive a lab VM whether the test goes through the real adapter (HypervLab →
 * the PowerShell session → the host process) or through the host's operation handlers in process.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { VirtualClock } from '../../../../lab/clock.js';
import { composeLab } from '../../../../lab/compose.js';
import { loadLabFile } from '../../../../lab/config/lab-file.js';
import type { OperationName, OperationResult } from '../../../../lab/hyperv/ops/operations.js';
import { paths } from '../../../../lab/paths.js';
import type { GuestEvent } from '../../../../lab/ports.js';
import { handle } from '../../../../lab/sim/host/handlers.js';
import type { KernelState } from '../../../../lab/sim/kernel/index.js';
import { SimHost } from '../../../../lab/sim/model/host.js';

/** The reason an operation cannot be sent from this tree (its script is not here), or false. */
export function missingScripts(...ops: OperationName[]): string | false {
  const absent = ops.filter((op) => !existsSync(join(paths.operationScripts, `${op}.ps1`)));
  return absent.length > 0 ? `the adapter has no script for ${absent.join(', ')} in this tree yet` : false;
}

/** One VM of a lab, as a scenario drives it. */
export interface LabVm {
  /** Runs a program in the guest; rejects when the guest goes away under it. */
  run(command: string[], options?: { timeoutMs?: number }): Promise<{ stdout: string; exitCode: number }>;
  /** Reboots the guest (shutdown /r /t 0) and waits until it is ready again. */
  reboot(): Promise<void>;
  /** Waits for a healthy heartbeat and a PowerShell Direct session. */
  waitUntilReady(): Promise<void>;
  events(logName: string, ids: number[]): Promise<GuestEvent[]>;
  copyIn(hostPath: string, guestPath: string): Promise<void>;
  copyOut(guestPath: string, hostPath: string): Promise<void>;
  /** Creates `count` empty files in a guest folder (New-GuestItems). */
  createFiles(directory: string, count: number): Promise<void>;
  injectNmi(): Promise<void>;
  /** The VM's kernel state, when the test can see inside the host (in process): what a debugger would read. */
  readonly kernel: (() => KernelState | null) | null;
  close(): Promise<void>;
}

const CREDENTIAL = { user: 'Administrator', password: 'Embedded-Lab-Only-1' };
const POLL_MS = 1000;

/**
 * A VM of a fresh embedded host in this process, driven through the host's operation handlers; on
 * a clock the test gives (and a fixed calendar) its output is the same every run.
 */
export async function inProcessVm(
  labFile: string,
  vmName: string,
  options: { clock?: VirtualClock; calendarOrigin?: number } = {},
): Promise<LabVm> {
  const host = await SimHost.open({ lab: await loadLabFile(labFile), statePath: null, ...options });
  const op = <N extends OperationName>(name: N, params: object) =>
    handle(host, name, { vmName, ...params }) as Promise<OperationResult<N>>;
  const guest = <N extends OperationName>(name: N, params: object) =>
    op(name, { credential: CREDENTIAL, ...params });
  const waitUntilReady = async () => {
    const deadline = host.time.now() + 300_000;
    for (;;) {
      const heartbeat = await op('Get-VMHeartbeat', {});
      if (heartbeat.status === 'OkApplicationsHealthy') {
        const probe = await guest('Test-VMPowerShellDirect', {}).catch(() => null);
        if (probe) return probe;
      }
      if (host.time.now() >= deadline) throw new Error(`VM '${vmName}' did not become ready`);
      await host.time.sleep(POLL_MS);
    }
  };
  const vm: LabVm = {
    run: async ([file, ...args], options = {}) =>
      guest('Invoke-GuestCommand', {
        file,
        arguments: args,
        timeoutSeconds: (options.timeoutMs ?? 120_000) / 1000,
      }),
    reboot: async () => {
      const before = await waitUntilReady();
      await vm.run(['shutdown.exe', '/r', '/t', '0']);
      for (;;) {
        await host.time.sleep(POLL_MS);
        const after = await guest('Test-VMPowerShellDirect', {}).catch(() => null);
        if (after && after.bootTime !== before.bootTime) break;
      }
      await waitUntilReady();
    },
    waitUntilReady: async () => {
      await waitUntilReady();
    },
    events: async (logName, ids) => (await guest('Get-GuestEvents', { logName, ids })).events,
    copyIn: async (hostPath, guestPath) => {
      await op('Copy-VMFile', { sourcePath: hostPath, destinationPath: guestPath });
    },
    copyOut: async (guestPath, hostPath) => {
      await guest('Copy-GuestFileToHost', { guestPath, hostPath });
    },
    createFiles: async (directory, count) => {
      await guest('New-GuestItems', { directory, count });
    },
    injectNmi: async () => {
      await op('Debug-VM', {});
    },
    kernel: () => host.vm(vmName)?.kernelState() ?? null,
    close: async () => {},
  };
  return vm;
}

/** A VM of a lab opened through the real adapter: the bundled host process behind the PowerShell session. */
export async function adapterVm(labFile: string, vmName: string): Promise<LabVm> {
  const lab = composeLab(await loadLabFile(labFile));
  const vm = lab.vm(vmName);
  return {
    run: (command, options) => vm.guest.run(command, options),
    reboot: async () => {
      await vm.guest.reboot({ timeoutMs: 300_000 });
    },
    waitUntilReady: async () => {
      await vm.waitUntilReady({ timeoutMs: 300_000 });
    },
    events: (logName, ids) => vm.guest.events({ logName, ids }),
    copyIn: (hostPath, guestPath) => vm.guest.copyIn(hostPath, guestPath),
    copyOut: (guestPath, hostPath) => vm.guest.copyOut(guestPath, hostPath),
    createFiles: async (directory, count) => {
      await vm.guest.createFiles(directory, count);
    },
    injectNmi: () => vm.injectNmi(),
    kernel: null,
    close: () => lab.close(),
  };
}
