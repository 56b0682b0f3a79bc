/** sc: the service control manager; a file-system driver created from a lab driver's binary gets its declared filter. */
import { sc as scTool } from '../services.js';
import type { GuestProgram } from './program.js';

function imageVersion(image: string): string | undefined {
  return /^FileVersion:\s*(\S+)\s*$/m.exec(image)?.[1];
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

export const sc: GuestProgram = (args, guest) =>
  scTool(args, {
    services: guest.state.services,
    nextOrder: () => guest.state.nextServiceOrder++,
    created: (s) => {
      let version: string | undefined;
      try {
        version = imageVersion(guest.fs.readText(s.binaryPath));
      } catch {
        version = undefined;
      }
      const entry = guest.identify(baseName(s.binaryPath), version);
      const declared = entry ? guest.env.simulated[entry.name]?.filter : undefined;
      if (s.type === 'filesys' && declared) {
        s.filter = {
          kind: declared.kind,
          altitude: declared.altitude,
          ...(declared.volumes ? { volumes: declared.volumes } : {}),
        };
        if (s.group === '') s.group = declared.loadOrderGroup;
      }
    },
    start: (s) => guest.loadService(s),
    stop: (s) => guest.unloadService(s),
    isStoppable: (s) => guest.isStoppable(s),
  });
