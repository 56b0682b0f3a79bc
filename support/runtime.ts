/**
 * What a worker knows about its place in the run, from its environment: which worker it is, which
 * VM it takes when the run has no pool, the lab file it uses, and the VMs a retried scenario ran on
 * before. Stateless; the lifecycle of the lab, the pool and the debuggers is support/fixtures.ts.
 */

import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError, paths } from '../lab/index.js';

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
