/**
 * The shape of a fault rule: what one kind of driver fault does when an action reaches a driver
 * that declares it. Each fault kind is one module exporting one `FaultRule`; the table in
 * `index.ts` lists them, so a new fault is one new file and one line there.
 */
import type { DriverFault } from '../../../config/embedded.js';
import type { KernelAction, KernelOutcome, LoadedDriver } from '../../ports.js';
import type { KernelState } from '../state.js';

/** One of the actions, by kind. */
export type ActionOf<K extends KernelAction['kind']> = Extract<KernelAction, { kind: K }>;

/** What a rule is given: the kernel state, the driver the action reached, and its declared fault. */
export interface FaultContext<F extends DriverFault> {
  state: KernelState;
  driver: LoadedDriver;
  fault: F;
}

/**
 * A fault's rules by action kind. A rule returns the outcome it decides, or null when the fault
 * plays no part in this action (another trigger, another condition): the next fault is asked.
 */
export type FaultRule<F extends DriverFault> = {
  readonly [K in KernelAction['kind']]?: (
    context: FaultContext<F>,
    action: ActionOf<K>,
  ) => KernelOutcome | null;
};

/** A fault declaration of one kind. */
export type FaultOf<K extends DriverFault['kind']> = Extract<DriverFault, { kind: K }>;
