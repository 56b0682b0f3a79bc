/**
 * The simulated debugger run in-process (runKd with streams), on a dump opened through a test
 * double opener: kd's own commands, the -z banner and the command line.
 */
import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { windows10Identity } from '../../../test/kits/sim/target.testkit.js';
import { openDumpTarget } from '../kernel/dump.js';
import type { DebugTarget, TargetIdentity } from '../ports.js';
import { parseKdArguments } from './args.js';
import { echoText, splitCommands } from './commands.js';
import { type KdDependencies, runKd } from './console.js';

const kFixture = readFileSync(
  join(fileURLToPath(new URL('../../kd/fixtures/', import.meta.url)), 'k.special-pool.txt'),
  'utf8',
);

/** A crash dump as a DebugTarget: always stopped, answers `k` from the seed, refuses to run. */
class DumpDouble implements DebugTarget {
  readonly executed: string[] = [];
  identity(): TargetIdentity {
    return windows10Identity(611.5);
  }
  isStopped(): boolean {
    return true;
  }
  currentProcessor(): number | null {
    return 0;
  }
  async breakIn(): Promise<string> {
    return '';
  }
  async execute(command: string): Promise<string> {
    this.executed.push(command);
    if (command === 'k') return kFixture;
    throw new Error(`no answer for '${command}'`);
  }
  async resume(): Promise<void> {
    throw new Error('a dump cannot run');
  }
  async reboot(): Promise<void> {
    throw new Error('a dump cannot reboot');
  }
  async answerVerifier(): Promise<string> {
    return '';
  }
}

/** Runs the console with kd's arguments; lets a test type lines and read what it printed. */
function console(argv: string[], deps: Partial<KdDependencies> = {}) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exit = runKd(argv, { stdin, stdout, stderr, env: {} }, { dumpOpener: null, ...deps });
  return {
    exit,
    out: () => out,
    err: () => err,
    type: (text: string) => stdin.write(text),
    /** Ends kd's standard input, as a closed pipe does. */
    end: () => stdin.end(),
    /** Waits until the output ends with a prompt, counting `n` prompts in all. */
    prompts: async (n: number) => {
      for (let i = 0; i < 400 && (out.match(/0: kd> /g) ?? []).length < n; i += 1) {
        await new Promise((r) => setTimeout(r, 5));
      }
      expect.equal((out.match(/0: kd> /g) ?? []).length, n, `expected ${n} prompts in:\n${out}`);
    },
  };
}

describe('the simulated debugger on a dump (-z)', () => {
  it('opens the dump through the opener, prints the dump banner and a prompt, and answers commands', async () => {
    const target = new DumpDouble();
    const opened: string[] = [];
    const kd = console(['-z', 'C:\\Windows\\MEMORY.DMP', '-y', 'srv*'], {
      dumpOpener: async (path) => {
        opened.push(path);
        return target;
      },
    });
    await kd.prompts(1);
    expect.deepEqual(opened, ['C:\\Windows\\MEMORY.DMP']);
    const banner = kd.out();
    expect.match(
      banner,
      /reserved\.\n\nLoading Dump File \[C:\\Windows\\MEMORY\.DMP\]\nKernel Bitmap Dump File: /,
    );
    expect.match(banner, /\nWindows 10 Kernel Version 19041 MP \(4 procs\) Free x64\n/);
    expect.match(banner, /\nSystem Uptime: 0 days 0:10:11\.500\n/);
    expect.match(banner, /For analysis of this file, run !analyze -v\n0: kd> $/);

    kd.type('k\n');
    await kd.prompts(2);
    expect.ok(kd.out().endsWith(`0: kd> ${kFixture}0: kd> `), 'k printed the seed stack, then a prompt');

    kd.type('g\n');
    await kd.prompts(3);
    expect.match(kd.out(), /0: kd> {8}\^ No runnable debuggees error in 'g'\n0: kd> $/);
    // kd read the registers for the instruction line under its banner (this double has none to give).
    expect.deepEqual(target.executed, ['r', 'k']);

    kd.type('q\n');
    expect.equal(await kd.exit, 0);
  });

  it('repeats the last command on an empty line, as kd does', async () => {
    const target = new DumpDouble();
    const kd = console(['-z', 'Mini112526-01.dmp'], { dumpOpener: async () => target });
    await kd.prompts(1);
    expect.match(kd.out(), /Mini Kernel Dump File: Only registers and stack trace are available\n/);
    kd.type('k\n\n');
    await kd.prompts(3);
    expect.deepEqual(target.executed, ['r', 'k', 'k']);
    kd.type('qq\n');
    expect.equal(await kd.exit, 0);
  });

  it("runs kd's own commands: .echo with its quoting rules, .sympath, several commands on a line", async () => {
    const kd = console(['-z', 'MEMORY.DMP'], { dumpOpener: async () => new DumpDouble() });
    await kd.prompts(1);
    const before = kd.out().length;
    kd.type(
      '.echo "a;b"\n.echo first; .echo second\n.echo    spaced out   \n.sympath srv*c:\\sym;c:\\more\n',
    );
    await kd.prompts(5);
    expect.equal(
      kd.out().slice(before),
      'a;b\n0: kd> first\nsecond\n0: kd> spaced out\n0: kd> Symbol search path is: srv*c:\\sym;c:\\more\nExpanded Symbol search path is: srv*c:\\sym;c:\\more\n0: kd> ',
    );
    kd.type('\x02\n');
    expect.equal(await kd.exit, 0);
  });

  it('says so when it was started without a dump opener', async () => {
    const kd = console(['-z', 'MEMORY.DMP']);
    expect.equal(await kd.exit, 1);
    expect.match(kd.err(), /was started without a dump opener, so it cannot open dump files/);
  });

  it('answers a dump that cannot be opened as kd does', async () => {
    const kd = console(['-z', 'C:\\nowhere\\MEMORY.DMP'], {
      dumpOpener: () => Promise.reject(Object.assign(new Error('no such file'), { code: 'ENOENT' })),
    });
    expect.equal(await kd.exit, 1);
    expect.match(
      kd.out(),
      /Could not open dump file \[C:\\nowhere\\MEMORY\.DMP\], Win32 error 0n2\n {4}"The system cannot find the file specified\."\n$/,
    );
  });

  it('reads the end of its input in order: a dump it is still opening fails with its own exit code', async () => {
    let refuse: (error: Error) => void = () => {};
    const kd = console(['-z', 'C:\\nowhere\\MEMORY.DMP'], {
      dumpOpener: () =>
        new Promise((_, reject) => {
          refuse = reject;
        }),
    });
    kd.end();
    // The end has been read (a turn of the event loop) while the opener still works.
    await new Promise((r) => setImmediate(r));
    refuse(Object.assign(new Error('no such file'), { code: 'ENOENT' }));
    expect.equal(await kd.exit, 1);
    expect.match(kd.out(), /Could not open dump file \[C:\\nowhere\\MEMORY\.DMP\], Win32 error 0n2\n/);
  });

  it('runs the lines that came before the end of its input, then quits', async () => {
    const target = new DumpDouble();
    let open: (t: DebugTarget) => void = () => {};
    const kd = console(['-z', 'MEMORY.DMP'], {
      dumpOpener: () =>
        new Promise((resolve) => {
          open = resolve;
        }),
    });
    kd.type('k\n');
    kd.end();
    await new Promise((r) => setImmediate(r));
    open(target);
    expect.equal(await kd.exit, 0);
    expect.deepEqual(target.executed, ['r', 'k']);
    expect.ok(kd.out().endsWith(`0: kd> ${kFixture}0: kd> `), 'k printed the seed stack, then a prompt');
  });

  it("answers a missing dump with kd's Win32 error 0n2 through the kernel's opener too, whose error wraps the file system's", async () => {
    const missing = join(fileURLToPath(new URL('.', import.meta.url)), 'no-such-dump', 'MEMORY.DMP');
    const kd = console(['-z', missing], { dumpOpener: openDumpTarget });
    expect.equal(await kd.exit, 1);
    expect.match(kd.out(), /\], Win32 error 0n2\n {4}"The system cannot find the file specified\."\n$/);
  });
});

describe("the simulated debugger's command line", () => {
  it('takes the options driverlab uses, in either form', () => {
    expect.deepEqual(
      parseKdArguments(['-k', 'net:port=50011,key=1.2.3.4', '/y', 'srv*', '-logo', 'kd.log', '-bonc']),
      {
        ok: true,
        args: {
          connection: { kind: 'net', port: 50011, key: '1.2.3.4', target: null },
          symbols: 'srv*',
          log: { path: 'kd.log', append: false },
          initialCommand: null,
          breakOnConnect: true,
          notes: [],
        },
      },
    );
    const pipe = parseKdArguments(['-k', 'com:pipe,port=\\\\.\\pipe\\win11-a_com1,resets=0,reconnect']);
    expect.deepEqual(pipe.ok && pipe.args.connection, {
      kind: 'pipe',
      port: '\\\\.\\pipe\\win11-a_com1',
      resets: 0,
      reconnect: true,
    });
  });

  it('refuses what it does not know, and a KDNET port kd would refuse', () => {
    expect.deepEqual(parseKdArguments(['-k', 'net:port=50011,key=1.2.3.4', '-frobnicate']).ok, false);
    const low = parseKdArguments(['-k', 'net:port=4000,key=1.2.3.4']);
    expect.ok(
      !low.ok && low.message.startsWith('kd: the KDNET port 4000 is outside 49152-65535'),
      'port refused',
    );
    expect.equal(parseKdArguments(['-y', 'srv*']).ok, false);
  });

  it('splits lines at semicolons except inside quotes and for commands that take the rest of the line', () => {
    expect.deepEqual(splitCommands('k; !analyze -v'), ['k', '!analyze -v']);
    expect.deepEqual(splitCommands('.echo "a;b"; k'), ['.echo "a;b"', 'k']);
    expect.deepEqual(splitCommands('.sympath srv*a;b'), ['.sympath srv*a;b']);
    expect.equal(echoText(' "quoted; text" ignored'), 'quoted; text');
    expect.equal(echoText('plain  '), 'plain');
  });
});
