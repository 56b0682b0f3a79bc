/**
 * The contract other tools rely on: hex and frame conventions, pasted-text noise seen through,
 * cut-off rows dropped with `truncated`, and unreadable or localized text refused with a sentence.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { fixture } from '../../../test/kits/parsers/tests/fixtures.testkit.js';
import { ParseError, parseCallSite, parsers } from '../index.js';
import * as normalize from '../normalize.js';

describe('conventions: frames and hex values', () => {
  it('split call sites as the issue specifies', () => {
    const site = (text: string) => {
      const s = parseCallSite(text);
      return s && [s.module, s.function, s.offset];
    };
    expect.deepEqual(site('nt!KeBugCheckEx'), ['nt', 'KeBugCheckEx', null]);
    expect.deepEqual(site('nt!KiPageFault+0x16e'), ['nt', 'KiPageFault', '0x16e']);
    expect.deepEqual(site('baddriver+0x12be1'), ['baddriver', null, '0x12be1']);
    expect.deepEqual(site('baddriver +0x36523'), ['baddriver', null, '0x36523']);
    expect.deepEqual(site('0x000007fc`4fe22c5a'), [null, null, null]);
    expect.deepEqual(site("nt! ?? ::FNODOBFM::`string'+0x33c2b"), [
      'nt',
      "?? ::FNODOBFM::`string'",
      '0x33c2b',
    ]);
    expect.deepEqual(site('nt!MmAccessFault+0xffffffff`fff9c15c'), [
      'nt',
      'MmAccessFault',
      '0xfffffffffff9c15c',
    ]);
    expect.equal(parseCallSite('0x000007fc`4fe22c5a')?.address, '0x000007fc4fe22c5a');
  });

  it('write hex as 0x + lowercase, backticks removed, leading zeros kept', () => {
    const s = parsers.stack.parse(fixture('stack.k-special-pool'));
    expect.equal(s.frames[0]?.childSp, '0xfffff88004822658');
    const pte = parsers.pte.parse(fixture('pte.special-pool-guard-page'));
    expect.equal(pte.levels[0]?.address, '0xfffff6fb7dbedf98');
    expect.equal(pte.levels[3]?.contents, '0x0000000000000000');
  });
});

describe('pasted-text noise', () => {
  const original = fixture('stack.k-special-pool');
  const expected = parsers.stack.parse(original);

  it('sees through CRLF, tabs instead of spaces, trailing spaces and a processor-numbered prompt', () => {
    const crlf = original.replace(/\n/g, '  \r\n').replace(/^ {4}/gm, '\t').replace('kd> k', '3: kd> k');
    expect.deepEqual(parsers.stack.parse(crlf), expected);
  });

  it('sees through "> " quote prefixes and markdown-escaped backticks', () => {
    const quoted = original
      .split('\n')
      .map((l) => `> ${l.replace(/`/g, '\\`')}`)
      .join('\n');
    expect.deepEqual(parsers.stack.parse(quoted), expected);
  });

  it('skips symbol errors and missing dump pages between the rows', () => {
    const lines = original.split('\n');
    lines.splice(
      8,
      0,
      '    *** ERROR: Module load completed but symbols could not be loaded for myfault.sys',
    );
    lines.splice(14, 0, '    Page 1a2b3 not present in the dump file. Type ".hh dbgerr004" for details');
    expect.deepEqual(parsers.stack.parse(lines.join('\n')), expected);
  });

  it('reads the lkd> prompt of local kernel debugging in a transcript', () => {
    const { commands } = parsers.auto.parse(`lkd> k\n${original.replace(/^\s*kd> k\s*$/m, '')}`);
    expect.equal(commands[0]?.kind, 'stack');
    expect.deepEqual(commands[0]?.value, expected);
  });
});

describe('cut-off and unreadable input', () => {
  it('drops a cut-off last row and says truncated', () => {
    const lines = fixture('stack.stack-text-apc-trap').trimEnd().split('\n');
    lines[lines.length - 1] = '    00000000`0015dea8 000000';
    const s = parsers.stack.parse(lines.join('\n'));
    expect.equal(s.truncated, true);
    expect.equal(s.frames.length, 9);
  });

  it('drops a cut-off last IRP log frame line and says truncated', () => {
    const text = `${fixture('verifier-irplog.apc-disabled').trimEnd()}\n    fffff88004e7`;
    const log = parsers['verifier-irplog'].parse(text);
    expect.equal(log.truncated, true);
    expect.equal(log.entries[2]?.stack.length, 13);
  });

  it('refuses a line in the middle that is not a frame, naming the line', () => {
    const lines = fixture('stack.k-special-pool').split('\n');
    lines.splice(10, 0, '    this is not a frame');
    expect.throws(
      () => parsers.stack.parse(lines.join('\n')),
      (e: unknown) =>
        e instanceof ParseError &&
        e.kind === 'stack' &&
        e.line === 11 &&
        e.message ===
          "The stack parser could not read this text because a line inside the stack is not a stack frame at line 11 (it reads 'this is not a frame'); give it the complete, English output of k (or kb, kn, kp, kv, kc).",
    );
  });

  it('refuses localized output instead of half-reading it', () => {
    const german = [
      "Verfassername: 'System Writer'",
      '   Verfasserkennung: {e8132975-6f93-4464-a53e-1050253ae220}',
      '   Verfasserinstanzkennung: {7e631031-c695-4229-9da1-a7de057e64cb}',
      '   Status: [1] Stabil',
      '   Letzter Fehler: Kein Fehler',
      "Verfassername: 'Registrierungsverfasser für Äöü'",
    ].join('\n');
    expect.throws(
      () => parsers['vssadmin-writers'].parse(german),
      (e: unknown) => e instanceof ParseError && /is not in English/.test(e.message) && e.line === 1,
    );
  });

  it('refuses empty input for every kind with one sentence', () => {
    for (const [kind, parser] of Object.entries(parsers)) {
      expect.throws(
        () => parser.parse(''),
        (e: unknown) =>
          e instanceof ParseError && e.message.endsWith('.') && e.message.split('; ').length === 2,
        `kind ${kind}`,
      );
    }
  });
});

describe('prompts of a WoW64 target', () => {
  it('split a transcript at `32.2: kd:x86> ` as at `0: kd> `', () => {
    // The prompt form issue 15 names for a WoW64 process context; the output is the seed's `k`.
    const k = fixture('stack.k-special-pool');
    const t = parsers.auto.parse(`32.2: kd:x86> k\n${k.replace(/^\s*kd> k\n/, '')}\n32.2: kd:x86> `);
    expect.deepEqual(
      t.commands.map((c) => [c.command, c.kind, c.error]),
      [
        ['k', 'stack', null],
        ['', null, null],
      ],
    );
  });
});

describe('wrappings found around published captures', () => {
  const instances = fixture('fltmc-instances.recent-client');
  const read = (kind: 'fltmc-instances' | 'thread', text: string) => parsers[kind].parse(text);

  it('removes a code fence that sits inside a quote (`> ```output`)', () => {
    const quoted = ['```output', ...instances.split('\n'), '```'].map((l) => `> ${l}`).join('\n');
    expect.deepEqual(read('fltmc-instances', quoted), read('fltmc-instances', instances));
  });

  it("removes every prompt after the output (a shell's, then the debugger's)", () => {
    const text = `${instances.replace(/\n*$/, '')}\n\nC:\\Windows\\system32>\n0: kd> `;
    expect.deepEqual(read('fltmc-instances', text), read('fltmc-instances', instances));
  });

  it('removes markdown bold that a console wrap cut between its stars', () => {
    const line =
      'ffffa681`16596da0 fffff99b`3c0787b2     : ffffa681`16597248 00000000`00000005 00000000`6f707355 00000000`00000044 : **win32kbase!QueuePowerRequest**+0x187';
    const wrapped = (l: string) => [l.slice(0, 120), l.slice(120)].join('\n');
    const other =
      'ffffa681`16596e40 fffff99b`3c07b3c5     : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : win32kbase!xxxUserPowerCalloutWorker+0x42';
    const { normalizeText } = normalize;
    expect.equal(
      normalizeText(`${wrapped(line)}\n${wrapped(other)}`),
      `${line.replace(/\*\*/g, '')}\n${other}`,
    );
  });
});

describe("!verifier 100's header, as each debugger generation walks a verifier log", () => {
  // The two walk headers documented for `!verifier 0x80` (lab/parsers/README.md, "What is inferred").
  const vista = '# Parsing 00004000 array entries, searching for address fffff9800a3f4ee0.';
  const current = [
    'Log of recent kernel pool Allocate and Free operations:',
    '',
    'There are up to 0x10000 entries in the log.',
    '',
    'Parsing 0x00010000 log entries, searching for address 0xfffff9800a3f4ee0.',
  ].join('\n');
  const log = fixture('verifier-irplog.apc-disabled');
  const read = (text: string) => parsers['verifier-irplog'].parse(text);

  it('reads the same entries under either header', () => {
    const plain = read(log);
    expect.equal(plain.entries.length, 3);
    expect.deepEqual(read(`${vista}\n\n${log}`), plain);
    expect.deepEqual(read(`${current}\n\n${log}`), plain);
  });

  it('reads either header alone as a walked log with no entries, and nothing at all as a refusal', () => {
    expect.deepEqual(read(vista), { entries: [], truncated: false });
    expect.deepEqual(read(current), { entries: [], truncated: false });
    expect.throws(() => read('There are up to 0x10000 entries in the log.'), /holds no IRP log entry/);
  });
});
