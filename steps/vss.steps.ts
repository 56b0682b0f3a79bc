/**
 * Steps about backups: the VSS writers and the .NET folder that can break the System Writer.
 */
import { domain } from '../support/catalog.js';
import type { LabWorld } from '../support/world.js';

const { When, Then } = domain(
  'vss',
  'Backups: the VSS writers and the Temporary ASP.NET Files that can break them',
);

When(
  '{count} files are created in the Temporary ASP.NET Files',
  {
    description: "Fills a folder under .NET Framework 4's Temporary ASP.NET Files with that many files",
    example: 'When 10001 files are created in the Temporary ASP.NET Files',
  },
  async function (this: LabWorld, count: number) {
    await this.backup.bloatTemporaryAspNetFiles(count, 'files');
  },
);

When(
  '{count} folders are created in the Temporary ASP.NET Files',
  {
    description:
      "Fills a folder under .NET Framework 4's Temporary ASP.NET Files with that many empty folders",
    example: 'When 1001 folders are created in the Temporary ASP.NET Files',
  },
  async function (this: LabWorld, count: number) {
    await this.backup.bloatTemporaryAspNetFiles(count, 'folders');
  },
);

When(
  'the Temporary ASP.NET Files are deleted',
  {
    description: 'Deletes the Temporary ASP.NET Files folder, the only .NET bloat that is safe to delete',
    example: 'When the Temporary ASP.NET Files are deleted',
  },
  async function (this: LabWorld) {
    await this.backup.cleanTemporaryAspNetFiles();
  },
);

Then(
  'the backup writers do not include {string}',
  {
    description: 'vssadmin list writers does not list the writer',
    example: 'Then the backup writers do not include "System Writer"',
  },
  async function (this: LabWorld, writer: string) {
    await this.backup.expectWriter(writer, false);
  },
);

Then(
  'the backup writers include {string}',
  {
    description: 'vssadmin list writers lists the writer',
    example: 'Then the backup writers include "System Writer"',
  },
  async function (this: LabWorld, writer: string) {
    await this.backup.expectWriter(writer, true);
  },
);

Then(
  'the backup writers include {string} in a stable state',
  {
    description: 'vssadmin list writers lists the writer as [1] Stable',
    example: 'Then the backup writers include "System Writer" in a stable state',
  },
  async function (this: LabWorld, writer: string) {
    await this.backup.expectWriter(writer, true, true);
  },
);
