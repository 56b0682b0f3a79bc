/** pnputil: the driver store and the devices; removing a device hands a PnP remove to the kernel. */
import { pnputil as pnputilTool } from '../pnputil.js';
import type { GuestProgram } from './program.js';

export const pnputil: GuestProgram = (args, guest) => {
  const now = guest.host.nowIso();
  return pnputilTool(args, {
    readFile: (p) => {
      try {
        return guest.fs.readText(p);
      } catch {
        return null;
      }
    },
    exists: (p) => guest.fs.exists(p),
    packages: guest.state.packages,
    devices: guest.state.devices,
    installServices: (inf, path) => guest.installServices(inf, path, now),
    installOnDevice: async (device, serviceName) => {
      device.service = serviceName;
      const s = guest.state.services[serviceName.toLowerCase()];
      if (s && s.state !== 'running') await guest.loadService(s);
    },
    removeDevice: async (device) => {
      const s = device.service ? guest.state.services[device.service.toLowerCase()] : undefined;
      if (s && s.state === 'running') {
        await guest.host.kernel({ kind: 'pnp-remove', driver: guest.loadedDriver(s).name });
        device.present = false;
        const stillUsed = guest.state.devices.some((d) => d.present && d.service === s.name);
        if (!stillUsed) await guest.unloadService(s);
      } else {
        device.present = false;
      }
    },
  });
};
