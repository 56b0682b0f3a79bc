/** ping: the guest's addresses, answered as they are declared (lab/sim/guest/ping.ts). */
import { ping as pingTool } from '../ping.js';
import type { GuestProgram } from './program.js';

export const ping: GuestProgram = (args, guest) =>
  pingTool(args, {
    sleep: (ms) => guest.host.sleep(ms),
    write: (stream, chunk) => guest.host.write(stream, chunk),
    addresses: guest.env.declaration.addresses,
  });
