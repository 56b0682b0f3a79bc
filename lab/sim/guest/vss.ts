/**
 * `vssadmin list writers` on the simulated guest (domain brief §7; seed: "Missing System Writer
 * Case Explained"). The System Writer fails in OnIdentify — it is missing from the list and VSS
 * logs the seed's two 8193 events — while any folder under C:\Windows\Microsoft.NET holds more
 * than 10,000 files or more than 1,000 folders; it is back once the bloat is gone.
 */

import { SYSTEM_WRITER_ID } from './events.js';
import type { GuestFileSystem } from './fs.js';
import { stableGuid } from './ids.js';
import { fail, ok, type ToolResult, text } from './tool.js';

/** The writers of a Windows 10 client, with their well-known class ids. */
export const WRITERS: { name: string; id: string }[] = [
  { name: 'Task Scheduler Writer', id: 'd61d61c8-d73a-4eee-8cdd-f6f9786b7124' },
  { name: 'VSS Metadata Store Writer', id: '75dfb225-e2e4-4d39-9ac9-ffaff65ddf06' },
  { name: 'Performance Counters Writer', id: '0bada1de-01a9-4625-8278-69e735f39dd2' },
  { name: 'System Writer', id: SYSTEM_WRITER_ID },
  { name: 'ASR Writer', id: 'be000cbe-11fe-4426-9c58-531aa6355fc4' },
  { name: 'Shadow Copy Optimization Writer', id: '4dc3bdd4-ab48-4d07-adb0-3bee2926fd7f' },
  { name: 'COM+ REGDB Writer', id: '542da469-d3e1-473c-9f4f-7847f01fc64f' },
  { name: 'WMI Writer', id: 'a6ad56c2-b509-4e6c-bb19-49d8f43532f0' },
  { name: 'Registry Writer', id: 'afbab4a2-367d-4d15-a586-71dbb18f8485' },
];

export const FILE_LIMIT = 10_000;
export const FOLDER_LIMIT = 1_000;

/** The first folder under C:\Windows\Microsoft.NET that breaks the System Writer, or null. */
export function bloatedFolder(fs: GuestFileSystem): { path: string; files: number; folders: number } | null {
  for (const { path, dir } of fs.walk('C:\\Windows\\Microsoft.NET')) {
    const files = fs.fileCount(dir);
    const folders = fs.folderCount(dir);
    if (files > FILE_LIMIT || folders > FOLDER_LIMIT) return { path, files, folders };
  }
  return null;
}

/** A writer's instance id: new at every boot, as VSS makes them when the writers start. */
export function writerInstanceId(vmName: string, bootCount: number, writerId: string): string {
  return stableGuid(`${vmName}/boot/${bootCount}/vss/${writerId}`);
}

export interface VssContext {
  fs: GuestFileSystem;
  vmName: string;
  bootCount: number;
  /** Called when the System Writer fails to identify (the caller logs the 8193 events). */
  systemWriterFailed(instanceId: string): void;
}

const HEADER = [
  'vssadmin 1.1 - Volume Shadow Copy Service administrative command-line tool',
  '(C) Copyright 2001-2013 Microsoft Corp.',
];

/** Runs `vssadmin <args>`. */
export function vssadmin(args: readonly string[], ctx: VssContext): ToolResult {
  const [verb, noun] = args.map((a) => a.toLowerCase());
  if (verb === 'list' && noun === 'writers') {
    const broken = bloatedFolder(ctx.fs) !== null;
    const lines = [...HEADER, ''];
    for (const writer of WRITERS) {
      const instance = writerInstanceId(ctx.vmName, ctx.bootCount, writer.id);
      if (writer.id === SYSTEM_WRITER_ID && broken) {
        ctx.systemWriterFailed(instance);
        continue;
      }
      lines.push(
        `Writer name: '${writer.name}'`,
        `   Writer Id: {${writer.id}}`,
        `   Writer Instance Id: {${instance}}`,
        '   State: [1] Stable',
        '   Last error: No error',
        '',
      );
    }
    return ok(text(...lines));
  }
  if (verb === 'list' && noun === 'shadows') {
    return ok(text(...HEADER, '', 'No items found that satisfy the query.'));
  }
  return fail(text(...HEADER, '', 'Error: Invalid command.', ''), 1);
}
