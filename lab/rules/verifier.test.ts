import { deepStrictEqual, equal } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parsers } from '../parsers/index.js';
import {
  describeVerifier,
  irpLogEntriesFrom,
  irpLoggingGap,
  logsIrpsOf,
  missingSettings,
  settingsFromQuery,
  settingsFromRegistry,
  underSpecialPool,
} from './verifier.js';

const capture = (name: string) =>
  readFileSync(new URL(`../parsers/fixtures/${name}`, import.meta.url), 'utf8');

describe('what Driver Verifier checks', () => {
  test('reads as the because of an expectation', () => {
    equal(describeVerifier(null), 'Driver Verifier is off');
    equal(
      describeVerifier({ flags: 0x1, drivers: ['myfault.sys'] }),
      'Driver Verifier checks myfault.sys with 0x1 (special pool)',
    );
    equal(
      describeVerifier({ flags: 0x410, drivers: 'all' }),
      'Driver Verifier checks all drivers with 0x410 (I/O verification, IRP logging)',
    );
  });

  test('special pool covers the verified drivers only when its bit is on', () => {
    deepStrictEqual(underSpecialPool({ flags: 0x9, drivers: ['myfault.sys'] }), ['myfault.sys']);
    deepStrictEqual(underSpecialPool({ flags: 0x410, drivers: ['myfault.sys'] }), []);
    equal(underSpecialPool({ flags: 0x1, drivers: 'all' }), 'all');
    deepStrictEqual(underSpecialPool(null), []);
  });
});

describe('the IRP log', () => {
  test('logs a driver’s IRPs with I/O verification and IRP logging on it, and says what is missing otherwise', () => {
    equal(logsIrpsOf({ flags: 0x410, drivers: ['BadDriver.sys'] }, 'baddriver.sys'), true);
    equal(logsIrpsOf({ flags: 0x410, drivers: 'all' }, 'baddriver.sys'), true);
    equal(logsIrpsOf({ flags: 0x10, drivers: ['baddriver.sys'] }, 'baddriver.sys'), false);
    equal(
      irpLoggingGap({ flags: 0x1, drivers: ['baddriver.sys'] }, 'baddriver.sys'),
      'Driver Verifier runs without I/O verification and IRP logging, so no IRP is logged',
    );
    equal(
      irpLoggingGap({ flags: 0x410, drivers: ['myfault.sys'] }, 'baddriver.sys'),
      'Driver Verifier does not verify baddriver.sys, so its IRPs are not logged',
    );
    equal(irpLoggingGap(null, 'baddriver.sys'), 'Driver Verifier is off, so no IRP is logged');
  });

  test('the seed’s !verifier 100: every entry was issued from baddriver.sys, none from fltmgr’s callers alone', () => {
    const log = parsers['verifier-irplog'].parse(capture('verifier-irplog.apc-disabled.txt'));
    equal(irpLogEntriesFrom(log, 'BadDriver.sys').length, log.entries.length);
    equal(irpLogEntriesFrom(log, 'mountmgr.sys').length, 2);
    equal(irpLogEntriesFrom(log, 'myfault.sys').length, 0);
  });
});

describe('the settings the guest shows after the reboot', () => {
  test('a real /querysettings with only low resources simulation on blah.sys', () => {
    const shown = settingsFromQuery(
      parsers['verifier-query'].parse(capture('verifier-query.querysettings-low-resources.txt')),
    );
    deepStrictEqual(shown, { flags: 0x4, drivers: ['blah.sys'] });
    deepStrictEqual(missingSettings({ flags: 0x4, drivers: ['BLAH.SYS'] }, shown), { flags: 0, drivers: [] });
    deepStrictEqual(missingSettings({ flags: 0x5, drivers: ['blah.sys', 'myfault.sys'] }, shown), {
      flags: 0x1,
      drivers: ['myfault.sys'],
    });
    deepStrictEqual(missingSettings({ flags: 0x4, drivers: 'all' }, shown), {
      flags: 0,
      drivers: ['all drivers'],
    });
  });

  test('the registry’s VerifyDriverLevel and VerifyDrivers, * meaning all', () => {
    deepStrictEqual(settingsFromRegistry(0x410, ' myfault.sys  nullfilter.sys '), {
      flags: 0x410,
      drivers: ['myfault.sys', 'nullfilter.sys'],
    });
    deepStrictEqual(settingsFromRegistry('1', '*'), { flags: 1, drivers: 'all' });
    deepStrictEqual(settingsFromRegistry(null, null), { flags: 0, drivers: [] });
  });

  test('a listing that names no driver does not contradict /all', () => {
    deepStrictEqual(missingSettings({ flags: 1, drivers: 'all' }, { flags: 1, drivers: null }), {
      flags: 0,
      drivers: [],
    });
    deepStrictEqual(missingSettings({ flags: 1, drivers: ['a.sys'] }, { flags: 1, drivers: null }), {
      flags: 0,
      drivers: ['a.sys'],
    });
  });
});
