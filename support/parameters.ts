/**
 * The parameter types of the steps. Each turns the text of a step into a checked value; a wrong
 * value is a ConfigurationError that says what is allowed, raised by the preflight check
 * (support/preflight.ts) before the scenario touches a VM.
 */
import {
  BUGCHECK_PATTERN,
  type BugcheckId,
  ConfigurationError,
  closest,
  type DriverConfig,
  DURATION_PATTERN,
  EVENT_153_FIELDS,
  type Event153Field,
  type HypervLab,
  parseBugcheck,
  parseBugcheckList,
  parseDuration,
  parseHex,
  parsePort,
  parseVerifierFlags,
  type VerifierFlags,
  type Vm,
} from '../lab/index.js';
import { parameter } from './catalog.js';

parameter<Vm>({
  name: 'vm',
  tsType: 'Vm',
  regexp: '[A-Za-z][A-Za-z0-9_.-]*',
  description: "a VM of the lab file, by name (a name the lab does not have is refused with the lab's VMs)",
  examples: ['win11-a'],
  useForSnippets: false,
  transformer(text) {
    return this.lab.vm(text);
  },
});

parameter<DriverConfig>({
  name: 'driver',
  tsType: 'DriverConfig',
  regexp: '[A-Za-z][A-Za-z0-9_-]*(?:\\.sys)?',
  description:
    "a driver of the lab file's drivers list, with or without .sys (one the list lacks is refused with the names it has)",
  examples: ['myfault.sys', 'baddriver'],
  useForSnippets: false,
  transformer(text) {
    return labDriver(this.lab, text);
  },
});

parameter<VerifierFlags>({
  name: 'verifierFlags',
  tsType: 'VerifierFlags',
  regexp: '0x[0-9a-fA-F]+|\\d+|[A-Za-z][A-Za-z/ (),-]*',
  description:
    'Driver Verifier options: the /flags value in hex or decimal, or option names joined by commas and "and"',
  examples: ['0x410', '1', 'special pool', 'I/O verification and IRP logging'],
  useForSnippets: false,
  transformer: (text) => parseVerifierFlags(text),
});

parameter<BugcheckId>({
  name: 'bugcheck',
  tsType: 'BugcheckId',
  regexp: BUGCHECK_PATTERN,
  description: 'a bug check by code or by name',
  examples: ['0xD6', 'DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION'],
  transformer: (text) => parseBugcheck(text),
});

parameter<BugcheckId[]>({
  name: 'bugchecks',
  tsType: 'BugcheckId[]',
  regexp: `(?:${BUGCHECK_PATTERN})(?:(?:, | or )(?:${BUGCHECK_PATTERN}))*`,
  description: 'bug checks by code or name, joined by commas and "or"',
  examples: ['SYSTEM_SERVICE_EXCEPTION, BAD_POOL_HEADER or BAD_POOL_CALLER'],
  useForSnippets: false,
  transformer: (text) => parseBugcheckList(text),
});

parameter<number>({
  name: 'hex',
  tsType: 'number',
  regexp: '0x[0-9a-fA-F]+',
  description: 'a hex value',
  examples: ['0x28'],
  transformer: (text) => parseHex(text),
});

parameter<number>({
  name: 'port',
  tsType: 'number',
  regexp: '\\d+',
  description: 'a KDNET port, 49152–65535',
  examples: ['50000'],
  useForSnippets: false,
  transformer: (text) => parsePort(text),
});

parameter<number>({
  name: 'duration',
  tsType: 'number',
  regexp: DURATION_PATTERN,
  description: 'a time in lab time: a number and ms, s, min or h',
  examples: ['40 s', '2 min'],
  transformer: (text) => parseDuration(text),
});

parameter<boolean>({
  name: 'onOff',
  tsType: 'boolean',
  regexp: 'on|off',
  description: 'on or off',
  examples: ['on', 'off'],
  useForSnippets: false,
  transformer: (text) => text === 'on',
});

parameter<Event153Field>({
  name: 'event153Field',
  tsType: 'Event153Field',
  regexp: EVENT_153_FIELDS.join('|'),
  description: `a field of event 153's data: ${EVENT_153_FIELDS.join(', ')}`,
  examples: [...EVENT_153_FIELDS],
  useForSnippets: false,
  transformer: (text) => text as Event153Field,
});

parameter<DriverConfig[]>({
  name: 'drivers',
  tsType: 'DriverConfig[]',
  regexp: '[A-Za-z][A-Za-z0-9_-]*(?:\\.sys)?(?:(?:, | and )[A-Za-z][A-Za-z0-9_-]*(?:\\.sys)?)*',
  description: 'drivers of the lab file joined by commas and "and"',
  examples: ['encryptionlegacy.sys, avlegacy.sys and avminifilter.sys'],
  useForSnippets: false,
  transformer(text) {
    return text.split(/, | and /).map((name) => labDriver(this.lab, name));
  },
});

/** A driver of the lab file's drivers list; a name it lacks is refused with the closest names it has. */
function labDriver(lab: HypervLab, text: string): DriverConfig {
  const names = lab.file.data.drivers.map((d) => d.name);
  const bare = text.replace(/\.sys$/i, '');
  const found = lab.file.data.drivers.find((d) => d.name.toLowerCase() === bare.toLowerCase());
  if (found) return found;
  const like = closest(bare, names);
  const hint = like.length > 0 ? `did you mean ${like.map((n) => `'${n}'`).join(' or ')}? ` : '';
  throw new ConfigurationError(
    `The ${lab.describe()} has no driver '${text}' in its drivers list (${hint}its drivers: ${names.map((n) => `'${n}'`).join(', ') || 'none'}); correct the step, or add the driver to the drivers section of ${lab.file.path}.`,
  );
}

/** How many files or folders a step may create: at least one, and no more than a guest volume holds in reason. */
export const ITEM_COUNT = { min: 1, max: 1_000_000 } as const;

parameter<number>({
  name: 'count',
  tsType: 'number',
  regexp: '\\d+',
  description: `a number of items to create, ${ITEM_COUNT.min} to ${ITEM_COUNT.max.toLocaleString('en-US')}`,
  examples: ['10001'],
  useForSnippets: false,
  transformer(text) {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < ITEM_COUNT.min || n > ITEM_COUNT.max) {
      throw new ConfigurationError(
        `The count ${text} is out of range, because a step that creates items needs ${ITEM_COUNT.min} to ${ITEM_COUNT.max.toLocaleString('en-US')} of them; write a count in that range.`,
      );
    }
    return n;
  },
});
