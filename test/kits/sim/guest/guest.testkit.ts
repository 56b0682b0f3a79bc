/**
 * Helpers the guest and VM tests share: a guest OS built from a real lab file's declaration, run
 * with a GuestHost that hands every action to a real simulated kernel (booted with the facts of
 * each boot) and records it, and the lab's driver packages copied in the way Copy-VMFile would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestDeclaration, SimulatedDriver } from '../../../../lab/config/embedded.js';
import { type LabFile, loadLabFile, resolveLabPath } from '../../../../lab/config/lab-file.js';
import { paths } from '../../../../lab/paths.js';
import {
  baselineGuest,
  GuestDown,
  type GuestEnvironment,
  type GuestHost,
  GuestOs,
} from '../../../../lab/sim/guest/guest.js';
import type { ToolResult } from '../../../../lab/sim/guest/tool.js';
import { createKernel, type Kernel } from '../../../../lab/sim/kernel/index.js';
import type { KernelAction } from '../../../../lab/sim/ports.js';

export interface GuestUnderTest {
  guest: GuestOs;
  env: GuestEnvironment;
  lab: LabFile;
  /** What the guest handed to the kernel since its first boot, in order (later boots' driver loads included). */
  actions: KernelAction[];
  /** The kernel of the current boot. */
  kernel(): Kernel;
  shutdowns: { reboot: boolean; delaySeconds: number }[];
  run(file: string, ...args: string[]): Promise<ToolResult>;
  /** Copies a lab driver's package folder to C:\Drivers\<name>. */
  copyPackage(driver: string): string;
  /** A reboot: the boot applies pending settings and loads boot drivers. */
  reboot(): void;
}

export async function guestUnderTest(
  options: {
    vm?: string;
    declaration?: (d: GuestDeclaration) => GuestDeclaration;
    /** Changes how the lab's drivers behave (their faults) for this guest. */
    drivers?: (d: Record<string, SimulatedDriver>) => Record<string, SimulatedDriver>;
    diskFull?: boolean;
  } = {},
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
    simulated: options.drivers ? options.drivers(lab.data.embedded.drivers) : lab.data.embedded.drivers,
    tools: lab.data.tools,
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
  let kernel: Kernel | null = null;
  const current = (): Kernel => {
    if (!kernel) throw new Error('the guest has not booted');
    return kernel;
  };
  const host: GuestHost = {
    nowIso: now,
    kernel: async (action) => {
      actions.push(action);
      const outcome = current().apply(action);
      if (outcome.kind === 'bugcheck')
        throw new GuestDown(`bugcheck 0x${outcome.bugcheck.code.toString(16)}`);
      if (outcome.kind === 'hang') return new Promise<never>(() => {});
      // No debugger is attached here: Driver Verifier's non-fatal error is ignored.
      if (outcome.kind === 'verifier-error') return { kind: 'none' };
      return outcome;
    },
    scheduleShutdown: (reboot, delaySeconds) => {
      shutdowns.push({ reboot, delaySeconds });
      return 'scheduled';
    },
    abortShutdown: () => shutdowns.pop() !== undefined,
    // Lab time passes at once here: a program that waits (ping) ends without real waiting.
    sleep: async (ms) => {
      clock += ms;
    },
    write: () => {},
  };
  const reboot = () => {
    guest.poweredOff(null);
    const boot = guest.boot();
    kernel = createKernel(boot.facts);
    for (const driver of boot.drivers) {
      actions.push({ kind: 'driver-loaded', driver });
      kernel.apply({ kind: 'driver-loaded', driver });
    }
    guest.bootCompleted(now());
  };
  reboot();
  actions.length = 0;
  return {
    guest,
    env,
    lab,
    actions,
    kernel: current,
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

/** The guest of the seed's filter load-order case: Windows Server 2008 R2 with FileInfo and luafv. */
export function seedFilterGuest(d: GuestDeclaration): GuestDeclaration {
  return {
    ...d,
    os: { ...d.os, product: 'Windows Server 2008 R2', build: 7601, sku: 'server' },
    filters: [
      {
        name: 'FileInfo',
        kind: 'minifilter',
        altitude: '45000',
        loadOrderGroup: 'FSFilter Bottom',
        startType: 'boot',
      },
      {
        name: 'luafv',
        kind: 'minifilter',
        altitude: '135000',
        loadOrderGroup: 'FSFilter Virtualization',
        startType: 'auto',
        volumes: ['C:'],
      },
    ],
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

/** The files of a lab driver's package folder in the embedded lab file. */
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
