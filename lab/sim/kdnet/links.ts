/**
 * The debug link of the embedded host's VMs: a DebugLinkFactory (lab/sim/model/debug-link.ts)
 * made of the target endpoints of this folder, chosen by what the boot read from the BCD, as
 * Windows chooses its kernel debugger transport:
 *
 * - debugtype NET with hostip, port and key → a KDNET endpoint that offers itself to
 *   hostip:port (on loopback, see loopbackAddressFor) and pairs only with a debugger that knows
 *   the key;
 * - debugtype SERIAL → the COM port named by debugport (COM1 when absent); when the VM's COM port
 *   points at a named pipe (Set-VMComPort, in effect since the VM's last cold start) the endpoint
 *   connects to the debugger holding that pipe.
 *
 * Anything else (debugtype Local, 1394, USB; NET without hostip, port or key; a COM port that
 * points nowhere) opens a link nothing can attach to: the kernel runs with debugging on, and a
 * debugger waits for it, printing "Waiting to reconnect...", as it would on a real lab.
 */

import type { DebugLink, DebugLinkFactory, EffectiveDebugSettings } from '../model/debug-link.js';
import type { DebugTarget } from '../ports.js';
import type { TargetEndpoint } from './endpoint.js';
import { KdPipeTargetEndpoint } from './pipe.js';
import { parseIpv4 } from './protocol.js';
import { KdnetTargetEndpoint } from './target.js';

/** A boot whose debug settings reach no debugger: nothing attaches, nothing is told. */
const unreachable: DebugLink = {
  attached: () => false,
  notify: () => {},
  close: () => {},
};

/** Which endpoint a boot's debug settings make, or null when no debugger can reach it. */
export function endpointFor(settings: EffectiveDebugSettings, target: DebugTarget): TargetEndpoint | null {
  if (settings.debugtype === 'NET') {
    const { hostip, port, key } = settings;
    if (hostip === null || parseIpv4(hostip) === null || port === null || !key) return null;
    return new KdnetTargetEndpoint({ hostIp: hostip, port, key, target });
  }
  if (settings.debugtype === 'Serial') {
    const com = settings.debugport ?? 1;
    const pipe = com === 1 || com === 2 ? settings.comPipes[com] : null;
    return pipe ? new KdPipeTargetEndpoint({ pipe, target }) : null;
  }
  return null;
}

/** The endpoint as the VM holds it: started at once, stopped (after it started) on close. */
class EndpointLink implements DebugLink {
  private readonly started: Promise<boolean>;

  constructor(private readonly endpoint: TargetEndpoint) {
    // An endpoint that cannot start (no loopback address) leaves the target unreachable, as a
    // target whose NIC the debugger cannot reach.
    this.started = endpoint.start().then(
      () => true,
      () => false,
    );
  }

  attached(): boolean {
    return this.endpoint.isAttached();
  }

  notify(event: Parameters<DebugLink['notify']>[0]): void {
    this.endpoint.notify(event);
  }

  close(): void {
    void this.started.then((ok) => (ok ? this.endpoint.stop() : undefined)).catch(() => {});
  }
}

/** The factory the embedded host plugs into its VMs (lab/sim/host/main.ts). */
export function debugLinkFactory(): DebugLinkFactory {
  return {
    open(vm, settings) {
      const endpoint = endpointFor(settings, vm.target);
      return endpoint ? new EndpointLink(endpoint) : unreachable;
    },
  };
}
