import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { DriverFault } from './embedded.js';

describe('the driver fault schema', () => {
  it('takes the I/O routines the simulated kernel knows, and the seed case by default', () => {
    expect.deepEqual(DriverFault.parse({ kind: 'io-with-apcs-disabled' }), {
      kind: 'io-with-apcs-disabled',
      call: 'FltGetVolumeGuidName',
      irps: 3,
    });
    const read = DriverFault.parse({ kind: 'io-with-apcs-disabled', call: 'ZwReadFile', trigger: 'read' });
    expect.equal(read.kind === 'io-with-apcs-disabled' && read.call, 'ZwReadFile');
  });

  it('refuses a routine it cannot model, naming the ones it can', () => {
    const result = DriverFault.safeParse({ kind: 'io-with-apcs-disabled', call: 'IoGetDeviceInterfaces' });
    expect.equal(result.success, false);
    expect.match(result.error?.issues[0]?.message ?? '', /FltGetVolumeGuidName.*ZwReadFile/);
  });
});
