/**
 * The host process's protocol, in process: what node-powershell sends (its delimiter lines around
 * each command, the operation's wire line) and what comes back, in order, on the right stream;
 * bad input answered the way pwsh answers it; a clean exit when stdin closes; the shell-dies fault.
 */
import { deepStrictEqual, equal, match, ok } from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { loadLabFile, parseLabFile } from '../../config/lab-file.js';
import { buildScript, MARKERS, wireLine } from '../../hyperv/script.js';
import { paths } from '../../paths.js';
import { notRecognizedError, runHost } from './run.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The embedded lab file, with changes, parsed as the host parses it (paths still resolve against lab/labs). */
async function labWith(change: (doc: Record<string, unknown>) => void = () => {}) {
  const base = await loadLabFile(paths.embeddedLab);
  const doc = parse(
    await import('node:fs').then((fs) => fs.readFileSync(paths.embeddedLab, 'utf8')),
  ) as Record<string, unknown>;
  change(doc);
  return parseLabFile(stringify(doc), base.path);
}

function hostUnderTest(lab: Awaited<ReturnType<typeof labWith>>, statePath: string | null = null) {
  const input = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  const exits: number[] = [];
  let exited: () => void = () => {};
  const exitedPromise = new Promise<void>((r) => {
    exited = r;
  });
  void runHost({
    lab,
    statePath,
    input,
    out: (t) => out.push(...t.split('\n')),
    err: (t) => err.push(t),
    exit: ((code: number) => {
      exits.push(code);
      exited();
      return undefined as never;
    }) as (code: number) => never,
  });
  /** Sends one command the way node-powershell does, and waits until its closing delimiter is out. */
  const invoke = async (command: string, delimiter = 'D3LIM1T3R0000001') => {
    const before = out.length;
    for (const line of [
      `[Console]::Error.WriteLine("${delimiter}")`,
      `[Console]::Out.WriteLine("${delimiter}")`,
      command,
      `[Console]::Error.WriteLine("${delimiter}")`,
      `[Console]::Out.WriteLine("${delimiter}")`,
    ]) {
      input.write(`${line}\r\n`);
    }
    for (let i = 0; i < 500; i += 1) {
      if (out.slice(before).filter((l) => l === delimiter).length === 2 || exits.length > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    return out.slice(before);
  };
  return { input, out, err, exits, invoke, exited: exitedPromise };
}

const getVm = (vmName = 'win11-a') => wireLine(buildScript('Get-VM', { vmName }));

describe('the host process protocol', () => {
  test('each command comes back between node-powershell’s delimiters, on both streams', async () => {
    const h = hostUnderTest(await labWith());
    const reply = await h.invoke(getVm());
    equal(reply[0], 'D3LIM1T3R0000001');
    equal(reply[1], MARKERS.beginOutput);
    const record = JSON.parse(reply[2] as string) as { name: string; state: string; heartbeat: string };
    deepStrictEqual(
      [record.name, record.state, record.heartbeat],
      ['win11-a', 'Running', 'OkApplicationsHealthy'],
    );
    deepStrictEqual(reply.slice(3), [MARKERS.endOutput, 'D3LIM1T3R0000001']);
    deepStrictEqual(h.err, ['D3LIM1T3R0000001', 'D3LIM1T3R0000001']);
    h.input.end();
    await h.exited;
    deepStrictEqual(h.exits, [0]);
  });

  test('lines sent together are answered in order; none is lost', async () => {
    const h = hostUnderTest(await labWith());
    const lines = ['win11-a', 'win11-b', 'win11-a', 'nosuch', 'win11-b'].map((vm, i) =>
      [`[Console]::Out.WriteLine("D${i}")`, getVm(vm), `[Console]::Out.WriteLine("D${i}")`].join('\n'),
    );
    h.input.write(`${lines.join('\n')}\n`);
    for (let i = 0; i < 500 && h.out.filter((l) => l === 'D4').length < 2; i += 1) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const names = h.out
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          (JSON.parse(l) as { name?: string; error?: string }).name ??
          (JSON.parse(l) as { error: string }).error,
      );
    deepStrictEqual(names, [
      'win11-a',
      'win11-b',
      'win11-a',
      'Hyper-V was unable to find a virtual machine with name "nosuch".',
      'win11-b',
    ]);
    deepStrictEqual(
      h.out.filter((l) => /^D\d$/.test(l)),
      ['D0', 'D0', 'D1', 'D1', 'D2', 'D2', 'D3', 'D3', 'D4', 'D4'],
    );
    h.input.end();
    await h.exited;
  });

  test('a line that is not a command is answered on stderr the way Windows PowerShell answers it', async () => {
    const h = hostUnderTest(await labWith());
    const reply = await h.invoke('Get-Frobnicator -All');
    deepStrictEqual(reply, ['D3LIM1T3R0000001', 'D3LIM1T3R0000001']);
    equal(h.err[1], notRecognizedError('Get-Frobnicator -All'));
    match(
      h.err[1] as string,
      /^Get-Frobnicator : The term 'Get-Frobnicator' is not recognized as the name of a cmdlet, function, script file, or operable program\./,
    );
    h.input.end();
    await h.exited;
  });

  test('a script the builder did not make is refused, and the host goes on', async () => {
    const h = hostUnderTest(await labWith());
    const tampered = wireLine(
      buildScript('Get-VM', { vmName: 'win11-a' }).replace(
        'Hyper-V\\Get-VM',
        'Remove-Item C:\\ -Recurse; Hyper-V\\Get-VM',
      ),
    );
    await h.invoke(tampered);
    match(
      h.err.join('\n'),
      /refused a script, because the Get-VM script differs from what the driverlab script builder makes/,
    );
    await h.invoke(wireLine('# driverlab-op: Get-VM\nno data block'));
    match(h.err.join('\n'), /the Get-VM script has no JSON data block/);
    const broken =
      "& ([scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('!!!'))))";
    await h.invoke(broken);
    const after = await h.invoke(getVm());
    ok(after.includes(MARKERS.beginOutput), 'the next command is answered normally');
    h.input.end();
    await h.exited;
  });

  test('stdin closing mid-operation: the host saves and exits cleanly at once', async () => {
    const lab = await labWith((doc) => {
      (doc.clock as { pace: number }).pace = 1;
    });
    const h = hostUnderTest(lab);
    await h.invoke(getVm());
    const delimiter = 'D3LIM1T3R0000002';
    for (const line of [
      `[Console]::Out.WriteLine("${delimiter}")`,
      wireLine(buildScript('Stop-VM', { vmName: 'win11-a', turnOff: false })),
      `[Console]::Out.WriteLine("${delimiter}")`,
    ]) {
      h.input.write(`${line}\n`);
    }
    await new Promise((r) => setTimeout(r, 100));
    h.input.end();
    await h.exited;
    deepStrictEqual(h.exits, [0]);
    equal(h.out.filter((l) => l === delimiter).length, 1, 'the 10 s shutdown was still running');
  });

  test('host-shell-dies: the shell exits mid-operation without a reply, once; the next shell answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-host-'));
    dirs.push(dir);
    const state = join(dir, `lab-${process.pid}-abc123.json`);
    const lab = await labWith((doc) => {
      ((doc.embedded as Record<string, unknown>).faults as unknown) = {
        'win11-a': [{ kind: 'host-shell-dies', afterOperations: 1 }],
      };
    });
    const first = hostUnderTest(lab, state);
    ok((await first.invoke(getVm())).includes(MARKERS.beginOutput));
    const dying = await first.invoke(getVm());
    deepStrictEqual(dying, ['D3LIM1T3R0000001']);
    deepStrictEqual(first.exits, [1]);
    first.input.end();
    const second = hostUnderTest(lab, state);
    ok((await second.invoke(getVm())).includes(MARKERS.beginOutput));
    ok((await second.invoke(getVm())).includes(MARKERS.beginOutput));
    second.input.end();
    await second.exited;
  });
});
