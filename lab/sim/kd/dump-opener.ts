/**
 * How the simulated debugger opens a crash dump for `-z`: a function from the dump's path to the
 * DebugTarget that answers for it. The simulated kernel provides it (`openDumpTarget` in
 * lab/sim/kernel/dump.ts); until it is linked in, `-z` says it is not available.
 */
import type { DebugTarget } from '../contract.js';

export type DumpOpener = (path: string) => Promise<DebugTarget>;

// The injection point: when lab/sim/kernel/dump.ts exists, replace the next line with
//   export { openDumpTarget as dumpOpener } from '../kernel/dump.js';
export const dumpOpener: DumpOpener | null = null;
