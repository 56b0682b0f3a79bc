/**
 * What the debugger tests and benchmarks share: counting the debugger processes a test process
 * started (so a test can prove that no debugger outlives its session), and preparing a lab VM the
 * way a scenario does — a lab driver installed with pnputil, KDNET turned on with bcdedit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveLabPath } from '../../../lab/config/lab-file.js';
import type { Lab, Vm } from '../../../lab/ports.js';

/** The debugger processes this process started that are still alive (Linux: through /proc). */
export function debuggerChildren(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (/kd\.mjs|replay-\d+\.mjs|ignores-its-input/.test(cmdline)) found.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Why child processes cannot be counted here, or false where they can. */
export const noProc =
  process.platform !== 'linux' && 'child processes are counted through /proc, which only Linux has';

/** Runs a guest command and fails (with what it printed) unless it ends with `exitCode`. */
export async function runInGuest(vm: Vm, command: string[], exitCode = 0): Promise<string> {
  const r = await vm.guest.run(command);
  if (r.exitCode !== exitCode) {
    throw new Error(
      `'${command.join(' ')}' ended with ${r.exitCode}, not ${exitCode}: ${r.stdout}${r.stderr}`,
    );
  }
  return r.stdout;
}

/** Copies a lab driver's package into the guest (C:\Drivers\<name>) and installs it with pnputil. */
export async function installDriver(lab: Lab, vm: Vm, driver: string): Promise<void> {
  const entry = lab.driver(driver);
  const folder = resolveLabPath(lab.file, entry.package);
  for (const file of readdirSync(folder))
    await vm.guest.copyIn(join(folder, file), `C:\\Drivers\\${driver}\\${file}`);
  await runInGuest(vm, ['pnputil', '/add-driver', `C:\\Drivers\\${driver}\\${entry.inf}`, '/install']);
}

/**
 * Turns KDNET debugging on as a scenario does (bcdedit /dbgsettings net hostip:… port:…, bcdedit
 * /debug on, a reboot) and returns the key bcdedit generated and printed.
 */
export async function debugOverKdnet(vm: Vm, net: { hostIp: string; port: number }): Promise<string> {
  const said = await runInGuest(vm, [
    'bcdedit',
    '/dbgsettings',
    'net',
    `hostip:${net.hostIp}`,
    `port:${net.port}`,
  ]);
  // Domain brief §3.2: Key= and the four-part key, on a line of its own.
  const key = /^Key=([0-9a-z]+(?:\.[0-9a-z]+){3})\s*$/im.exec(said)?.[1];
  if (!key) throw new Error(`bcdedit printed no key: ${said}`);
  await runInGuest(vm, ['bcdedit', '/debug', 'on']);
  await vm.guest.reboot();
  return key;
}
