/** cmd and hostname: the command interpreter (lab/sim/guest/cmd.ts) runs the other programs of the guest. */
import { osVersion } from '../../kernel/os.js';
import { cmd as cmdTool } from '../cmd.js';
import { ok, text } from '../tool.js';
import type { GuestProgram } from './program.js';

export const cmd: GuestProgram = (args, guest) =>
  cmdTool(args, {
    env: guest.environment(),
    fs: guest.fs,
    version: osVersion(guest.env.declaration.os.build).version,
    nowIso: () => guest.host.nowIso(),
    write: (stream, chunk) => guest.host.write(stream, chunk),
    program: (program, programArgs, write) => guest.exec(program, programArgs, { ...guest.host, write }),
  });

export const hostname: GuestProgram = (_args, guest) => ok(text(guest.state.computerName));
