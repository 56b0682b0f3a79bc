/** verifier: Driver Verifier's settings and queries (lab/sim/guest/verifier.ts). */
import { verifier as verifierTool } from '../verifier.js';
import type { GuestProgram } from './program.js';

export const verifier: GuestProgram = (args, guest) =>
  verifierTool(args, { registry: guest.registry, active: guest.state.verifier });
