/**
 * Helpers the guest and VM tests share: a guest OS built from a real lab file's declaration, run
 * with a GuestHost that records what reaches the kernel, and the lab's driver packages copied in
 * the way Copy-VMFile would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestDeclaration } from '../../config/embedded.js';
import { type LabFile, loadLabFile, resolveLabPath } from '../../config/lab-file.js';
import { paths } from '../../paths.js';
import type { KernelAction } from '../contract.js';
import { baselineGuest, type GuestEnvironment, type GuestHost, GuestOs } from './guest.js';
import type { ToolResult } from './tool.js';

export interface GuestUnderTest {
  guest: GuestOs;
  env: GuestEnvironment;
  lab: LabFile;
  /** What the guest handed to the kernel, in order. */
  actions: KernelAction[];
  shutdowns: { reboot: boolean; delaySeconds: number }[];
  run(file: string, ...args: string[]): Promise<ToolResult>;
  /** Copies a catalog driver's package folder to C:\Drivers\<name>. */
  copyPackage(driver: string): string;
  /** A reboot: the boot applies pending settings and loads boot drivers. */
  reboot(): void;
}

export async function guestUnderTest(
  options: { vm?: string; declaration?: (d: GuestDeclaration) => GuestDeclaration; diskFull?: boolean } = {},
): Promise<GuestUnderTest> {
  const lab = await loadLabFile(paths.embeddedLab);
  if (lab.data.kind !== 'embedded') throw new Error('the embedded lab file is not embedded');
  const vmName = options.vm ?? 'win11-a';
  const declared = lab.data.embedded.guests[vmName];
  if (!declared) throw new Error(`no guest ${vmName}`);
  const env: GuestEnvironment = {
    vmName,
    declaration: options.declaration ? options.declaration(declared) : declared,
    drivers: lab.data.drivers,
    simulated: lab.data.embedded.drivers,
    tools: lab.data.embedded.tools,
    diskFull: options.diskFull ?? false,
  };
  let clock = Date.parse('2024-03-01T10:00:00Z');
  const now = () => {
    clock += 300;
    return new Date(clock).toISOString();
  };
  const guest = new GuestOs(baselineGuest(env, now()), env);
  const actions: KernelAction[] = [];
  const shutdowns: { reboot: boolean; delaySeconds: number }[] = [];
  const host: GuestHost = {
    nowIso: now,
    hasKernel: () => true,
    kernel: async (action) => {
      actions.push(action);
    },
    scheduleShutdown: (reboot, delaySeconds) => {
      shutdowns.push({ reboot, delaySeconds });
      return 'scheduled';
    },
    abortShutdown: () => shutdowns.pop() !== undefined,
  };
  const reboot = () => {
    guest.poweredOff(null);
    guest.boot();
    guest.bootCompleted(now());
  };
  reboot();
  return {
    guest,
    env,
    lab,
    actions,
    shutdowns,
    run: (file, ...args) => guest.run(file, args, host),
    copyPackage: (driver) => {
      const entry = lab.data.drivers.find((d) => d.name === driver);
      if (!entry) throw new Error(`no driver ${driver}`);
      const folder = resolveLabPath(lab, entry.package);
      const target = `C:\\Drivers\\${driver}`;
      for (const file of readdirSync(folder)) {
        guest.fs.writeFile(`${target}\\${file}`, readFileSync(join(folder, file)), now());
      }
      return target;
    },
    reboot,
  };
}

/** `reg add` of NDIS TrackNblOwner = 1, as a scenario turns NBL owner tracking on. */
export const TRACK_NBL_OWNER: [string, ...string[]] = [
  'reg',
  'add',
  'HKLM\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters',
  '/v',
  'TrackNblOwner',
  '/t',
  'REG_DWORD',
  '/d',
  '1',
  '/f',
];

/** The files of a catalog driver's package folder in the embedded lab file. */
export async function packageFiles(driver: string): Promise<{ name: string; bytes: Uint8Array }[]> {
  const lab = await loadLabFile(paths.embeddedLab);
  const entry = lab.data.drivers.find((d) => d.name === driver);
  if (!entry) throw new Error(`no driver ${driver}`);
  const folder = resolveLabPath(lab, entry.package);
  return readdirSync(folder).map((name) => ({ name, bytes: readFileSync(join(folder, name)) }));
}

/** A fixture beside the guest model, with CRLF line ends as the tools print them. */
export function fixture(name: string): string {
  const text = readFileSync(join(paths.root, 'lab', 'sim', 'guest', 'fixtures', name), 'utf8');
  return text.replace(/\r?\n/g, '\r\n');
}
