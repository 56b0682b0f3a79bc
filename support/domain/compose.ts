/**
 * The one place the domain helpers of a scenario are made. Each is given only the capabilities its
 * interface names (its `…Needs`, support/capabilities.ts); a helper that uses another helper is
 * given that one, read when it is used. The World (support/world.ts) gives the ground — the worker's
 * lab and debuggers (support/fixtures.ts) and the scenario's VM slot, evidence, narrative and
 * expectations; a test gives its own.
 */
import type { HypervLab, Vm } from '../../lab/index.js';
import { type Expect, type Narrative, only, type ScenarioInfo } from '../capabilities.js';
import type { DebuggerRegistry } from '../debuggers.js';
import type { Evidence } from '../evidence.js';
import { Backup } from './backup.js';
import { Crashes } from './crashes.js';
import { Debugging } from './debugging.js';
import { Drivers } from './drivers.js';
import { EventLog } from './events.js';
import { Filters } from './filters.js';
import { GuestTools } from './guest.js';
import { Memory } from './memory.js';
import { Network } from './network.js';
import { Pool } from './pool.js';
import { Storage } from './storage.js';
import { Verifier } from './verifier.js';

/** What the domain helpers are made from: the worker's fixtures and the scenario's own state. */
export interface DomainGround {
  readonly lab: HypervLab;
  readonly vm: Vm;
  readonly hasVm: boolean;
  readonly evidence: Evidence;
  readonly narrative: Narrative;
  readonly expect: Expect;
  readonly debuggers: DebuggerRegistry;
  /** The scenario as the hooks saw it (its steps: a removal is watched as long as it asks). */
  readonly scenario: ScenarioInfo;
}

/** The domain helpers of one scenario. */
export interface Domain {
  guest: GuestTools;
  events: EventLog;
  crashes: Crashes;
  drivers: Drivers;
  verifier: Verifier;
  backup: Backup;
  filters: Filters;
  storage: Storage;
  memory: Memory;
  pool: Pool;
  network: Network;
  debugging: Debugging;
}

/**
 * Makes the domain helpers of a scenario, each given the capabilities its interface names. The
 * helpers that need another helper get it read when used (Crashes reads what Driver Verifier
 * checks; Driver Verifier reads the crash), so the order they are made in does not matter.
 */
export function composeDomain(ground: DomainGround): Domain {
  const all = {} as DomainGround & Domain;
  for (const key of [
    'lab',
    'vm',
    'hasVm',
    'evidence',
    'narrative',
    'expect',
    'debuggers',
    'scenario',
  ] as const)
    Object.defineProperty(all, key, { get: () => ground[key], enumerable: true });
  const domain: Domain = {
    guest: new GuestTools(only(all, ['vm', 'evidence'])),
    events: new EventLog(only(all, ['vm', 'evidence', 'narrative', 'expect'])),
    crashes: new Crashes(
      only(all, ['lab', 'vm', 'evidence', 'guest', 'events', 'debuggers', 'verifier', 'narrative', 'expect']),
    ),
    drivers: new Drivers(only(all, ['lab', 'vm', 'crashes', 'expect'])),
    verifier: new Verifier(
      only(all, ['vm', 'evidence', 'guest', 'crashes', 'debugging', 'narrative', 'expect']),
    ),
    backup: new Backup(only(all, ['vm', 'guest', 'narrative', 'expect'])),
    filters: new Filters(only(all, ['evidence', 'guest', 'drivers', 'narrative', 'expect'])),
    storage: new Storage(only(all, ['vm', 'drivers', 'events', 'narrative', 'expect'])),
    memory: new Memory(only(all, ['lab', 'vm', 'evidence', 'crashes', 'narrative', 'expect'])),
    pool: new Pool(only(all, ['evidence', 'crashes', 'drivers', 'verifier', 'narrative', 'expect'])),
    network: new Network(
      only(all, [
        'lab',
        'vm',
        'evidence',
        'guest',
        'drivers',
        'crashes',
        'debugging',
        'narrative',
        'expect',
        'scenario',
      ]),
    ),
    debugging: new Debugging(
      only(all, ['lab', 'vm', 'evidence', 'guest', 'debuggers', 'narrative', 'expect']),
    ),
  };
  for (const [key, helper] of Object.entries(domain)) Object.defineProperty(all, key, { value: helper });
  return domain;
}
