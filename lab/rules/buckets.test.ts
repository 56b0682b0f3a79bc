import { equal } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAnalyze } from '../parsers/analyze.js';
import { bucketId, signature } from './buckets.js';

const fixtures = join(import.meta.dirname, '..', 'sim', 'kernel', 'fixtures');

describe('crash buckets', () => {
  test("FAILURE_BUCKET_ID is the bucket when !analyze gives one (the simulator's rendered 0xD6)", () => {
    const analysis = parseAnalyze(readFileSync(join(fixtures, 'analyze-v.special-pool-d6.txt'), 'utf8'));
    equal(
      bucketId({ code: 0xd6, failureBucketId: analysis.failureBucketId, frames: analysis.stack ?? [] }),
      'AV_VRF_W_myfault!unknown_function',
    );
  });

  test('without one, the bug check code and the first frame outside nt and the HAL, offsets stripped', () => {
    const analysis = parseAnalyze(readFileSync(join(fixtures, 'analyze-v.special-pool-d6.txt'), 'utf8'));
    const frames = analysis.stack ?? [];
    equal(bucketId({ code: 0xd6, failureBucketId: null, frames }), signature(0xd6, frames));
    equal(
      signature(0xd6, [
        { module: 'nt', function: 'KeBugCheckEx' },
        { module: 'hal', function: 'HalpMcaExceptionHandler' },
        { module: 'myfault', function: 'MyfaultOverrun+0x2c' },
        { module: 'nt', function: 'IofCallDriver' },
      ]),
      '0xD6_myfault!MyfaultOverrun',
    );
  });

  test('two load addresses of one fault land in one bucket; a stack of only nt is unknown', () => {
    const a = signature(0xa, [{ module: 'baddriver', function: 'Dispatch+0x1be1' }]);
    const b = signature(0xa, [{ module: 'BadDriver.sys', function: 'Dispatch+0x2000' }]);
    equal(a, b);
    equal(signature(0x3b, [{ module: 'nt', function: 'KiPageFault' }]), '0x3B_unknown');
    equal(signature(0xd1, [{ module: 'baddriver', function: null }]), '0xD1_baddriver!unknown_function');
  });
});
