/**
 * wdm-driver-error: when its trigger runs, the driver sends an IRP that Driver Verifier's I/O
 * verification (flag 0x10, driver verified) reports as a non-fatal WDM DRIVER ERROR; the question
 * and its answers are in verifier-questions.ts.
 */
import { isVerified } from '../machine.js';
import { wdmDriverError as report } from '../verifier-questions.js';
import type { FaultOf, FaultRule } from './rule.js';

/** The trigger named by the fault runs: the driver sends the IRP the I/O verifier objects to. */
export const wdmDriverError: FaultRule<FaultOf<'wdm-driver-error'>> = {
  trigger: ({ state, driver, fault }, action) =>
    fault.trigger === action.trigger ? report(state, driver, fault, isVerified(state, driver)) : null,
};
