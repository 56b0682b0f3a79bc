/**
 * The streaming entry points read what the in-memory parsers read, whatever the chunk
 * boundaries (mid-line, mid-CRLF, mid multi-byte character) and also line by line.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../../../test/fuzz.testkit.js';
import { fixture, fixturesOf } from '../../../test/kits/parsers/tests/fixtures.testkit.js';
import { ParseError, parseIrpLogStream, parsers, parseTranscriptStream } from '../index.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function chunks(text: string, cuts: number[], asBytes: boolean): (string | Uint8Array)[] {
  const data = asBytes ? new TextEncoder().encode(text) : text;
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: (string | Uint8Array)[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    out.push(data.slice(from, p));
    from = p;
  }
  return out;
}

describe('streaming', () => {
  it('parseIrpLogStream yields the entries parseVerifierIrpLog reads, for any chunking of the log', async () => {
    const text = fixture('verifier-irplog.apc-disabled').replace(/\n/g, '\r\n');
    const expected = parsers['verifier-irplog'].parse(text).entries;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), async (cuts, asBytes) => {
        expect.deepEqual(await collect(parseIrpLogStream(chunks(text, cuts, asBytes))), expected);
      }),
      { numRuns: fuzzRuns(200) },
    );
  });

  it('parseIrpLogStream also takes lines (as readline yields them)', async () => {
    const text = fixture('verifier-irplog.apc-disabled');
    const entries = await collect(parseIrpLogStream(text.split('\n'), { lines: true }));
    expect.deepEqual(entries, parsers['verifier-irplog'].parse(text).entries);
  });

  it('parseIrpLogStream throws ParseError with the line number of a line that is not a log line', async () => {
    const lines = fixture('verifier-irplog.apc-disabled').split('\n');
    lines.splice(4, 0, '    not an IRP log line');
    await expect.rejects(
      collect(parseIrpLogStream([lines.join('\n')])),
      (e: unknown) => e instanceof ParseError && e.line === 5,
    );
  });

  it('parseTranscriptStream yields what the validating parseTranscript reads for every debugger command fixture, with LF or CRLF, for any chunking', async () => {
    // The stream skips the zod pass (see built.ts); this keeps its values equal to the validated ones.
    const commandOf: Record<string, string> = {
      analyze: '!analyze -v',
      stack: 'kvn',
      pool: '!pool fffffa8003f42000',
      pte: '!pte fffff9800b5ff000',
      thread: '!thread',
      irp: '!irp 0x831f4a00',
      verifier: '!verifier',
      'verifier-irplog': '!verifier 100',
      vm: '!vm 1',
      locks: '!locks',
      lm: 'lm',
      poolused: '!poolused 2',
      pendingnbls: '!ndiskd.pendingnbls',
      miniport: '!ndiskd.miniport fffffa800d6ae1a0',
      'bugcheck-banner': '.bugcheck',
      registers: 'r',
      dwords: 'dc nt!MiChargeCommitmentFailures L4',
    };
    let lf = '';
    for (const [kind, command] of Object.entries(commandOf)) {
      for (const name of fixturesOf(kind)) {
        const lines = fixture(name).split(/\r?\n/);
        const typed = lines.map((l) => /^\s*(?:\d+: )?kd> (.*)$/.exec(l)?.[1]).find((c) => c !== undefined);
        const body = lines.filter((l) => !/^\s*(?:\d+: )?kd> /.test(l)).join('\n');
        lf += `3: kd> ${typed?.trim() || command}\n${body}\n`;
      }
    }
    for (const text of [lf, lf.replace(/\n/g, '\r\n')]) {
      const expected = parsers.auto.parse(text).commands;
      expect.ok(expected.length >= 30 && expected.every((c) => c.kind !== null));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), async (cuts, asBytes) => {
          expect.deepEqual(await collect(parseTranscriptStream(chunks(text, cuts, asBytes))), expected);
        }),
        { numRuns: fuzzRuns(40) },
      );
      expect.deepEqual(await collect(parseTranscriptStream(text.split(/\r?\n/), { lines: true })), expected);
    }
  });

  it('parseTranscriptStream yields the commands parseTranscript reads, for any chunking', async () => {
    const text = fixture('auto.special-pool-session');
    const expected = parsers.auto.parse(text).commands;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), async (cuts, asBytes) => {
        expect.deepEqual(await collect(parseTranscriptStream(chunks(text, cuts, asBytes))), expected);
      }),
      { numRuns: fuzzRuns(100) },
    );
  });
});
