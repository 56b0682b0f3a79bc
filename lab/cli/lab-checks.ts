/**
 * Checks of a lab file that `driverlab doctor` and `driverlab run`'s preflight share, done before
 * any VM is touched: every secret reference resolves, and every KDNET endpoint a debugger of this
 * machine will listen on is free — not bound by another program, and not held by another
 * driverlab run (each run holds its endpoints through a lock file for as long as it runs).
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { wallSleep } from '../clock.js';
import type { LabFile, SecretRef } from '../config/lab-file.js';
import { Redactor, resolveSecret } from '../config/secrets.js';
import { bindUdpOnce, kdnetLockFile } from '../endpoints.js';
import { DriverlabError, describeError } from '../errors.js';
import { isAlive, type LockOwner, machineLockDir, lockOwner as ownerOf } from '../util/lock.js';

export interface SecretUse {
  ref: SecretRef;
  what: string;
  /** The dotted path in the lab file. */
  at: string;
}

/** Every secret reference of a lab file: host credentials, guest passwords, KDNET keys, embedded accounts. */
export function secretsOf(lab: LabFile): SecretUse[] {
  const data = lab.data;
  const found: SecretUse[] = [];
  data.hosts.forEach((h, i) => {
    if (h.credential)
      found.push({
        ref: h.credential.password,
        what: `the credential of host '${h.name}'`,
        at: `hosts.${i}.credential.password`,
      });
  });
  data.vms.forEach((v, i) => {
    // A DPAPI credential file lives on the Hyper-V host; only a password reference resolves here.
    if ('password' in v.guestCredential) {
      found.push({
        ref: v.guestCredential.password,
        what: `the guest password of VM '${v.name}'`,
        at: `vms.${i}.guestCredential.password`,
      });
    }
    if (v.debug?.transport === 'net' && v.debug.key) {
      found.push({ ref: v.debug.key, what: `the KDNET key of VM '${v.name}'`, at: `vms.${i}.debug.key` });
    }
  });
  if (data.kind === 'embedded') {
    for (const [name, guest] of Object.entries(data.embedded.guests)) {
      guest.accounts?.forEach((account, j) => {
        found.push({
          ref: account.password,
          what: `the password of account '${account.user}' of the embedded guest '${name}'`,
          at: `embedded.guests.${name}.accounts.${j}.password`,
        });
      });
    }
  }
  return found;
}

export interface SecretCheck {
  use: SecretUse;
  /** The sentence that says why it does not resolve, or null when it does. */
  problem: string | null;
}

/** Resolves every secret reference (nothing is kept: the values go to a throw-away redactor). */
export function checkSecrets(lab: LabFile, env: NodeJS.ProcessEnv): SecretCheck[] {
  const context = { baseDir: lab.dir, env, redactor: new Redactor() };
  return secretsOf(lab).map((use) => {
    try {
      resolveSecret(use.ref, use.what, context);
      return { use, problem: null };
    } catch (error) {
      return { use, problem: error instanceof DriverlabError ? error.message : describeError(error) };
    }
  });
}

export interface Endpoint {
  vm: string;
  hostIp: string;
  port: number;
}

/**
 * The fixed KDNET endpoints the debuggers of this machine listen on (one per VM debugged over the
 * network with a port of its lab file; an `auto` port is chosen free at the start, lab/endpoints.ts).
 */
export function kdnetEndpoints(lab: LabFile): Endpoint[] {
  return lab.data.vms.flatMap((v) =>
    v.debug?.transport === 'net' && v.debug.port !== 'auto'
      ? [{ vm: v.name, hostIp: v.debug.hostIp, port: v.debug.port }]
      : [],
  );
}

/** Binds the endpoint for a moment: null when it is free, else the sentence that says what holds it. */
export async function endpointProblem(endpoint: Endpoint): Promise<string | null> {
  const bind = (address: string) => bindUdpOnce(address, endpoint.port);
  const attempt = async () => {
    const error = await bind(endpoint.hostIp);
    // kd.exe listens on every address: a host IP that is not this machine's is checked on all of them.
    return error?.code === 'EADDRNOTAVAIL' ? bind('0.0.0.0') : error;
  };
  let error = await attempt();
  // Another run's check binds the port for a moment too: only a port still bound a moment later is held.
  for (let i = 0; i < 3 && error?.code === 'EADDRINUSE'; i += 1) {
    await wallSleep(50);
    error = await attempt();
  }
  if (!error) return null;
  if (error.code === 'EADDRINUSE') {
    return `The KDNET endpoint ${endpoint.hostIp}:${endpoint.port} of VM '${endpoint.vm}' is already in use on this machine (UDP port ${endpoint.port} is bound by another program, perhaps a debugger left running), so no debugger could listen on it; end that program, or give the VM another port in the lab file.`;
  }
  return `The KDNET endpoint ${endpoint.hostIp}:${endpoint.port} of VM '${endpoint.vm}' cannot be bound on this machine (${error.code ?? error.message}), so no debugger could listen on it; check the host IP and port in the lab file.`;
}

/** Where the lock file of an endpoint lives: one per machine, whichever clone runs (lab/endpoints.ts). */
export function endpointLockFile(endpoint: Endpoint, dir: string = machineLockDir()): string {
  return kdnetLockFile(endpoint, dir);
}

export interface EndpointLocks {
  /** Sentences for the endpoints another live run holds; empty when every lock was taken. */
  refused: string[];
  release: () => void;
}

/**
 * The sentences for the endpoints another live driverlab run holds, without taking any lock: a dry
 * run starts no debugger, so two dry runs of one lab never refuse each other.
 */
export function heldEndpoints(endpoints: readonly Endpoint[], dir: string = machineLockDir()): string[] {
  return endpoints.flatMap((endpoint) => {
    const owner = ownerOf(endpointLockFile(endpoint, dir));
    return owner && owner.pid !== process.pid && isAlive(owner.pid) ? [heldSentence(endpoint, owner)] : [];
  });
}

function heldSentence(endpoint: Endpoint, owner: LockOwner): string {
  return `The KDNET endpoint ${endpoint.hostIp}:${endpoint.port} of VM '${endpoint.vm}' is held by another driverlab run (process ${owner.pid}, started ${owner.startedAt} in '${owner.cwd}'), so this run would break its debugger; wait until that run ends, or run with a lab file that gives the VMs other ports.`;
}

/**
 * Takes the lock of every endpoint for this process (a lock left by a process that is gone is taken
 * over). When another live run holds one, no lock is kept and `refused` says which and by whom.
 */
export function lockEndpoints(endpoints: readonly Endpoint[], dir: string = machineLockDir()): EndpointLocks {
  const taken: string[] = [];
  const refused: string[] = [];
  const release = () => {
    for (const file of taken.splice(0)) {
      if (ownerOf(file)?.pid === process.pid) rmSync(file, { force: true });
    }
  };
  const me: LockOwner = { pid: process.pid, startedAt: new Date().toISOString(), cwd: process.cwd() };
  for (const endpoint of endpoints) {
    const file = endpointLockFile(endpoint, dir);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, JSON.stringify(me));
        closeSync(fd);
        taken.push(file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = ownerOf(file);
        if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
          refused.push(heldSentence(endpoint, owner));
          break;
        }
        // Left by a process that is gone (or half written): take it over.
        rmSync(file, { force: true });
      }
    }
  }
  if (refused.length > 0) release();
  return { refused, release };
}
