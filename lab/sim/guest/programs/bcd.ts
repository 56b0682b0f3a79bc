/** bcdedit: the boot configuration store (lab/sim/guest/bcd.ts renders it). */
import type { GuestProgram } from './program.js';

export const bcdedit: GuestProgram = (args, guest) => guest.bcd.run(args);
