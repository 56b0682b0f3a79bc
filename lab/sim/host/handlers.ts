/**
 * The simulated host's answer to each operation: same name, same JSON in, same JSON out as the
 * operation's script on a real Hyper-V host.
 */
import type { OperationName, OperationResult, VmRecord } from '../../hyperv/ops/catalog.js';
import { operations } from '../../hyperv/ops/catalog.js';
import type { SimHost } from '../model/host.js';
import type { SimVm } from '../model/vm.js';
import { SimulatedPowerShellError, vmNotFound } from './errors.js';

// Params arrive validated by the catalog schema (see handle), so each handler reads them as that shape.
// biome-ignore lint/suspicious/noExplicitAny: the per-operation param type is enforced by handle() at run time.
type Handler<N extends OperationName> = (host: SimHost, params: any) => Promise<OperationResult<N>>;

function vmOf(host: SimHost, name: string, cmdlet: string): SimVm {
  const vm = host.vm(name);
  if (!vm) throw vmNotFound(name, cmdlet);
  return vm;
}

function record(vm: SimVm): VmRecord {
  return {
    name: vm.name,
    id: vm.id,
    state: vm.state,
    heartbeat: vm.heartbeat(),
    uptimeSeconds: Math.round(vm.uptimeSeconds() * 1000) / 1000,
    status: 'Operating normally',
    generation: 2,
  };
}

export const handlers: { [N in OperationName]?: Handler<N> } = {
  'Get-VM': async (host, p) => record(vmOf(host, p.vmName, 'GetVM')),
  'Start-VM': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'StartVM');
    if (vm.state === 'Off' || vm.state === 'Saved') await vm.start();
    return record(vm);
  },
  'Stop-VM': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'StopVM');
    if (vm.state !== 'Off') await vm.stop(p.turnOff);
    return record(vm);
  },
  'Get-VMHeartbeat': async (host, p) => {
    const vm = vmOf(host, p.vmName, 'GetVMIntegrationService');
    return { enabled: true, status: vm.heartbeat(), state: vm.state };
  },
};

/** Runs one operation against the simulated host; validates params with the catalog's schema. */
export async function handle(host: SimHost, name: OperationName, params: unknown): Promise<unknown> {
  const handler = handlers[name] as Handler<OperationName> | undefined;
  if (!handler) {
    throw new SimulatedPowerShellError(
      `The embedded lab host does not simulate ${name}.`,
      'NotImplemented',
      'System.NotImplementedException',
      'NotImplemented',
    );
  }
  const parsed = operations[name].params.parse(params);
  return handler(host, parsed);
}
