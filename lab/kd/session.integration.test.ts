/**
 * KdSession against the simulated debugger executable (started as kd.exe would be) and a test
 * double target behind the real link: KDNET over loopback UDP, or the COM pipe.
 */
import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { debuggerChildren, noProc } from '../../test/kits/kd/kd.testkit.js';
import { windows10Identity } from '../../test/kits/sim/target.testkit.js';
import { type LabClock, virtualClock } from '../clock.js';
import { Redactor } from '../config/secrets.js';
import { claimKdnetPort } from '../endpoints.js';
import { HarnessLogicError, LabCompromisedError } from '../errors.js';
import { KdPipeTargetEndpoint } from '../sim/kdnet/pipe.js';
import { KdnetTargetEndpoint, type TargetEndpoint } from '../sim/kdnet/target.js';
import { embeddedDebuggerCommand } from '../sim/launch.js';
import type { DebugTarget, TargetIdentity } from '../sim/ports.js';
import type { BreakInStrategy } from './break-in.js';
import type { VerifierChoice, VerifierPolicy } from './port.js';
import { type KdConnection, KdSession, type KdTimeouts } from './session.js';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

/** The domain brief's example of a generated KDNET key (§3.1). */
const KEY = '2steg4fzbj2sz.23418vzkd4ko3.1g34ou07z4pev.1sp3yo9yz874p';
/** What kd prints on a break-in (domain brief §2.7). */
const BREAK_TEXT =
  'Break instruction exception - code 80000003 (first chance)\nnt!DbgBreakPointWithStatus:\nfffff805`473c46a0 cc              int     3\n';
/** Driver Verifier's question, as DbgPrompt prints it (Windows I/O verifier sources). */
const QUESTION = 'Break, Ignore, Zap, Remove, Disable all (bizrd)? ';

/** A target that answers from a table, stops and runs on request, and reboots through its endpoint. */
class DoubleTarget implements DebugTarget {
  stopped = false;
  endpoint: TargetEndpoint | undefined;
  readonly executed: string[] = [];
  readonly answers: VerifierChoice[] = [];
  stepCrashes = false;
  readonly outputs = new Map<string, string>([['k', fixture('k.special-pool.txt')]]);

  identity(): TargetIdentity {
    return windows10Identity(2.169);
  }
  isStopped(): boolean {
    return this.stopped;
  }
  currentProcessor(): number | null {
    return 0;
  }
  async breakIn(): Promise<string> {
    this.stopped = true;
    return BREAK_TEXT;
  }
  execute(command: string): Promise<string> {
    this.executed.push(command);
    if (command === '!hang') return new Promise(() => {});
    // `!analyze -v` loads every symbol first: slow the first time, quick after (issue 15 §2).
    if (command === '!analyze -v') {
      const first = !this.executed.slice(0, -1).includes('!analyze -v');
      return new Promise((resolve) => setTimeout(() => resolve('analysis\n'), first ? 1000 : 0));
    }
    // A step that runs into a bug check: kd prints the banner as the output of `p`.
    if (command === 'p' && this.stepCrashes) {
      this.stopped = true;
      return Promise.resolve(fixture('bugcheck.special-pool.txt'));
    }
    // A command the target answers late (a long walk of memory): kd may abandon it first.
    if (command === '!slow') return new Promise((resolve) => setTimeout(() => resolve('slow\n'), 1000));
    const output = this.outputs.get(command);
    return output === undefined
      ? Promise.reject(new Error(`no answer for '${command}'`))
      : Promise.resolve(output);
  }
  async resume(): Promise<void> {
    this.stopped = false;
  }
  async reboot(): Promise<void> {
    this.stopped = false;
    setTimeout(() => {
      this.endpoint?.notify({ kind: 'going-down', reason: 'reboot' });
      setTimeout(() => void this.endpoint?.start(), 30);
    }, 5);
  }
  async answerVerifier(choice: VerifierChoice): Promise<string> {
    this.answers.push(choice);
    if (choice !== 'b') return '';
    this.stopped = true;
    return BREAK_TEXT;
  }
  /** The kernel bugchecks while the debugger is attached. */
  crash(text: string): void {
    this.stopped = true;
    this.endpoint?.notify({ kind: 'bugcheck', text });
  }
  ask(text: string): void {
    this.endpoint?.notify({ kind: 'verifier-question', text });
  }
}

const endpoints: TargetEndpoint[] = [];
const sessions: KdSession[] = [];
after(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await Promise.all(endpoints.map((e) => e.stop()));
});

let nextHost = 21;
/**
 * A fresh host IP per test, so tests never share a KDNET endpoint, and a port this process holds
 * (lab/endpoints.ts), so a test run beside this one never listens on it either.
 */
function freshNet(): { hostIp: string; port: number } {
  nextHost += 1;
  const hostIp = `127.0.0.${nextHost}`;
  return { hostIp, port: claimKdnetPort(hostIp).port };
}

interface Rig {
  target: DoubleTarget;
  /** Where the debugger listens. */
  net: { hostIp: string; port: number };
  clock: LabClock;
  redactor: Redactor;
  start(options?: {
    connection?: KdConnection;
    policy?: VerifierPolicy;
    breakIn?: BreakInStrategy[];
    timeouts?: Partial<KdTimeouts>;
  }): Promise<KdSession>;
}

async function kdnetRig(
  options: { clock?: LabClock; targetKey?: string; targetPort?: number } = {},
): Promise<Rig> {
  const clock = options.clock ?? virtualClock({ wallBudgetMs: 3000 });
  const net = freshNet();
  const target = new DoubleTarget();
  const endpoint = new KdnetTargetEndpoint({
    hostIp: net.hostIp,
    port: options.targetPort ?? net.port,
    key: options.targetKey ?? KEY,
    target,
  });
  target.endpoint = endpoint;
  endpoints.push(endpoint);
  await endpoint.start();
  const redactor = new Redactor();
  return {
    target,
    net,
    clock,
    redactor,
    start: async (o = {}) => {
      const session = await KdSession.open({
        subject: "VM 'kd-test'",
        executable: embeddedDebuggerCommand(),
        connection: o.connection ?? { kind: 'net', hostIp: net.hostIp, port: net.port, key: KEY },
        symbols: 'srv*C:\\symbols*https://msdl.microsoft.com/download/symbols',
        clock,
        redactor,
        verifierPolicy: o.policy ?? (() => 'b'),
        ...(o.breakIn ? { breakIn: o.breakIn } : {}),
        ...(o.timeouts ? { timeouts: o.timeouts } : {}),
      });
      sessions.push(session);
      return session;
    },
  };
}

describe('KdSession over KDNET', () => {
  it('connects with key and port, breaks in, runs commands, continues and sees a bug check while running', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start();
    expect.equal(kd.state, 'running');
    const reached = kd.events().find((e) => e.kind === 'target-reached');
    expect.ok(
      reached?.kind === 'target-reached' && reached.port === rig.net.port,
      `kd reached the target on port ${rig.net.port}`,
    );

    const stop = await kd.breakIn();
    expect.equal(stop.kind, 'break');
    expect.match(stop.text, /^Break instruction exception - code 80000003/);
    expect.equal(kd.state, 'broken-in');

    const k = await kd.execute('k');
    expect.equal(k.output, fixture('k.special-pool.txt'));
    expect.equal(k.processor, 0);
    // kd's own .echo: a quoted string keeps its semicolon.
    expect.equal((await kd.execute('.echo "one; two"')).output, 'one; two\n');

    await kd.go();
    expect.equal(kd.state, 'running');
    await waitUntil(() => !rig.target.stopped);
    rig.target.crash(fixture('bugcheck.special-pool.txt'));
    const crash = await kd.waitForStop();
    expect.ok(crash?.kind === 'bugcheck', 'a bug check stop');
    expect.deepEqual(crash.bugcheck, {
      code: 0xd6,
      codeText: '0x000000d6',
      args: ['0xfffff9800b5ff000', '0x0000000000000001', '0xfffff88004f834eb', '0x0000000000000000'],
    });
    expect.equal(kd.state, 'bugchecked');
    expect.equal((await kd.execute('k')).output, fixture('k.special-pool.txt'));
    await kd.close();
    expect.deepEqual(kd.events().at(-1), { ...kd.events().at(-1), kind: 'exited', code: 0 });
  });

  it('reads a multi-megabyte output intact', async () => {
    const rig = await kdnetRig();
    const lines = fixture('k.special-pool.txt').trimEnd().split('\n');
    const big = Array.from(
      { length: 40_000 },
      (_, i) => `${i.toString(16).padStart(8, '0')} ${lines[i % lines.length]}`,
    )
      .join('\n')
      .concat('\n');
    rig.target.outputs.set('!verifier 100', big);
    const kd = await rig.start();
    await kd.breakIn();
    const result = await kd.execute('!verifier 100');
    expect.ok(big.length > 2_000_000, 'the output is megabytes long');
    expect.equal(result.output, big);
    await kd.close();
  });

  it('reports a wrong key as a lab fault naming the port, the host IP and what to check', async () => {
    const clock = virtualClock({ wallBudgetMs: 1500 });
    const rig = await kdnetRig({ clock, targetKey: '1.2.3.4' });
    const error = await rig.start({ timeouts: { connectMs: 30_000 } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect.ok(error instanceof LabCompromisedError, 'a LabCompromisedError');
    const port = rig.net.port;
    expect.match(
      error.message,
      new RegExp(
        `^The kernel debugger never connected to VM 'kd-test' over KDNET on port ${port} \\(host IP 127\\.0\\.0\\.\\d+\\) within 30 s \\(kd printed 'Waiting to reconnect\\.\\.\\.'\\); check the KDNET key, the port, the host firewall \\(inbound UDP ${port}\\) and the guest's bcdedit /dbgsettings`,
      ),
    );
  });

  it('reports a wrong port the same way', async () => {
    const clock = virtualClock({ wallBudgetMs: 1500 });
    const rig = await kdnetRig({ clock, targetPort: 50_099 });
    await expect.rejects(rig.start({ timeouts: { connectMs: 30_000 } }), (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.match(
        e.message,
        new RegExp(
          `never connected .* on port ${rig.net.port} .*check the KDNET key, the port, the host firewall`,
        ),
      );
      return true;
    });
  });

  it('watches a debugger with a wrong key stay without a connection, and one with the right key connect', async () => {
    const clock = virtualClock({ wallBudgetMs: 3000 });
    // Whether a connection comes within a wall-time window depends on how loaded the machine is;
    // whether one can come at all does not: the right key is first seen connecting (a positive
    // wait, with the clock's generous budget), and a connected debugger is never quiet.
    const watch = async (targetKey: string, connects: boolean) => {
      const rig = await kdnetRig({ clock, targetKey });
      const kd = KdSession.start({
        subject: "VM 'kd-test'",
        executable: embeddedDebuggerCommand(),
        connection: { kind: 'net', ...rig.net, key: KEY },
        clock,
        redactor: rig.redactor,
        verifierPolicy: () => 'b',
      });
      sessions.push(kd);
      if (connects) await kd.waitUntilConnected();
      const quiet = await kd.staysDisconnected(60_000);
      const state = kd.state;
      await kd.close();
      return { quiet, state };
    };
    expect.deepEqual(await watch('1.2.3.4', false), { quiet: true, state: 'disconnected' });
    expect.deepEqual(await watch(KEY, true), { quiet: false, state: 'running' });
  });

  it('answers the verifier question by policy, so a run never hangs on it', async () => {
    const rig = await kdnetRig();
    const asked: string[] = [];
    const choices: VerifierChoice[] = ['i', 'b'];
    const kd = await rig.start({
      policy: (q) => {
        asked.push(q.text);
        return choices.shift() ?? 'b';
      },
    });
    rig.target.ask(QUESTION);
    await waitUntil(() => rig.target.answers.length === 1);
    expect.deepEqual(rig.target.answers, ['i']);
    expect.equal(kd.state, 'running');

    rig.target.ask(QUESTION);
    const stop = await kd.waitForStop();
    expect.equal(stop?.kind, 'break');
    expect.deepEqual(rig.target.answers, ['i', 'b']);
    expect.equal(kd.state, 'broken-in');
    expect.ok(
      asked.every((t) => t.endsWith(QUESTION)),
      'the policy saw the question',
    );
    const questions = kd.events().filter((e) => e.kind === 'verifier-question');
    expect.deepEqual(
      questions.map((e) => (e.kind === 'verifier-question' ? e.answer : null)),
      ['i', 'b'],
    );
    await kd.close();
  });

  it('answers b when the policy fails, and says why', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start({
      policy: () => {
        throw new Error('no rule for this driver');
      },
    });
    rig.target.ask(QUESTION);
    await kd.waitForStop();
    const event = kd.events().find((e) => e.kind === 'verifier-question');
    expect.ok(event?.kind === 'verifier-question', 'a verifier question event');
    expect.equal(event.answer, 'b');
    expect.equal(event.policyError, "the policy failed (no rule for this driver); answered 'b'");
    await kd.close();
  });

  it('follows the target through a reboot: the link drops and comes back', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start();
    await kd.breakIn();
    await kd.reboot();
    expect.equal(kd.state, 'rebooting');
    await kd.waitUntilConnected();
    expect.equal(kd.state, 'running');
    expect.deepEqual(
      kd
        .events()
        .map((e) => e.kind)
        .filter((k) => ['shutdown', 'waiting', 'established', 'refresh'].includes(k)),
      // KDNET connects twice on each boot: a connect, the target's refresh, a second connect.
      [
        'waiting',
        'established',
        'refresh',
        'established',
        'shutdown',
        'waiting',
        'established',
        'refresh',
        'established',
      ],
    );
    expect.match(kd.transcript(), /Shutdown occurred at \(.+\)\.\.\.unloading all symbol tables\.\n/);
    expect.equal((await kd.breakIn()).kind, 'break');
    await kd.close();
  });

  it('refuses misuse with a harness error', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start();
    await expect.rejects(kd.execute('k'), (e: unknown) => {
      expect.ok(e instanceof HarnessLogicError, 'a HarnessLogicError');
      expect.equal(
        e.message,
        "The debugger command 'k' was sent to VM 'kd-test' while the target is running; break in or wait for it to stop before running commands.",
      );
      return true;
    });
    await kd.breakIn();
    await expect.rejects(kd.execute('   '), HarnessLogicError);
    await expect.rejects(kd.execute('g'), /use go\('g'\)/);
    await expect.rejects(kd.execute('bp nt!NtCreateFile; g'), /use go\('bp nt!NtCreateFile; g'\)/);
    await expect.rejects(kd.execute('~0 gu'), /lets the target run or ends kd \('~0 gu'\)/);
    await expect.rejects(kd.go('k'), /does not let the target run/);
    await expect.rejects(kd.execute('k\n!analyze -v'), /spans several lines/);
    await kd.close();
  });

  it('cancels a command that runs too long by breaking in, and carries on with a fresh sentinel', async () => {
    const clock = virtualClock({ wallBudgetMs: 300 });
    const rig = await kdnetRig({ clock });
    // Short waits in wall time for the command, but room for kd to start.
    const kd = await rig.start({ timeouts: { connectMs: 5_000_000, breakInMs: 5_000_000 } });
    await kd.breakIn();
    const pid = kd.pid;
    await expect.rejects(kd.execute('!slow', { timeoutMs: 2000 }), (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.equal(
        e.message,
        "The debugger command '!slow' sent to VM 'kd-test' did not finish within 2 s (lab time), so it was cancelled by breaking in and the session carries on; look at the kd transcript for where it stalled, and raise timeouts.kdCommand in the lab file if the command is legitimately slow.",
      );
      return true;
    });
    // The same kd answers the next command: it was not killed.
    expect.equal(kd.pid, pid);
    expect.equal((await kd.execute('k', { timeoutMs: 5_000_000 })).output, fixture('k.special-pool.txt'));
    expect.match(kd.transcript(), /!slow\n<CTRL\+C>\n/);
    await kd.close();
    await expect.rejects(kd.execute('k'), HarnessLogicError);
  });

  it('reports kd killed in the middle of a command, and the next session works', async () => {
    const rig = await kdnetRig();
    const first = await rig.start();
    await first.breakIn();
    const running = first.execute('!hang');
    await waitUntil(() => rig.target.executed.includes('!hang'));
    process.kill(first.pid ?? -1, 'SIGKILL');
    await expect.rejects(running, (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.match(
        e.message,
        /^The kernel debugger of VM 'kd-test' \(pid \d+\) ended unexpectedly \(killed by SIGKILL\) while running '!hang'; this debugger session is over and the next scenario starts a new one/,
      );
      return true;
    });
    expect.equal(first.state, 'disconnected');
    await first.close();

    const second = await rig.start();
    // The target is still stopped from the first session: the new debugger gets a prompt at once.
    expect.equal((await second.waitForStop())?.kind, 'break');
    expect.equal((await second.execute('k')).output, fixture('k.special-pool.txt'));
    await second.close();
    if (!noProc) {
      const alive = debuggerChildren();
      expect.deepEqual(
        [first.pid, second.pid].filter((pid) => pid !== undefined && alive.includes(pid)),
        [],
      );
    }
  });

  it('keeps the key out of the transcript, the log and the messages', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start();
    await kd.breakIn();
    await kd.execute('k');
    await kd.close();
    const transcript = kd.transcript();
    expect.ok(!transcript.includes(KEY), 'the key is not in the transcript');
    expect.ok(
      transcript.startsWith(`> kd -k net:port=${rig.net.port},key=«redacted: KDNET key of VM 'kd-test'» -y `),
      transcript.slice(0, 200),
    );
    expect.match(transcript, /0: kd> k\nChild-SP/);
    expect.ok(!transcript.includes('@@DRIVERLAB'), 'no sentinel in the transcript');
    const log = kd.readLog();
    expect.ok(log?.includes('Kernel Debugger connection established.'), 'kd wrote its log');
    expect.ok(!log?.includes(KEY), 'the key is not in the log');
    expect.ok(kd.commandLine.includes(`net:port=${rig.net.port},key=${KEY}`), 'kd itself was given the key');
  });

  it('reads its transcript again and again the same, and redacts a secret registered after a read', async () => {
    const rig = await kdnetRig();
    rig.target.outputs.set('!secret', 'the guest said hunter2-passphrase here\n');
    const kd = await rig.start();
    await kd.breakIn();
    await kd.execute('k');
    const first = kd.transcript();
    expect.equal(kd.transcript(), first, 'a read without new output gives the same text');
    await kd.execute('!secret');
    const second = kd.transcript();
    expect.ok(
      second.startsWith(first.slice(0, first.lastIndexOf('\n') + 1)),
      'complete lines stay as they were',
    );
    expect.match(second, /the guest said hunter2-passphrase here/);
    rig.redactor.add('hunter2-passphrase', 'a password the scenario captured');
    const third = kd.transcript();
    expect.ok(!third.includes('hunter2-passphrase'), 'the new secret is gone from the kept text');
    expect.match(third, /the guest said «redacted: a password the scenario captured» here/);
    expect.ok(!third.includes('@@DRIVERLAB'), 'no sentinel in the transcript');
    await kd.close();
  });

  it('falls back to the next break-in strategy when one cannot be sent', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start({
      breakIn: [
        {
          kind: 'nmi',
          inject: () =>
            Promise.reject(new Error('Cannot inject a non-maskable interrupt into the virtual machine')),
        },
        { kind: 'break-byte' },
      ],
    });
    expect.equal((await kd.breakIn()).kind, 'break');
    const attempts = kd.events().filter((e) => e.kind === 'break-in-attempt');
    expect.deepEqual(
      attempts.map((e) => (e.kind === 'break-in-attempt' ? [e.strategy, e.outcome] : null)),
      [
        ['an NMI injected by the hypervisor', 'failed'],
        ["CTRL+C as the byte 0x03 on kd's standard input", 'sent'],
      ],
    );
    await kd.close();
  });

  it('gives up with a sentence when no strategy stops the target', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start({
      breakIn: [{ kind: 'nmi', inject: async () => {} }],
      timeouts: { breakInMs: 500 },
    });
    await expect.rejects(kd.breakIn(), (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.match(
        e.message,
        /^Could not break into VM 'kd-test': an NMI injected by the hypervisor left it running for 500 ms; check that the debugger is connected/,
      );
      return true;
    });
    await kd.close();
  });

  it('sees a bug check announced inside a running step as a stop like any other', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start();
    await kd.breakIn();
    rig.target.stepCrashes = true;
    const step = await kd.execute('p');
    expect.match(step.output, /^\*\*\* Fatal System Error: 0x000000d6/m);
    expect.equal(kd.state, 'bugchecked');
    const stop = await kd.waitForStop();
    expect.ok(stop?.kind === 'bugcheck', 'a bug check stop');
    expect.equal(stop.bugcheck.code, 0xd6);
    expect.ok(
      kd.events().some((e) => e.kind === 'bugcheck' && e.bugcheck.code === 0xd6),
      'a bugcheck event',
    );
    await kd.close();
  });

  it('lets the target run with a resuming command anywhere in a compound line, a thread prefix included', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start();
    for (const line of ['bp nt!NtCreateFile; g', '~0 g', 'gu']) {
      await kd.breakIn();
      await kd.go(line);
      expect.equal(kd.state, 'running', `running after '${line}'`);
      await waitUntil(() => !rig.target.stopped);
    }
    const resumed = kd.events().filter((e) => e.kind === 'resumed');
    expect.deepEqual(
      resumed.map((e) => (e.kind === 'resumed' ? e.by : '')),
      ['bp nt!NtCreateFile; g', '~0 g', 'gu'],
    );
    await kd.close();
  });

  it('is ready after KDNET connects the second time, and a break-in asked for in between is not lost', async () => {
    const rig = await kdnetRig();
    const kd = await rig.start();
    // open() returned after the first connect; the break is asked for at once.
    expect.equal((await kd.breakIn()).kind, 'break');
    const kinds = kd.events().map((e) => (e.kind === 'break-in-attempt' ? `break-in ${e.outcome}` : e.kind));
    const wanted = kinds.filter((k) => ['established', 'refresh', 'break-in sent'].includes(k));
    // One break, sent after the second connect: nothing was sent into the refresh, nothing sent twice.
    expect.deepEqual(wanted, ['established', 'refresh', 'established', 'break-in sent']);
    expect.match(
      kd.transcript(),
      /KDTARGET: Refreshing KD connection\n[\s\S]*Kernel Debugger connection established\.[\s\S]*<CTRL\+C>/,
    );
    await kd.close();
  });

  it('gives the first !analyze -v of a session the time to load symbols, and the next one the command budget', async () => {
    const clock = virtualClock({ wallBudgetMs: 300 });
    const rig = await kdnetRig({ clock });
    const kd = await rig.start({
      timeouts: { connectMs: 5_000_000, breakInMs: 5_000_000, commandMs: 100, firstAnalyzeMs: 5_000_000 },
    });
    await kd.breakIn();
    // The first analysis takes a wall second, longer than the command budget (0.3 s of wall time).
    // After KDNET's refresh, kd first reaches the target again and reloads symbols (as real kd does).
    const first = (await kd.execute('!analyze -v')).output;
    expect.match(
      first,
      /^Connected to Windows 10 19041 x64 target at \(.+\), ptr64 TRUE\nLoading Kernel Symbols\n[\s\S]*\nanalysis\n$/,
    );
    expect.equal((await kd.execute('!analyze -v')).output, 'analysis\n');
    await expect.rejects(
      kd.execute('!slow'),
      /did not finish within 100 ms \(lab time\), so it was cancelled/,
    );
    await kd.close();
  });

  it("reports a second kd on a port another kd holds with kd's own words", async () => {
    const rig = await kdnetRig();
    const first = await rig.start();
    const second = KdSession.start({
      subject: "VM 'kd-test'",
      executable: embeddedDebuggerCommand(),
      connection: { kind: 'net', hostIp: rig.net.hostIp, port: rig.net.port, key: KEY },
      clock: rig.clock,
      redactor: rig.redactor,
      verifierPolicy: () => 'b',
    });
    sessions.push(second);
    await expect.rejects(second.waitUntilConnected(), (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.match(
        e.message,
        /ended unexpectedly \(exit code 1\) while waiting for the connection; its last words were "Kernel debugger failed initialization, HRESULT 0x80004005"/,
      );
      return true;
    });
    expect.match(second.transcript(), /Failed to initialize IPv4 socket\. {2}Error 0n-2147467259\n/);
    await first.close();
  });

  it('breaks in with a console control event (SIGINT outside Windows)', {
    skip: process.platform === 'win32' && 'on Windows this strategy needs the lab’s console helper',
  }, async () => {
    const rig = await kdnetRig();
    const kd = await rig.start({ breakIn: [{ kind: 'console-ctrl' }] });
    expect.equal((await kd.breakIn()).kind, 'break');
    await kd.close();
  });
});

describe('KdSession over a COM pipe', () => {
  it('connects, breaks in, runs a command and follows a reboot', async () => {
    const clock = virtualClock({ wallBudgetMs: 3000 });
    const target = new DoubleTarget();
    const pipe = `driverlab-test-${process.pid}_com1`;
    const endpoint = new KdPipeTargetEndpoint({ pipe: `\\\\.\\pipe\\${pipe}`, target });
    target.endpoint = endpoint;
    endpoints.push(endpoint);
    await endpoint.start();
    const kd = await KdSession.open({
      subject: "VM 'pipe-test'",
      executable: embeddedDebuggerCommand(),
      connection: { kind: 'pipe', pipe },
      clock,
      redactor: new Redactor(),
      verifierPolicy: () => 'b',
    });
    sessions.push(kd);
    expect.match(
      kd.transcript(),
      /^> kd -k com:pipe,port=\\\\\.\\pipe\\driverlab-test-\d+_com1,resets=0,reconnect /,
    );
    expect.match(
      kd.transcript(),
      /Opened \\\\\.\\pipe\\driverlab-test-\d+_com1\nWaiting to reconnect\.\.\.\n/,
    );
    await kd.breakIn();
    expect.equal((await kd.execute('k')).output, fixture('k.special-pool.txt'));
    await kd.reboot();
    await kd.waitUntilConnected();
    expect.equal(kd.state, 'running');
    await kd.close();
  });
});

describe('KdSession teardown', () => {
  it('quits with q, and kills a debugger that does not quit after the grace period', async () => {
    const clock = virtualClock({ wallBudgetMs: 300 });
    const stubborn = KdSession.start({
      subject: "VM 'stubborn'",
      // A "debugger" that never reads its input, so neither q nor CTRL+B ends it.
      executable: {
        file: process.execPath,
        leadingArgs: ['-e', 'setInterval(() => {}, 1000) // ignores-its-input', '--'],
      },
      connection: { kind: 'net', hostIp: '127.0.0.99', port: 50_099, key: KEY },
      clock,
      redactor: new Redactor(),
      verifierPolicy: () => 'b',
    });
    sessions.push(stubborn);
    await stubborn.close();
    const exit = stubborn.events().at(-1);
    expect.ok(exit?.kind === 'exited', 'an exit event');
    expect.equal(exit.signal, 'SIGKILL');
    expect.match(stubborn.transcript(), /<CTRL\+B>\n$/);
  });

  it('reports a dump that cannot be opened as a lab fault', async () => {
    const kd = KdSession.start({
      subject: "the dump 'missing.dmp'",
      executable: embeddedDebuggerCommand(),
      connection: { kind: 'dump', path: join(fixtures, 'missing.dmp') },
      clock: virtualClock({ wallBudgetMs: 3000 }),
      redactor: new Redactor(),
      verifierPolicy: () => 'b',
    });
    sessions.push(kd);
    await expect.rejects(kd.waitUntilConnected(), (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.match(
        e.message,
        /^The kernel debugger of the dump 'missing.dmp' \(pid \d+\) ended unexpectedly \(exit code 1\)/,
      );
      return true;
    });
    await kd.close();
  });

  it('leaves no debugger process behind', { skip: noProc }, async () => {
    await Promise.all(sessions.map((s) => s.close()));
    expect.deepEqual(debuggerChildren(), []);
  });
});

/** Polls a condition every few wall milliseconds, for at most two seconds. */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 5));
  expect.ok(condition(), 'the condition never held');
}
