import { equal, rejects } from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadWaivers } from './waivers.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-waivers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (text: string) => {
  const path = join(dir, `${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
};
const today = new Date('2027-01-31T12:00:00Z');

describe('waivers', () => {
  test('a waiver holds through its expiry day and covers a bucket or a scenario by its title', async () => {
    const w = await loadWaivers(
      file(
        'waivers:\n  - bucket: "0xD6_myfault!MyfaultOverrun"\n    justification: "BUG-1234"\n    owner: storage-team\n    expires: 2027-01-31\n  - scenario: "Special pool › an overrun"\n    justification: "BUG-9"\n    owner: verifier-team\n    expires: 2027-02-01\n',
      ),
      today,
    );
    equal(w.covering('X › y', '0xD6_myfault!MyfaultOverrun')?.owner, 'storage-team');
    equal(w.covering('Special pool › an overrun', null)?.owner, 'verifier-team');
    equal(w.covering('X › y', '0xA_other!f'), null);
  });

  test('no file is no waiver', async () => {
    equal((await loadWaivers(join(dir, 'absent.yaml'), today)).list.length, 0);
  });

  test('a waiver naming both a bucket and a scenario, or an unknown key, is refused', async () => {
    await rejects(
      loadWaivers(
        file(
          'waivers:\n  - bucket: a\n    scenario: b\n    justification: j\n    owner: o\n    expires: 2027-02-01\n',
        ),
        today,
      ),
      { message: /is not valid: waiver 1 must name exactly one of bucket or scenario; each waiver needs/ },
    );
    await rejects(
      loadWaivers(
        file(
          'waivers:\n  - bucket: a\n    justification: j\n    owner: o\n    expires: 2027-02-01\n    reason: x\n',
        ),
        today,
      ),
      {
        message:
          /is not valid: waiver 1 has an unknown key 'reason' \(allowed: bucket, scenario, justification, owner, expires\); /,
      },
    );
  });

  test('an expiry that is not a day is refused, and so is a past one', async () => {
    await rejects(
      loadWaivers(
        file('waivers:\n  - bucket: a\n    justification: j\n    owner: o\n    expires: next week\n'),
        today,
      ),
      {
        message: /is not valid: waiver 1\.expires must be a date written as YYYY-MM-DD \(got "next week"\); /,
      },
    );
    await rejects(
      loadWaivers(
        file('waivers:\n  - bucket: a\n    justification: j\n    owner: o\n    expires: 2027-01-30\n'),
        today,
      ),
      {
        name: 'ConfigurationError',
        message:
          /^Waiver 1 in '.*' \(bucket 'a', owner o, "j"\) expired on 2027-01-30, so that failure would no longer be known; renew it with a new date if it still is, or remove it\.$/,
      },
    );
  });
});
