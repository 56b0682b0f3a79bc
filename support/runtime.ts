/**
 * The lab of this Cucumber worker: opened once per worker (BeforeAll), shared by its scenarios,
 * closed at the end (AfterAll). Each worker leases its own VM, so workers never share a VM.
 */

import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError, HarnessLogicError } from '../lab/errors.js';
import type { HypervLab } from '../lab/hyperv/lab.js';
import { paths } from '../lab/paths.js';

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
  const { loadLabFile } = await import('../lab/config/lab-file.js');
  const { HypervLab } = await import('../lab/hyperv/lab.js');
  current = new HypervLab(await loadLabFile(labPath), { workerIndex: workerIndex() });
  return current;
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
    await lab.close();
  }
}
