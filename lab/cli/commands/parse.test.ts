import { strict as expect } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { kinds, parsers } from '../../parsers/index.js';
import type { CliIo } from '../command.js';
import { main } from '../main.js';

const FIXTURES = fileURLToPath(new URL('../../parsers/fixtures/', import.meta.url));

function capture(stdin = ''): { io: CliIo; out: () => string; err: () => string } {
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
      readStdin: async () => stdin,
      cwd: FIXTURES,
      env: {},
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
