/**
 * Bounded resources: every reader of a file a user hands driverlab refuses one far larger than its
 * kind ever is (50 MB of random bytes here) by its size, unread, with one sentence — the lab file,
 * a secret file, the gate's policy and waivers, a run's Allure results — and a debugger that prints
 * without end fills its transcript only up to a limit. The memory each costs is measured and
 * reported (t.diagnostic); the tests assert what is kept, never how long anything takes.
 * (`driverlab parse` has its own limit, tested in lab/cli/commands/parse.test.ts.)
 */
import { equal, match, ok, rejects, throws } from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadLabFile } from '../config/lab-file.js';
import { Redactor, resolveSecret } from '../config/secrets.js';
import { ConfigurationError } from '../errors.js';
import { loadPolicy } from '../gate/policy.js';
import { loadWaivers } from '../gate/waivers.js';
import { KdTranscript } from '../kd/transcript.js';
import { readAllureResults } from '../report/allure-results.js';

const MB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'driverlab-bounded-'));
/** 50 MB of random bytes, written a megabyte at a time. */
const big = join(dir, 'random.bin');

before(() => {
  const fd = openSync(big, 'w');
  try {
    for (let i = 0; i < 50; i += 1) writeSync(fd, randomBytes(MB));
  } finally {
    closeSync(fd);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The file under another name (a hard link: no second 50 MB on the disk). */
function named(name: string): string {
  const path = join(dir, name);
  linkSync(big, path);
  return path;
}

/** How much resident memory `work` added, in MB (a figure to read, not to assert on timing). */
async function rssGrowth<T>(work: () => Promise<T> | T): Promise<{ value: T; mb: number }> {
  const before = process.memoryUsage().rss;
  const value = await work();
  return { value, mb: Math.round(((process.memoryUsage().rss - before) / MB) * 10) / 10 };
}

describe('a file of 50 MB of random bytes', () => {
  test('given as the lab file is refused unread, with a sentence', async (t) => {
    const path = named('lab.yaml');
    const { mb } = await rssGrowth(() =>
      rejects(loadLabFile(path), (error: Error) => {
        ok(error instanceof ConfigurationError);
        equal(
          error.message,
          `The lab file '${path}' holds 50 MB, more than the 4 MB a lab file may hold, so it was not read; check that --lab or DRIVERLAB_LAB names the lab's YAML file.`,
        );
        return true;
      }),
    );
    t.diagnostic(`resident memory added: ${mb} MB`);
    ok(mb < 25, `the refusal held no copy of the file (${mb} MB added)`);
  });

  test('given as a secret file is refused unread, with a sentence', async (t) => {
    const path = named('kdnet.key');
    const { mb } = await rssGrowth(() =>
      throws(
        () =>
          resolveSecret({ file: path }, "the KDNET key of VM 'win11-a'", {
            baseDir: dir,
            env: {},
            redactor: new Redactor(),
          }),
        {
          message: `The KDNET key of VM 'win11-a' is read from the secret file '${path}', which holds 50 MB, more than the 64 KB a secret file may hold, so it was not read; put only the secret in it.`,
        },
      ),
    );
    t.diagnostic(`resident memory added: ${mb} MB`);
    ok(mb < 25, `the refusal held no copy of the file (${mb} MB added)`);
  });

  test("given as the gate's policy or waivers is refused unread, with a sentence", async (t) => {
    const policy = named('policy.yaml');
    const waivers = named('waivers.yaml');
    const { mb } = await rssGrowth(async () => {
      await rejects(loadPolicy(policy), {
        message: `The gate policy '${policy}' holds 50 MB, more than the 4 MB a policy may hold, so it was not read; name the policy's YAML file with --policy.`,
      });
      await rejects(loadWaivers(waivers), {
        message: `The waivers file '${waivers}' holds 50 MB, more than the 4 MB a waivers file may hold, so it was not read and no run or gate can trust it; restore lab/waivers.yaml.`,
      });
    });
    t.diagnostic(`resident memory added: ${mb} MB`);
    ok(mb < 25, `the refusals held no copy of the files (${mb} MB added)`);
  });

  test("among a run's Allure results is named unreadable, unread, and the others are read", async (t) => {
    const results = join(dir, 'allure-results');
    mkdirSync(results);
    linkSync(big, join(results, 'aaaa-result.json'));
    const { mb, value } = await rssGrowth(() => readAllureResults(results));
    t.diagnostic(`resident memory added: ${mb} MB`);
    equal(value.results.length, 0);
    equal(value.unreadable.length, 1);
    equal(
      value.unreadable[0]?.reason,
      'it holds 50 MB, more than the 16 MB a result file may hold, so it was not read',
    );
    ok(mb < 25, `the refusal held no copy of the file (${mb} MB added)`);
  });

  test('printed by the debugger fills its transcript only up to its limit, and says what was cut', async (t) => {
    const limit = 4 * MB;
    const transcript = new KdTranscript(new Redactor(), limit);
    const { mb, value } = await rssGrowth(() => {
      // kd's output arrives in pieces; here 50 pieces of a megabyte of random bytes each.
      for (let i = 0; i < 50; i += 1) transcript.output(randomBytes(MB).toString('latin1'));
      return transcript.text();
    });
    t.diagnostic(`resident memory added: ${mb} MB`);
    ok(value.length < limit + 200, `${value.length} characters kept`);
    match(
      value,
      new RegExp(
        `\\n\\[driverlab: kd printed ${50 * MB - limit} more characters after these; a transcript keeps the first ${limit}\\]\\n$`,
      ),
    );
  });
});
