/**
 * The simulated Hyper-V host: the VMs of one embedded lab file, on one lab clock.
 */
import type { LabClock } from '../../clock.js';
import type { EmbeddedLabFileData } from '../../config/lab-file.js';
import { SimVm } from './vm.js';

export class SimHost {
  readonly vms = new Map<string, SimVm>();

  constructor(
    readonly lab: EmbeddedLabFileData,
    readonly clock: LabClock,
  ) {
    for (const vm of lab.vms) {
      const guest = lab.embedded.guests[vm.name];
      if (!guest) continue;
      const sim = new SimVm(vm.name, guest, clock);
      sim.poweredOnAndBooted();
      this.vms.set(vm.name.toLowerCase(), sim);
    }
  }

  vm(name: string): SimVm | undefined {
    return this.vms.get(name.toLowerCase());
  }
}
