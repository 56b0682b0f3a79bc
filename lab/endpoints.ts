/**
 * KDNET endpoints a run's debuggers listen on, and how two runs on one machine keep out of each
 * other's way. A lab file fixes a VM's port (a real Hyper-V guest's `bcdedit /dbgsettings` names
 * it), or, on the embedded lab, says `port: auto`: then a free port is chosen when the lab is
 * composed (lab/compose.ts) and held through a lock file for as long as the process lives, so no
 * other driverlab process on the machine chooses it; `driverlab run` chooses them once for its
 * workers (DRIVERLAB_KDNET_PORTS). The debugger listens on the chosen port, and the harness points
 * the simulated guest's KDNET at it with bcdedit, as on a real lab.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import * as z from 'zod';
import type { LabFile, VmConfig } from './config/lab-file.js';
import { ConfigurationError, HarnessLogicError } from './errors.js';
import { type HeldLock, machineLockDir, tryLock } from './util/lock.js';

/** The ports kd accepts for KDNET (and so the ones an `auto` port is chosen from). */
export const KDNET_PORT_RANGE = { min: 49152, max: 65535 } as const;

/** Where the lock file of a KDNET endpoint lives: one per machine, whichever clone runs. */
export function kdnetLockFile(
  endpoint: { hostIp: string; port: number },
  dir: string = machineLockDir(),
): string {
  return join(dir, `driverlab-kdnet-${endpoint.hostIp}-${endpoint.port}.lock`);
}

/** The ports a run chose for its VMs, by VM name, as `driverlab run` hands them to its workers. */
export const ChosenPorts = z.record(
  z.string(),
  z.number().int().min(KDNET_PORT_RANGE.min).max(KDNET_PORT_RANGE.max),
);
export type ChosenPorts = z.infer<typeof ChosenPorts>;

/** Reads DRIVERLAB_KDNET_PORTS (JSON, VM name → port); a malformed value is a harness fault. */
export function chosenPortsFrom(env: NodeJS.ProcessEnv): ChosenPorts {
  const text = env.DRIVERLAB_KDNET_PORTS;
  if (!text) return {};
  try {
    return ChosenPorts.parse(JSON.parse(text));
  } catch (error) {
    throw new HarnessLogicError(
      `DRIVERLAB_KDNET_PORTS is not a JSON object of VM names and KDNET ports (${text.slice(0, 80)}); it is set by 'driverlab run' for its workers, so run through 'driverlab run' or unset it.`,
      { cause: error },
    );
  }
}

/** The VMs of a lab file whose KDNET port is `auto`. */
export function autoPortVms(file: LabFile): VmConfig[] {
  return file.data.vms.filter((v) => v.debug?.transport === 'net' && v.debug.port === 'auto');
}

/**
 * A VM's KDNET port, once chosen: a lab file's `auto` that reaches a debugger was never chosen,
 * which only a caller that skipped the composition root can cause.
 */
export function kdnetPort(vm: VmConfig): number {
  const debug = vm.debug;
  if (debug?.transport !== 'net') {
    throw new HarnessLogicError(`VM '${vm.name}' is not debugged over KDNET, so it has no KDNET port.`);
  }
  if (debug.port === 'auto') {
    throw new HarnessLogicError(
      `The KDNET port of VM '${vm.name}' is 'auto' and was never chosen; a lab is opened through composeLab (lab/compose.ts), which chooses it.`,
    );
  }
  return debug.port;
}

/** Binds the UDP port on the address for a moment: null when that worked, else the error it gave. */
export function bindUdpOnce(address: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((done) => {
    const socket = createSocket('udp4');
    socket.once('error', (error) => {
      socket.close();
      done(error);
    });
    socket.bind({ address, port, exclusive: true }, () => socket.close(() => done(null)));
  });
}

/** Whether nothing on this machine holds the UDP port on the address (kd.exe listens on every address: both are tried). */
export async function isUdpPortFree(hostIp: string, port: number): Promise<boolean> {
  let error = await bindUdpOnce(hostIp, port);
  if (error?.code === 'EADDRNOTAVAIL') error = await bindUdpOnce('0.0.0.0', port);
  return error === null;
}

function releaseAll(locks: HeldLock[]): void {
  for (const lock of locks.splice(0)) lock.release();
}

/** A KDNET port chosen for this process and held by its lock until released (or the process ends). */
export interface ClaimedPort {
  port: number;
  lock: HeldLock;
}

const ATTEMPTS = 200;

function noPortLeft(hostIp: string): ConfigurationError {
  return new ConfigurationError(
    `No free KDNET port was found for ${hostIp} in ${ATTEMPTS} tries of ${KDNET_PORT_RANGE.min}–${KDNET_PORT_RANGE.max} (each was held by another driverlab process or bound by another program); end the driverlab runs left over on this machine, or give the VMs fixed ports in the lab file.`,
  );
}

/**
 * Claims a port no other driverlab process on the machine holds (its lock file), at once: for the
 * composition root, which cannot wait on a socket. `driverlab run` uses claimFreeKdnetPort.
 */
export function claimKdnetPort(hostIp: string, dir: string = machineLockDir()): ClaimedPort {
  for (let i = 0; i < ATTEMPTS; i += 1) {
    const port = randomInt(KDNET_PORT_RANGE.min, KDNET_PORT_RANGE.max + 1);
    const attempt = tryLock(kdnetLockFile({ hostIp, port }, dir));
    if (attempt.held) return { port, lock: attempt.lock };
  }
  throw noPortLeft(hostIp);
}

/** Claims a port no driverlab process holds and no program has bound: chosen free at the start of a run. */
export async function claimFreeKdnetPort(
  hostIp: string,
  dir: string = machineLockDir(),
): Promise<ClaimedPort> {
  for (let i = 0; i < ATTEMPTS; i += 1) {
    const claim = claimKdnetPort(hostIp, dir);
    if (await isUdpPortFree(hostIp, claim.port)) return claim;
    claim.lock.release();
  }
  throw noPortLeft(hostIp);
}

/** The lab file with every `auto` KDNET port replaced by the chosen one (a VM left out is an error). */
export function withChosenPorts(file: LabFile, ports: ChosenPorts): LabFile {
  const vms = file.data.vms.map((vm) => {
    if (vm.debug?.transport !== 'net' || vm.debug.port !== 'auto') return vm;
    const port = ports[vm.name];
    if (port === undefined) {
      throw new HarnessLogicError(
        `No KDNET port was chosen for VM '${vm.name}', whose lab file says 'auto'.`,
      );
    }
    return { ...vm, debug: { ...vm.debug, port } };
  });
  return { ...file, data: { ...file.data, vms } };
}

/**
 * Chooses a port for every `auto` VM that `given` does not name (those a run chose for its
 * workers), held until `release`.
 */
export function chooseAutoPorts(
  file: LabFile,
  given: ChosenPorts,
  dir: string = machineLockDir(),
): { ports: ChosenPorts; release: () => void } {
  const ports: ChosenPorts = {};
  const locks: HeldLock[] = [];
  for (const vm of autoPortVms(file)) {
    const known = given[vm.name];
    if (known !== undefined) {
      ports[vm.name] = known;
      continue;
    }
    const hostIp = vm.debug?.transport === 'net' ? vm.debug.hostIp : '127.0.0.1';
    const claimed = claimKdnetPort(hostIp, dir);
    ports[vm.name] = claimed.port;
    locks.push(claimed.lock);
  }
  return { ports, release: () => releaseAll(locks) };
}

/** `driverlab run`'s choice: a free port for every `auto` VM, bound-checked, held for the run. */
export async function chooseFreeAutoPorts(
  file: LabFile,
  dir: string = machineLockDir(),
): Promise<{ ports: ChosenPorts; release: () => void }> {
  const ports: ChosenPorts = {};
  const locks: HeldLock[] = [];
  try {
    for (const vm of autoPortVms(file)) {
      const hostIp = vm.debug?.transport === 'net' ? vm.debug.hostIp : '127.0.0.1';
      const claimed = await claimFreeKdnetPort(hostIp, dir);
      ports[vm.name] = claimed.port;
      locks.push(claimed.lock);
    }
  } catch (error) {
    releaseAll(locks);
    throw error;
  }
  return { ports, release: () => releaseAll(locks) };
}
