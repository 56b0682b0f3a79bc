/**
 * kd never outlives driverlab, a kd without a target is not left waiting forever, and what kd writes
 * in its console code page is read as written (issue 15 §2, §4). These start real processes: the
 * simulated debugger, a parent process that dies, and a small stand-in for kd that writes
 * Windows-1252.
 */
import { strict as expect } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { noProc } from '../../test/kits/kd/kd.testkit.js';
import { virtualClock } from '../clock.js';
import { Redactor } from '../config/secrets.js';
import { claimKdnetPort } from '../endpoints.js';
import { LabCompromisedError } from '../errors.js';
import { embeddedDebuggerCommand } from '../sim/launch.js';
import { KdSession } from './session.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sessions: KdSession[] = [];
after(async () => {
  await Promise.all(sessions.map((s) => s.close()));
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function within(ms: number, condition: () => boolean): Promise<boolean> {
  for (let waited = 0; waited < ms && !condition(); waited += 20) await new Promise((r) => setTimeout(r, 20));
  return condition();
}

describe("kd's lifetime", () => {
  it('ends with the driverlab that started it, even one killed outright: no kd is left', {
    skip: noProc,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-parent-'));
    const script = join(dir, 'parent.mts');
    const at = (path: string) => pathToFileURL(join(root, path)).href;
    writeFileSync(
      script,
      [
        `import { KdSession } from '${at('lab/kd/session.ts')}';`,
        `import { embeddedDebuggerCommand } from '${at('lab/sim/launch.ts')}';`,
        `import { wallClock } from '${at('lab/clock.ts')}';`,
        `import { Redactor } from '${at('lab/config/secrets.ts')}';`,
        'const kd = KdSession.start({',
        "  subject: 'a parent that dies', executable: embeddedDebuggerCommand(),",
        `  connection: { kind: 'net', hostIp: '127.0.0.98', port: ${claimKdnetPort('127.0.0.98').port}, key: '1.2.3.4' },`,
        "  clock: wallClock(), redactor: new Redactor(), verifierPolicy: () => 'b',",
        '});',
        "setTimeout(() => console.log('kd ' + kd.pid), 500);",
        'setInterval(() => {}, 1000);',
      ].join('\n'),
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /kd (\d+)/.exec(out);
        if (m?.[1]) resolve(Number(m[1]));
      });
      parent.on('exit', () => reject(new Error(`the parent ended before it started kd: ${out}`)));
    });
    expect.ok(alive(pid), 'kd runs while its parent does');
    parent.kill('SIGKILL');
    expect.ok(await within(10_000, () => !alive(pid)), `kd (pid ${pid}) ended with its parent`);
    // An orphan would keep the KDNET port ("Failed to initialize IPv4 socket" for the next run): the
    // next debugger on the same port gets it and waits for its target.
    const next = KdSession.start({
      subject: 'the next run',
      executable: embeddedDebuggerCommand(),
      connection: { kind: 'net', hostIp: '127.0.0.98', port: 50098, key: '1.2.3.4' },
      clock: virtualClock({ wallBudgetMs: 3000 }),
      redactor: new Redactor(),
      verifierPolicy: () => 'b',
    });
    sessions.push(next);
    expect.ok(
      await within(5_000, () => next.events().some((e) => e.kind === 'waiting')),
      `the next kd waits on the port: ${next.transcript()}`,
    );
    expect.doesNotMatch(next.transcript(), /Failed to initialize IPv4 socket/);
    await next.close();
  });

  it('takes a debugger that ignores its parent, and what it started, with it when driverlab exits: no kd is left', {
    skip: noProc,
  }, async () => {
    // A stand-in for a kd that neither reads its standard input nor watches its parent, and has a
    // child of its own: only driverlab's process group and exit hook can end them.
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-stubborn-'));
    const stubborn = join(dir, 'stubborn.cjs');
    writeFileSync(
      stubborn,
      [
        "const { spawn } = require('node:child_process');",
        "const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
        "process.stdout.write('stubborn ' + process.pid + ' ' + child.pid + '\\n');",
        "process.stdin.on('end', () => {});",
        "process.on('SIGHUP', () => {});",
        'setInterval(() => {}, 1000);',
      ].join('\n'),
    );
    const script = join(dir, 'parent.mts');
    const at = (path: string) => pathToFileURL(join(root, path)).href;
    writeFileSync(
      script,
      [
        `import { KdSession } from '${at('lab/kd/session.ts')}';`,
        `import { wallClock } from '${at('lab/clock.ts')}';`,
        `import { Redactor } from '${at('lab/config/secrets.ts')}';`,
        'const kd = KdSession.start({',
        `  subject: 'a driverlab that exits', executable: { file: process.execPath, leadingArgs: [${JSON.stringify(stubborn)}] },`,
        "  connection: { kind: 'net', hostIp: '127.0.0.96', port: 50096, key: '1.2.3.4' },",
        "  clock: wallClock(), redactor: new Redactor(), verifierPolicy: () => 'b',",
        '});',
        'const started = setInterval(() => {',
        '  const m = /stubborn (\\d+) (\\d+)/.exec(kd.transcript());',
        '  if (!m) return;',
        '  clearInterval(started);',
        "  console.log('pids ' + m[1] + ' ' + m[2]);",
        // driverlab ends without closing its session (an uncaught error, process.exit).
        '  setTimeout(() => process.exit(3), 200);',
        '}, 20);',
      ].join('\n'),
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    parent.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => parent.on('exit', (c) => resolve(c)));
    const m = /pids (\d+) (\d+)/.exec(out);
    expect.ok(m, `the parent started the stand-in: ${out}`);
    expect.equal(code, 3);
    const [kdPid, childPid] = [Number(m[1]), Number(m[2])];
    // Should this test fail, it leaves no stand-in behind either.
    after(() => {
      for (const pid of [kdPid, childPid]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
    expect.ok(
      await within(5_000, () => !alive(kdPid)),
      `the stand-in kd (pid ${kdPid}) ended with driverlab`,
    );
    expect.ok(await within(5_000, () => !alive(childPid)), `its child (pid ${childPid}) ended too`);
  });

  it('stops a kd that waits too long without a target, and says why', async () => {
    const kd = KdSession.start({
      subject: "VM 'nobody-home'",
      executable: embeddedDebuggerCommand(),
      // A port this process holds: a test run beside this one never listens on it.
      connection: {
        kind: 'net',
        hostIp: '127.0.0.97',
        port: claimKdnetPort('127.0.0.97').port,
        key: '1.2.3.4',
      },
      clock: virtualClock({ wallBudgetMs: 300 }),
      redactor: new Redactor(),
      verifierPolicy: () => 'b',
      timeouts: { noTargetMs: 60_000, connectMs: 1e9 },
    });
    sessions.push(kd);
    await expect.rejects(kd.waitUntilConnected(), (e: unknown) => {
      expect.ok(e instanceof LabCompromisedError, 'a LabCompromisedError');
      expect.equal(
        e.message,
        "The kernel debugger of VM 'nobody-home' was stopped because it waited 60 s (lab time) without a target, so waiting for the connection cannot be done; check that the VM is running with debugging on (bcdedit /debug on) and its debug settings match the lab file, then start a new session.",
      );
      return true;
    });
    const abandoned = kd.events().find((e) => e.kind === 'abandoned');
    expect.ok(abandoned?.kind === 'abandoned', 'an abandoned event');
    expect.equal(kd.events().at(-1)?.kind, 'exited');
  });

  it("reads kd's output in the console code page it was told, so a module path's accents survive", async () => {
    // A stand-in for kd.exe on a Western European console: it writes Windows-1252 bytes.
    const banner = Buffer.from('Loading Dump File [C:\\Dumps\\\u00e9t\u00e9.dmp]\r\nkd> ', 'latin1').toString(
      'hex',
    );
    const lm = Buffer.from(
      'fffff806`30580000 fffff806`30587000   \u00fcber      (deferred)             C:\\Treiber\\\u00fcber.sys\r\nkd> ',
      'latin1',
    ).toString('hex');
    const stand = [
      `process.stdout.write(Buffer.from('${banner}', 'hex'));`,
      "let rest = '';",
      "process.stdin.on('data', (c) => { rest += c; let nl;",
      "  while ((nl = rest.indexOf('\\n')) >= 0) { const line = rest.slice(0, nl).trim(); rest = rest.slice(nl + 1);",
      `    if (line === 'lm') process.stdout.write(Buffer.from('${lm}', 'hex'));`,
      "    else if (line.startsWith('.echo')) process.stdout.write(line.slice(7, -1) + '\\r\\nkd> ');",
      "    else if (line === 'q') process.exit(0); } });",
    ].join('\n');
    const kd = await KdSession.open({
      subject: "the dump 'été.dmp'",
      executable: { file: process.execPath, leadingArgs: ['-e', stand, '--'] },
      connection: { kind: 'dump', path: 'C:\\Dumps\\été.dmp' },
      outputEncoding: 'windows-1252',
      clock: virtualClock({ wallBudgetMs: 3000 }),
      redactor: new Redactor(),
      verifierPolicy: () => 'b',
    });
    sessions.push(kd);
    expect.match((await kd.execute('lm')).output, /C:\\Treiber\\über\.sys\n$/);
    expect.match(kd.transcript(), /Loading Dump File \[C:\\Dumps\\été\.dmp\]/);
    await kd.close();
  });
});
