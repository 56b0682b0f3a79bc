import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TimeFile } from './shared-time.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-shared-time-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = () => join(dir, `time-${files++}`);

/** Writes `labMs` into the file as another process's late write would: over whatever it held. */
function overwrite(path: string, labMs: number): void {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(labMs, 0);
  writeFileSync(path, b);
}

describe('TimeFile: the lab time the embedded lab processes share', () => {
  it('starts at 0 and moves forward, never back', () => {
    const t = new TimeFile(fresh());
    assert.equal(t.read(), 0);
    assert.equal(t.advanceTo(5000), 5000);
    assert.equal(t.advanceTo(3000), 5000);
    assert.equal(t.read(), 5000);
    t.close(true);
  });

  it("lets each process see the other's advance", () => {
    const path = fresh();
    const harness = new TimeFile(path);
    const host = new TimeFile(path);
    host.advanceTo(40_000);
    assert.equal(harness.read(), 40_000);
    harness.advanceTo(48_000);
    assert.equal(host.read(), 48_000);
    harness.close();
    host.close(true);
  });

  it('never goes back for a process when another wrote an earlier time over a later one', () => {
    // Two advances at once: the harness wrote 200 s, then the host's write of 150 s, read before
    // the harness's, landed over it.
    const path = fresh();
    const harness = new TimeFile(path);
    const host = new TimeFile(path);
    harness.advanceTo(200_000);
    overwrite(path, 150_000);
    assert.equal(harness.read(), 200_000, "the harness's time went back");
    assert.equal(host.read(), 150_000);
    // The harness's next advance, even to a time it has passed, puts its later time back for all.
    assert.equal(harness.advanceTo(190_000), 200_000);
    assert.equal(host.read(), 200_000);
    harness.close();
    host.close(true);
  });

  it('ignores what is not a time (a short, negative or non-finite value) and keeps the time it had', () => {
    const path = fresh();
    const t = new TimeFile(path);
    t.advanceTo(1000);
    writeFileSync(path, Buffer.from([1, 2, 3]));
    assert.equal(t.read(), 1000);
    overwrite(path, -5);
    assert.equal(t.read(), 1000);
    overwrite(path, Number.NaN);
    assert.equal(t.read(), 1000);
    assert.equal(new TimeFile(path).read(), 0);
    t.close(true);
  });
});
