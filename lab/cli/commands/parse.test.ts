import { strict as expect } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { kinds, parsers } from '../../parsers/index.js';
import type { CliIo } from '../command.js';
import { main } from '../main.js';

const FIXTURES = fileURLToPath(new URL('../../parsers/fixtures/', import.meta.url));

function capture(
  stdin = '',
  env: NodeJS.ProcessEnv = {},
): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      readStdin: async (maxBytes = Number.POSITIVE_INFINITY) =>
        Buffer.byteLength(stdin) > maxBytes ? null : stdin,
      cwd: FIXTURES,
      env,
    },
    out: () => out,
    err: () => err,
  };
}

const firstFixture = (kind: string) =>
  readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.txt') && f.slice(0, f.indexOf('.')) === kind)
    .sort()[0];

describe('driverlab parse', () => {
  for (const kind of kinds) {
    it(`prints the ${kind} parser's value as one JSON object, and refuses unreadable text with one sentence`, async () => {
      const file = firstFixture(kind);
      expect.ok(file, `a fixture for ${kind}`);
      const ok = capture();
      expect.equal(await main(['parse', kind, file as string], ok.io), 0);
      expect.equal(ok.err(), '');
      const printed = JSON.parse(ok.out()) as unknown;
      expect.equal(ok.out(), `${JSON.stringify(printed, null, 2)}\n`);
      expect.deepEqual(parsers[kind].schema.parse(printed), printed);

      const bad = capture('no debugger output here\n');
      expect.equal(await main(['parse', kind, '-'], bad.io), 1);
      expect.equal(bad.out(), '');
      expect.match(bad.err(), /^The [\w-]+ parser could not read this text because .+\.\n$/);
      expect.equal(bad.err().trim().split('\n').length, 1);
    });
  }

  it('refuses input past its size limit unread, with one sentence', async () => {
    const c = capture('x'.repeat(2048), { DRIVERLAB_PARSE_MAX_BYTES: '1024' });
    expect.equal(await main(['parse', 'locks', '-'], c.io), 1);
    expect.equal(
      c.err(),
      "Standard input holds more than 1 KB, more than the 1 KB 'driverlab parse' reads (no kd or tool output it knows is that long), so it was not read; give it the output of one command, or raise the limit with DRIVERLAB_PARSE_MAX_BYTES.\n",
    );
    const file = firstFixture('locks') as string;
    const f = capture('', { DRIVERLAB_PARSE_MAX_BYTES: '16' });
    expect.equal(await main(['parse', 'locks', file], f.io), 1);
    expect.match(
      f.err(),
      new RegExp(
        `^The input file '${file}' holds [\\d.]+ (bytes|KB), more than the 16 bytes 'driverlab parse' reads`,
      ),
    );
  });

  it('shows control characters of the input escaped, so a pasted file cannot drive the terminal', async () => {
    const c = capture('\u001b]0;owned\u0007\u001b[2J not a lock list\n');
    expect.equal(await main(['parse', 'locks', '-'], c.io), 1);
    const controls = [...c.err()].filter(
      (ch) => ch !== '\n' && (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f),
    );
    expect.deepEqual(controls, [], c.err());
    expect.match(c.err(), /\\x1b\]0;owned\\x07\\x1b\[2J/);
  });

  it('reads standard input when no file is named', async () => {
    const c = capture('    8: kd> !locks\n    84372 total locks, 2 locks currently held\n');
    expect.equal(await main(['parse', 'locks'], c.io), 0);
    expect.deepEqual(JSON.parse(c.out()), {
      resources: [],
      totalLocks: 84372,
      heldLocks: 2,
      truncated: false,
    });
  });

  it('prints a transcript as {commands: [{command, kind, value, error}]}', async () => {
    const c = capture();
    expect.equal(await main(['parse', 'auto', join(FIXTURES, 'auto.commit-failures-session.txt')], c.io), 0);
    const { commands } = JSON.parse(c.out()) as {
      commands: { command: string; kind: string | null; value: unknown; error: unknown }[];
    };
    expect.deepEqual(
      commands.map((x) => Object.keys(x)),
      [
        ['command', 'kind', 'value', 'error'],
        ['command', 'kind', 'value', 'error'],
        ['command', 'kind', 'value', 'error'],
      ],
    );
    expect.deepEqual(commands.slice(1), [
      {
        command: 'dc nt!MiChargeCommitmentFailures L4',
        kind: 'dwords',
        value: { rows: [{ address: '0xfffff80001e45ce0', values: [0, 48440, 0, 0] }] },
        error: null,
      },
      { command: '?0000bd38', kind: null, value: null, error: null },
    ]);
  });

  it('says which kind it does not know, with a suggestion, exit 2', async () => {
    const c = capture();
    expect.equal(await main(['parse', 'stak', 'x.txt'], c.io), 2);
    expect.equal(
      c.err(),
      "'stak' is not a parser kind of 'driverlab parse'; run 'driverlab parse --help' to see the kinds. Did you mean 'stack'?\n",
    );
  });

  it('asks for a kind and refuses a second file or an unknown option, exit 2', async () => {
    const none = capture();
    expect.equal(await main(['parse'], none.io), 2);
    expect.match(
      none.err(),
      /^'driverlab parse' needs a kind \(one of analyze, stack, .*\); run 'driverlab parse --help' for what each reads\.\n$/,
    );
    const two = capture();
    expect.equal(await main(['parse', 'lm', 'a.txt', 'b.txt'], two.io), 2);
    expect.equal(
      two.err(),
      "'driverlab parse' takes one input file, not also 'b.txt'; pass one file or '-' for standard input.\n",
    );
    const opt = capture();
    expect.equal(await main(['parse', '--json', 'lm'], opt.io), 2);
    expect.equal(
      opt.err(),
      "'driverlab parse' has no option '--json'; run 'driverlab parse --help' to see its usage.\n",
    );
  });

  it('says when the input file cannot be read, exit 1', async () => {
    const c = capture();
    expect.equal(await main(['parse', 'lm', 'missing.txt'], c.io), 1);
    expect.equal(
      c.err(),
      "The input file 'missing.txt' could not be read (ENOENT); check the path and that it is a readable text file.\n",
    );
  });

  it('lists every kind with a one-line description in --help', async () => {
    const c = capture();
    expect.equal(await main(['parse', '--help'], c.io), 0);
    for (const kind of kinds) expect.match(c.out(), new RegExp(`^  ${kind} +\\S.+$`, 'm'));
  });
});
