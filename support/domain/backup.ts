/**
 * Backups and the VSS writers (seed: "Missing System Writer Case Explained"): the writers
 * `vssadmin list writers` lists, and the .NET folder whose bloat makes the System Writer fail in
 * OnIdentify. Only the Temporary ASP.NET Files are safe to delete, so that is where the scenario
 * puts its files and what it cleans up.
 */
import {
  LabCompromisedError,
  systemWriterLimit,
  TEMPORARY_ASPNET_FILES,
  type VssWritersResult,
} from '../../lab/index.js';
import type { Expect, Narrative, TestVm } from '../capabilities.js';
import type { GuestTools } from './guest.js';

/** What backups use: the VM (its files), the guest tools (vssadmin), the narrative and expectations. */
export interface BackupNeeds extends Pick<TestVm, 'vm'> {
  readonly guest: Pick<GuestTools, 'read'>;
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export class Backup {
  /** What the scenario put in the Temporary ASP.NET Files, or null. */
  private bloat: { count: number; kind: 'files' | 'folders' } | null = null;

  constructor(private readonly my: BackupNeeds) {}

  /** Fills a folder under the Temporary ASP.NET Files with `count` files, or `count` folders. */
  async bloatTemporaryAspNetFiles(count: number, kind: 'files' | 'folders' = 'files'): Promise<void> {
    const directory = `${TEMPORARY_ASPNET_FILES}\\root\\driverlab`;
    const guest = this.my.vm.guest;
    const created =
      kind === 'files'
        ? await guest.createFiles(directory, count)
        : await guest.createFolders(directory, count);
    if (created < count) {
      throw new LabCompromisedError(
        `Only ${created} of ${count} ${kind} could be created under '${TEMPORARY_ASPNET_FILES}' in ${this.my.vm.describe()}; check the guest's free disk space.`,
      );
    }
    this.bloat = { count, kind };
    this.my.narrative.did(`${count} ${kind} were created under the Temporary ASP.NET Files`);
  }

  /** Deletes the Temporary ASP.NET Files folder, the only .NET bloat that is safe to delete. */
  async cleanTemporaryAspNetFiles(): Promise<void> {
    await this.my.vm.guest.remove(TEMPORARY_ASPNET_FILES);
    this.bloat = null;
    this.my.narrative.did('the Temporary ASP.NET Files were deleted');
  }

  /** The limit the scenario's bloat is about: files or folders, by what it created. */
  private limitClause(): string {
    return systemWriterLimit(this.bloat?.kind ?? null);
  }

  /** The VSS writers as `vssadmin list writers` lists them (raw and parsed kept as evidence). */
  async writers(): Promise<VssWritersResult> {
    return (await this.my.guest.read(['vssadmin', 'list', 'writers'], 'vssadmin-writers')).value;
  }

  /** The writer is (or is not) in the list; `stable` also wants it in state [1] Stable. */
  async expectWriter(name: string, listed: boolean, stable = false): Promise<void> {
    const writers = await this.writers();
    const writer = writers.writers.find((w) => w.name.toLowerCase() === name.toLowerCase());
    const because = this.my.narrative.lastAction ?? 'the guest is at its baseline';
    const names = writers.writers.map((w) => w.name).join(', ');
    this.my.expect.that((writer !== undefined) === listed, {
      expected: `the VSS writers of ${this.my.vm.describe()} ${listed ? 'to include' : 'not to include'} the ${name}`,
      because: listed
        ? because
        : `${because}, and the System Writer gives up in OnIdentify on a folder under Microsoft.NET with ${this.limitClause()}`,
      actual: listed
        ? `the writers are ${names}`
        : `it is listed${writer?.state ? ` as [${writer.state.code}] ${writer.state.text}` : ''}`,
    });
    if (writer && stable) {
      this.my.expect.that(writer.state?.code === 1, {
        expected: `the ${name} to be stable`,
        because,
        actual: `it is ${writer.state ? `[${writer.state.code}] ${writer.state.text}` : 'listed without a state'}${writer.lastError ? `, last error: ${writer.lastError}` : ''}`,
      });
    }
  }
}
