/**
 * The streaming entry points read what the in-memory parsers read, whatever the chunk
 * boundaries (mid-line, mid-CRLF, mid multi-byte character) and also line by line.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ParseError, parseIrpLogStream, parsers, parseTranscriptStream } from '../index.js';
import { fixture } from './fixtures.js';

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
      { numRuns: 200 },
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

  it('parseTranscriptStream yields the commands parseTranscript reads, for any chunking', async () => {
    const text = fixture('auto.special-pool-session');
    const expected = parsers.auto.parse(text).commands;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), async (cuts, asBytes) => {
        expect.deepEqual(await collect(parseTranscriptStream(chunks(text, cuts, asBytes))), expected);
      }),
      { numRuns: 100 },
    );
  });
});
