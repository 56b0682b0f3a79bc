/**
 * The fault × action rule table: for each kind of driver fault, the module that says what it does
 * when an action reaches a driver that declares it. The kernel (kernel.ts) decides which drivers an
 * action reaches and asks their faults in declaration order; the first rule that answers decides.
 * A new fault is one module here and one line in this table (TypeScript refuses a fault kind of the
 * schema without its line).
 */
import type { DriverFault } from '../../../config/embedded.js';
import type { KernelAction, KernelOutcome, LoadedDriver } from '../../ports.js';
import type { KernelState } from '../state.js';
import { imageReach, ioWithApcsDisabled } from './io-with-apcs-disabled.js';
import { nblLeakOnRemove } from './nbl-leak-on-remove.js';
import { poolOverrun } from './pool-overrun.js';
import type { FaultContext, FaultOf, FaultRule } from './rule.js';
import { storageTimeout } from './storage-timeout.js';
import { wdmDriverError } from './wdm-driver-error.js';

export { miniportOf } from './nbl-leak-on-remove.js';

export const FAULT_RULES: { readonly [K in DriverFault['kind']]: FaultRule<FaultOf<K>> } = {
  'pool-overrun': poolOverrun,
  'io-with-apcs-disabled': ioWithApcsDisabled,
  'wdm-driver-error': wdmDriverError,
  'nbl-leak-on-remove': nblLeakOnRemove,
  'storage-timeout': storageTimeout,
};

type AnyRule = (context: FaultContext<DriverFault>, action: KernelAction) => KernelOutcome | null;

/** Asks the faults of these drivers, in order, what the action does; null when none of them answers. */
export function faultOutcome(
  state: KernelState,
  drivers: readonly LoadedDriver[],
  action: KernelAction,
): KernelOutcome | null {
  for (const driver of drivers) {
    for (const fault of driver.faults) {
      const rules = FAULT_RULES[fault.kind] as FaultRule<DriverFault>;
      const rule = rules[action.kind] as AnyRule | undefined;
      const outcome = rule?.({ state, driver, fault }, action);
      if (outcome) return outcome;
    }
  }
  return null;
}

/** The highest offset in a driver's image that its faults' frames use (0 when they declare none). */
export function driverImageReach(driver: LoadedDriver): number {
  let reach = 0;
  for (const fault of driver.faults) {
    if (fault.kind === 'io-with-apcs-disabled') reach = Math.max(reach, imageReach(fault));
  }
  return reach;
}
