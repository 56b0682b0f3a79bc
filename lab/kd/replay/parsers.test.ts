/**
 * What real kd printed, read by driverlab's parsers: every `!analyze -v` and `k`/`kb` output in the
 * replay corpus — old layouts (the seed's) and new ones (` # ` frame numbers, the Analysis.*,
 * Bugcheck.Code.*, Dump.Attributes.*, Hypervisor.Flags.* keys) — parses, and the values a reader sees
 * in the text come out.
 */
import { strict as expect } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parsers } from '../../parsers/index.js';
import { parseRecording } from './recording.js';

const corpus = new URL('./corpus/', import.meta.url);
const outputs = readdirSync(corpus)
  .filter((n) => n.endsWith('.txt'))
  .flatMap((name) => {
    const recording = parseRecording(readFileSync(new URL(name, corpus), 'utf8'), name);
    return recording.steps
      .filter((s) => s.closed)
      .map((s) => ({ name, command: s.command.trim(), text: s.output.map((l) => `${l}\n`).join('') }));
  });

describe('the parsers read what real kd printed', () => {
  it('reads every closed !analyze -v of the corpus, the new keys included', () => {
    const analyses = outputs.filter((o) => o.command === '!analyze -v');
    expect.ok(analyses.length >= 3, `${analyses.length} analyses`);
    const read = analyses.map((o) => parsers.analyze.parse(o.text));
    const live = read.find((r) => r.bugcheck.code === '0x50');
    expect.equal(live?.bugcheck.name, 'PAGE_FAULT_IN_NONPAGED_AREA');
    expect.equal(live?.keyValues['Bugcheck.Code.KiBugCheckData'], '0x50');
    expect.equal(live?.keyValues['Hypervisor.Flags.AnyHypervisorPresent'], '1');
    const dump = read.find((r) => r.bugcheck.code === '0x124');
    expect.equal(dump?.keyValues['Dump.Attributes.KernelGeneratedTriageDump'], '1');
    expect.equal(dump?.keyValues.BLACKBOXPNP, '1 (!blackboxpnp)');
  });

  it('reads every closed k of the corpus, old layout and " # " frame numbers alike', () => {
    // A blog's own elisions (……) are not kd's output; those stacks are left to the replay test.
    const stacks = outputs.filter((o) => o.command === 'k' && !o.text.includes('……'));
    expect.ok(stacks.length >= 2, `${stacks.length} stacks`);
    for (const o of stacks) {
      const frames = parsers.stack.parse(o.text).frames;
      expect.ok(frames.length > 0, `frames in the k of ${o.name}`);
    }
  });
});
