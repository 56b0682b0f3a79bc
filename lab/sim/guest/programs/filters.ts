/** fltmc: the filter manager's frames, filters and instances; load and unload go through the services. */
import { fltmc as fltmcTool } from '../filters.js';
import { WIN32 } from '../services.js';
import type { GuestProgram } from './program.js';

export const fltmc: GuestProgram = (args, guest) =>
  fltmcTool(args, {
    stack: guest.stack,
    build: guest.env.declaration.os.build,
    loadService: async (n) => {
      const s = guest.state.services[n.toLowerCase()];
      if (!s) return WIN32.fileNotFound;
      if (s.state === 'running')
        return { code: 0x1f, message: 'A device attached to the system is not functioning.' };
      return guest.loadService(s);
    },
    unloadService: async (n) => {
      const s = guest.state.services[n.toLowerCase()];
      if (s?.state !== 'running' || !s.filter) return WIN32.fileNotFound;
      if (!guest.isStoppable(s)) return WIN32.invalidControl;
      return guest.unloadService(s);
    },
  });
