/**
 * For test doubles of a DebugTarget (tests and benches only): the identity a Windows 10 x64
 * target reports when kd connects, with its uptime.
 */
import type { TargetIdentity } from '../../../lab/sim/ports.js';

export function windows10Identity(uptimeSeconds: number): TargetIdentity {
  return {
    product: 'Windows 10',
    build: 19041,
    processors: 4,
    arch: 'x64',
    kernelBase: '0xfffff806`7c21f000',
    psLoadedModuleList: '0xfffff806`7ce49770',
    uptimeSeconds,
  };
}
