import { deepStrictEqual, equal, throws } from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigurationError } from '../errors.js';
import { describeBugcheck, parseBugcheck, parseBugcheckList } from './bugcheck.js';
import { parseDuration } from './duration.js';
import { parseHex, parsePort } from './numbers.js';
import { describeVerifierFlags, parseVerifierFlags } from './verifier-flags.js';

/** Asserts a configuration error whose message matches every pattern. */
function refuses(run: () => unknown, ...patterns: RegExp[]): void {
  throws(run, (error: unknown) => {
    if (!(error instanceof ConfigurationError)) return false;
    for (const p of patterns)
      if (!p.test(error.message)) throw new Error(`'${error.message}' does not match ${p}`);
    return true;
  });
}

describe('verifier flags as features write them', () => {
  test('hex, decimal and names mean the same flags', () => {
    for (const written of [
      '0x410',
      '1040',
      'I/O verification and IRP logging',
      'IRP Logging, i/o verification',
    ]) {
      deepStrictEqual(parseVerifierFlags(written).flags, 0x410, written);
    }
    deepStrictEqual(parseVerifierFlags('special pool').names, ['special pool']);
    equal(parseVerifierFlags('DMA checking').flags, 0x80, 'the /querysettings label is a name too');
    equal(describeVerifierFlags(0x410), '0x410 (I/O verification, IRP logging)');
  });

  test('a wrong name is refused with the list of names and the closest one', () => {
    refuses(
      () => parseVerifierFlags('special pol'),
      /^'special pol' is not a Driver Verifier option \(did you mean 'special pool'\?\); the options are special pool, force IRQL checking/,
    );
  });

  test('a number with an undocumented bit, or none, is refused', () => {
    refuses(() => parseVerifierFlags('0x1000'), /bits no documented option has/);
    refuses(() => parseVerifierFlags('0'), /select no option/);
  });
});

describe('durations in lab time', () => {
  test('units from milliseconds to hours', () => {
    deepStrictEqual(
      ['500 ms', '40 s', '2 min', '1.5 h', '1 minute', '90 seconds'].map(parseDuration),
      [500, 40_000, 120_000, 5_400_000, 60_000, 90_000],
    );
  });
  test('a number without a unit is refused with how to write one', () => {
    refuses(
      () => parseDuration('40'),
      /^'40' is not a duration a step can wait for; write a positive number and a unit/,
    );
    refuses(() => parseDuration('3 fortnights'), /not a duration/);
  });
});

describe('bug checks by code or name', () => {
  test('the code and the name are the same bug check', () => {
    deepStrictEqual(parseBugcheck('0xD6'), {
      code: 0xd6,
      name: 'DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION',
    });
    deepStrictEqual(parseBugcheck('DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION'), parseBugcheck('0xd6'));
    deepStrictEqual(parseBugcheck('0x1234'), { code: 0x1234, name: null });
    equal(describeBugcheck(0x3b), '0x3b (SYSTEM_SERVICE_EXCEPTION)');
  });
  test('a list of alternatives', () => {
    deepStrictEqual(
      parseBugcheckList('SYSTEM_SERVICE_EXCEPTION, BAD_POOL_HEADER or 0xC2').map((b) => b.code),
      [0x3b, 0x19, 0xc2],
    );
  });
  test('a misspelt name is refused with the closest name', () => {
    refuses(
      () => parseBugcheck('BAD_POOL_HEADR'),
      /^'BAD_POOL_HEADR' is not a bug check driverlab knows by name \(did you mean BAD_POOL_HEADER\?\)/,
    );
  });
});

describe('hex values and KDNET ports', () => {
  test('read', () => {
    equal(parseHex('0x28'), 0x28);
    equal(parsePort('50000'), 50000);
  });
  test('a port outside the KDNET range is refused', () => {
    refuses(() => parsePort('443'), /^Port '443' cannot carry KDNET, because KDNET ports are 49152–65535/);
    refuses(() => parseHex('28'), /is not a hex value/);
  });
});
