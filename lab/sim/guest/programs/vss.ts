/** vssadmin: the VSS writers; a failing System Writer logs its events (lab/sim/guest/vss.ts). */
import { vssSystemWriterFailures } from '../events.js';
import { vssadmin as vssadminTool } from '../vss.js';
import type { GuestProgram } from './program.js';

export const vssadmin: GuestProgram = (args, guest) => {
  const now = guest.host.nowIso();
  return vssadminTool(args, {
    fs: guest.fs,
    vmName: guest.env.vmName,
    bootCount: guest.state.bootCount,
    systemWriterFailed: (instance) => {
      for (const e of vssSystemWriterFailures(instance)) guest.log.write(e, now);
    },
  });
};
