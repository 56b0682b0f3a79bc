/**
 * storage-timeout: the storage miniport's requests time out when its trigger runs. Nothing happens
 * in the kernel the debugger sees: the guest logs what Windows logs (events 129 / 153, in the guest
 * model), so this fault has no kernel rule.
 */
import type { FaultOf, FaultRule } from './rule.js';

/** No kernel rule: the guest model logs the events. */
export const storageTimeout: FaultRule<FaultOf<'storage-timeout'>> = {};
