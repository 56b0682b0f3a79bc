/**
 * The lab of this Cucumber worker: opened once per worker (BeforeAll), shared by its scenarios,
 * closed at the end (AfterAll). Each worker leases its own VM, so workers never share a VM.
 */

import { isAbsolute, resolve } from 'node:path';
import {
  ConfigurationError,
  HarnessLogicError,
  type HypervLab,
  type Lease,
  PoolClient,
  paths,
  type Requirement,
  type Vm,
} from '../lab/index.js';

let current: HypervLab | undefined;
let examineCrashes: 'attach' | 'dumps' = 'attach';

/** How this run examines crashes (the world parameter `debugger`). */
export function crashPolicy(): 'attach' | 'dumps' {
  return examineCrashes;
}

/** Which worker this process is: CUCUMBER_WORKER_ID in parallel runs, 0 otherwise. */
export function workerIndex(): number {
  const id = Number(process.env.CUCUMBER_WORKER_ID ?? '0');
  return Number.isInteger(id) && id >= 0 ? id : 0;
}

/**
 * The VM this worker leases: its own, moved on by one VM per retry attempt (DRIVERLAB_ATTEMPT), so
 * a broken scenario is retried on another VM when the lab has one; workers still never share one.
 */
export function leaseIndex(vmCount: number): number {
  const worker = workerIndex();
  const attempt = Number(process.env.DRIVERLAB_ATTEMPT ?? '1');
  const shift = Number.isInteger(attempt) && attempt > 1 ? attempt - 1 : 0;
  return worker < vmCount ? (worker + shift) % vmCount : worker;
}

/** The lab file this run uses: DRIVERLAB_LAB when set, else the profile's world parameter. */
export function labFilePath(parameter: string | undefined, required: boolean): string {
  const chosen = process.env.DRIVERLAB_LAB || parameter || '';
  if (chosen === '') {
    if (required) {
      throw new ConfigurationError(
        'The hyperv profile needs a lab file, but none was named; run driverlab run --lab <file>, or set DRIVERLAB_LAB.',
      );
    }
    return paths.embeddedLab;
  }
  return isAbsolute(chosen) ? chosen : resolve(paths.root, chosen);
}

export async function openLab(labPath: string, policy: 'attach' | 'dumps' = 'attach'): Promise<HypervLab> {
  examineCrashes = policy;
  if (current) return current;
  // Loaded here, not at the top: a dry run never opens the lab and never pays for these modules.
  const { loadLabFile } = await import('../lab/index.js');
  const { composeLab } = await import('../lab/index.js');
  current = composeLab(await loadLabFile(labPath), { workerIndex: workerIndex() });
  return current;
}

let pool: Promise<PoolClient> | undefined;

/**
 * The run's VM pool, when the run has one (`driverlab run` starts a lease broker and names it in
 * DRIVERLAB_POOL); null when cucumber-js runs on its own and each worker takes the VM of its index.
 */
async function poolClient(onSurrender: (vm: string) => Promise<void>): Promise<PoolClient | null> {
  const url = process.env.DRIVERLAB_POOL;
  if (!url) return null;
  pool ??= PoolClient.connect(url).then((client) => {
    client.onSurrender(onSurrender);
    return client;
  });
  return pool;
}

/** A VM this scenario holds, and how to give it back. */
export interface HeldVm {
  vm: Vm;
  lease: Lease | null;
}

/**
 * Leases a VM that meets the scenario's requirement from the run's pool (waiting while every such
 * VM is busy), or takes the worker's own VM when the run has no pool. `avoid` names VMs a lab
 * retry should not get again.
 */
export async function leaseVm(
  requirement: Requirement,
  avoid: readonly string[],
  onSurrender: (vm: string) => Promise<void>,
): Promise<HeldVm> {
  const lab = theLab();
  const client = await poolClient(onSurrender);
  if (client === null) {
    const vm =
      requirement.vm === undefined ? lab.lease(leaseIndex(lab.vms().length)) : lab.vm(requirement.vm);
    return { vm, lease: null };
  }
  const lease = await client.lease(requirement, avoid);
  return { vm: lab.vm(lease.vm), lease };
}

/** The VMs a retried scenario ran on before (`driverlab run --retry`), to lease another when there is one. */
export function triedBefore(uri: string, line: number | undefined): string[] {
  const text = process.env.DRIVERLAB_RETRY_AVOID;
  if (!text || line === undefined) return [];
  try {
    const tried = JSON.parse(text) as Record<string, unknown>;
    const vms = tried[`${uri.replace(/\\/g, '/')}:${line}`];
    return Array.isArray(vms) ? vms.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** Gives a leased VM back to the pool. */
export async function releaseVm(held: HeldVm): Promise<void> {
  if (held.lease === null || pool === undefined) return;
  await (await pool).release(held.lease);
}

/** Takes a VM out of the run's pool: it failed its health check, and the next scenario should not get it. */
export async function quarantineVm(vm: Vm, reason: string): Promise<void> {
  if (pool === undefined) return;
  await (await pool).quarantine(vm.name, reason);
}

export function theLab(): HypervLab {
  if (!current) {
    throw new HarnessLogicError(
      'A step asked for the lab before it was opened; the BeforeAll hook that opens it did not run or failed.',
    );
  }
  return current;
}

export async function closeLab(beforeClosing: () => Promise<void> = async () => {}): Promise<void> {
  const lab = current;
  if (!lab) return;
  try {
    await beforeClosing();
  } finally {
    current = undefined;
    const client = pool;
    pool = undefined;
    (await client?.catch(() => null))?.close();
    await lab.close();
  }
}
