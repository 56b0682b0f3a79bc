/**
 * The programs of the simulated guest image, by name: the registry a guest command is dispatched
 * through (besides driver triggers and lab test tools, which the guest finds first). A new
 * program is one module in this folder and one line here.
 */
import { bcdedit } from './bcd.js';
import { fltmc } from './filters.js';
import { ping } from './network.js';
import { pnputil } from './pnp.js';
import { shutdown } from './power.js';
import type { GuestProgram } from './program.js';
import { reg } from './registry.js';
import { sc } from './services.js';
import { cmd, hostname } from './shell.js';
import { verifier } from './verifier.js';
import { vssadmin } from './vss.js';

export type { GuestProgram, ProgramContext } from './program.js';

const PROGRAMS: ReadonlyMap<string, GuestProgram> = new Map([
  ['bcdedit', bcdedit],
  ['verifier', verifier],
  ['sc', sc],
  ['fltmc', fltmc],
  ['pnputil', pnputil],
  ['vssadmin', vssadmin],
  ['shutdown', shutdown],
  ['reg', reg],
  ['hostname', hostname],
  ['cmd', cmd],
  ['ping', ping],
]);

/** The program a command names (`bcdedit`, `C:\Windows\System32\sc.exe` …), if the image has it. */
export function guestProgram(file: string): GuestProgram | undefined {
  const name = (file.split(/[\\/]/).pop() ?? file).toLowerCase().replace(/\.(exe|com)$/, '');
  return PROGRAMS.get(name);
}
