/**
 * The real-engine tier for the Hyper-V adapter: every operation script runs in a real pwsh with the
 * stand-in Hyper-V module (lab/sim/pwsh/Hyper-V/), answering from the embedded lab's model. Only
 * the Hyper-V cmdlets and the guest are stood in; parameter binding, error records, enums, dates
 * and ConvertTo-Json/ConvertFrom-Json are PowerShell's own.
 *
 * The engine: DRIVERLAB_PWSH, else pwsh on PATH (.ci/engines/pwsh.sh installs 7.6.10 into .tools/).
 * Without one the tier says so in one line and does not run — except under CI=true, where it fails.
 */
import { strict as expect } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type OperationName,
  type OperationResult,
  operationNames,
  operations,
} from '../../hyperv/ops/operations.js';
import { classifyHostError, parseReply } from '../../hyperv/reply.js';
import { buildScript, scriptFromWireLine, wireLine } from '../../hyperv/script.js';
import { PowerShellSession } from '../../hyperv/session.js';
import { paths } from '../../paths.js';
import { pwshExecutable, standInShellCommand } from './launch.js';

function engine(): string | null {
  const file = pwshExecutable();
  const probe = spawnSync(
    file,
    ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSEdition'],
    {
      encoding: 'utf8',
      env: { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' },
    },
  );
  return probe.status === 0 ? file : null;
}

const pwsh = engine();
if (pwsh === null) {
  const line =
    'pwsh engine tier did not run: no PowerShell found (set DRIVERLAB_PWSH, or run `.ci/engines/pwsh.sh install` and `.ci/engines/pwsh.sh start`).';
  if (process.env.CI === 'true') throw new Error(`${line} Under CI=true this tier must run.`);
  console.log(line);
}

const password = readFileSync(
  join(paths.embeddedLab, '..', 'embedded.secrets', 'guest-password'),
  'utf8',
).replace(/\r?\n$/, '');
const credential = { user: 'Administrator', password };
const dir = mkdtempSync(join(tmpdir(), 'driverlab-pwsh-engine-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function session(state = join(dir, 'state.json')): PowerShellSession {
  return new PowerShellSession(
    standInShellCommand(paths.embeddedLab, state, { ...process.env, DRIVERLAB_PWSH: pwsh ?? 'pwsh' }),
    'the pwsh session of the engine tier',
  );
}

async function run<N extends OperationName>(s: PowerShellSession, name: N, params: unknown, script?: string) {
  const checked = operations[name].params.parse(params);
  const text = script ?? buildScript(name, checked);
  const reply = await s.invoke(wireLine(text), 120_000, name);
  return parseReply(reply, operations[name].result, {
    what: `${name} in pwsh`,
    classify: classifyHostError,
  }) as OperationResult<N>;
}

/** What happened, as a sentence to assert, or the value. */
async function attempt<N extends OperationName>(s: PowerShellSession, name: N, params: unknown) {
  try {
    return { ok: await run(s, name, params) };
  } catch (error) {
    return { error: error as Error };
  }
}

describe('the operation scripts in a real pwsh with the stand-in Hyper-V module', {
  skip: pwsh === null,
}, () => {
  let s: PowerShellSession;
  before(() => {
    s = session();
  });
  after(async () => {
    await s.close();
  });

  it('runs every operation and each answers in its declared shape', async () => {
    const vm = { vmName: 'win11-a' };
    const guest = { ...vm, credential };
    const source = join(dir, 'host-file.txt');
    writeFileSync(source, 'driverlab engine tier\n');
    const copied = join(dir, 'out', 'copied.txt');
    const ran = new Set<string>();
    const go = async <N extends OperationName>(name: N, params: unknown) => {
      ran.add(name);
      return run(s, name, params);
    };
    const info = await go('Get-HostInfo', {});
    expect.equal(info.psEdition, 'Core');
    const record = await go('Get-VM', vm);
    expect.equal(record.state, 'Running');
    expect.match(record.id, /^[0-9a-f-]{36}$/);
    expect.equal((await go('Get-VMHeartbeat', vm)).enabled, true);
    expect.ok((await go('Get-VMIntegrationService', vm)).services.some((x) => x.name === 'Heartbeat'));
    expect.equal((await go('Get-VMNetworkAdapter', vm)).adapters.length, 1);
    expect.equal(
      (await go('Set-VMComPort', { ...vm, number: 2, pipeName: 'win11-a_com2' })).path,
      '\\\\.\\pipe\\win11-a_com2',
    );
    expect.equal((await go('Get-VMComPort', vm)).ports.length, 2);
    expect.ok((await go('Test-VMPowerShellDirect', guest)).computerName.length > 0);
    expect.equal(
      (
        await go('Wait-VMPowerShellDirect', {
          ...guest,
          timeoutSeconds: 60,
          pollMilliseconds: 1000,
          minimumLooks: 3,
          credentialRefusals: 3,
        })
      ).answered,
      true,
    );
    const command = await go('Invoke-GuestCommand', {
      ...guest,
      file: 'verifier.exe',
      arguments: ['/query'],
      timeoutSeconds: 60,
    });
    expect.equal(typeof command.exitCode, 'number');
    expect.ok(
      Array.isArray((await go('Get-GuestEvents', { ...guest, logName: 'System', maxEvents: 5 })).events),
    );
    const key = 'HKLM\\SOFTWARE\\driverlab-engine';
    await go('Set-GuestRegistryValue', {
      ...guest,
      path: key,
      valueName: 'When',
      type: 'String',
      value: '2024-01-02T03:04:05Z',
    });
    const read = await go('Get-GuestRegistryValue', { ...guest, path: key, valueName: 'When' });
    expect.deepEqual(read, { exists: true, type: 'String', value: '2024-01-02T03:04:05Z' });
    expect.equal(
      (await go('New-GuestItems', { ...guest, directory: 'C:\\driverlab\\items', count: 3 })).created >= 3,
      true,
    );
    expect.equal((await go('Remove-GuestItem', { ...guest, path: 'C:\\driverlab\\items' })).removed, true);
    await go('Copy-VMFile', { ...vm, sourcePath: source, destinationPath: 'C:\\driverlab\\in.txt' });
    const out = await go('Copy-GuestFileToHost', {
      ...guest,
      guestPath: 'C:\\driverlab\\in.txt',
      hostPath: copied,
    });
    expect.equal(readFileSync(copied, 'utf8'), 'driverlab engine tier\n');
    expect.equal(out.bytes, 22);
    const checkpoint = await go('Checkpoint-VM', { ...vm, checkpointName: 'engine-tier' });
    expect.equal(checkpoint.name, 'engine-tier');
    expect.equal(
      (await go('Get-VMCheckpoint', { ...vm, checkpointName: 'engine-tier' })).checkpoints.length,
      1,
    );
    expect.equal(
      (await go('Restore-VMCheckpoint', { ...vm, checkpointName: 'engine-tier' })).state,
      'Running',
    );
    expect.deepEqual(await go('Remove-VMCheckpoint', { ...vm, checkpointName: 'engine-tier' }), {
      removed: 'engine-tier',
    });
    // The power operations last, on the other VM: the embedded lab's time is virtual and moves only
    // with operations, so a guest restarted here would still be booting for the tests after this one.
    const other = { vmName: 'win11-b' };
    expect.deepEqual(await go('Debug-VM', other), { injected: true });
    expect.equal((await go('Stop-VM', { ...other, turnOff: true })).state, 'Off');
    expect.equal((await go('Start-VM', other)).state, 'Running');
    expect.equal((await go('Restart-VM', other)).state, 'Running');
    expect.deepEqual([...ran].sort(), [...operationNames].sort());
  });

  it('matches a VM name with [ ] * ? exactly: a pattern that would match both VMs matches none', async () => {
    const r = await attempt(s, 'Get-VM', { vmName: 'win11-[ab]' });
    expect.match(String(r.error?.message), /No virtual machine on this host is named 'win11-\[ab\]'/);
  });

  it("reports a missing VM with driverlab's own sentence, not Hyper-V's error", async () => {
    const r = await attempt(s, 'Get-VM', { vmName: 'no-such-vm' });
    expect.match(String(r.error?.message), /No virtual machine on this host is named 'no-such-vm'/);
    expect.doesNotMatch(String(r.error?.message), /Hyper-V was unable to find/);
  });

  it('refuses a second checkpoint under a name the VM has already', async () => {
    await run(s, 'Checkpoint-VM', { vmName: 'win11-b', checkpointName: 'twice' });
    const r = await attempt(s, 'Checkpoint-VM', { vmName: 'win11-b', checkpointName: 'twice' });
    expect.match(String(r.error?.message), /already has a checkpoint named 'twice'/);
    expect.equal(
      (await run(s, 'Get-VMCheckpoint', { vmName: 'win11-b', checkpointName: 'twice' })).checkpoints.length,
      1,
    );
    await run(s, 'Remove-VMCheckpoint', { vmName: 'win11-b', checkpointName: 'twice' });
  });

  it('waits for the disk merge after removing a checkpoint', async () => {
    await run(s, 'Checkpoint-VM', { vmName: 'win11-b', checkpointName: 'merge' });
    await run(s, 'Remove-VMCheckpoint', { vmName: 'win11-b', checkpointName: 'merge' });
    // The stand-in reports MergingDisks for the next looks after Remove-VMSnapshot returns.
    expect.equal((await run(s, 'Get-VM', { vmName: 'win11-b' })).status, 'Operating normally');
  });

  it('keeps a date-like value a string on its way in and out', async () => {
    const name = '2024-01-02T03:04:05.000Z';
    const c = await run(s, 'Checkpoint-VM', { vmName: 'win11-b', checkpointName: name });
    expect.equal(c.name, name);
    await run(s, 'Remove-VMCheckpoint', { vmName: 'win11-b', checkpointName: name });
  });

  it('sends no password in any script text, and the guest still gets the credential', async () => {
    for (const name of operationNames.filter((n) => operations[n].guest)) {
      const params = { ...(operations[name].example as object), vmName: 'win11-a', credential };
      const text =
        scriptFromWireLine(wireLine(buildScript(name, operations[name].params.parse(params)))) ?? '';
      expect.equal(text.includes(password), false, `${name} carries the password`);
      expect.match(text, /"passwordFile":/);
    }
    expect.ok((await run(s, 'Test-VMPowerShellDirect', { vmName: 'win11-a', credential })).computerName);
  });

  it('imports a guest credential from a PSCredential file on the host (Export-Clixml), never seeing the password', async () => {
    const file = join(dir, 'win11-a.credential.xml');
    const made = spawnSync(
      pwsh ?? 'pwsh',
      [
        '-NoProfile',
        '-NonInteractive',
        '-Command',
        `$secret = ConvertTo-SecureString -String (Get-Content -Raw -LiteralPath '${join(paths.embeddedLab, '..', 'embedded.secrets', 'guest-password')}').TrimEnd() -AsPlainText -Force; New-Object System.Management.Automation.PSCredential ('Administrator', $secret) | Export-Clixml -LiteralPath '${file}'`,
      ],
      { encoding: 'utf8' },
    );
    expect.equal(made.status, 0, made.stderr);
    const params = { vmName: 'win11-a', credential: { credentialFile: file } };
    expect.equal(buildScript('Test-VMPowerShellDirect', params).includes(password), false);
    expect.ok((await run(s, 'Test-VMPowerShellDirect', params)).computerName);
  });

  it('stops a guest-to-host copy that falls behind the budget its size gives it, with a sentence', async () => {
    const guest = { vmName: 'win11-a', credential };
    const source = join(dir, 'budget.txt');
    writeFileSync(source, 'x'.repeat(4096));
    await run(s, 'Copy-VMFile', {
      vmName: 'win11-a',
      sourcePath: source,
      destinationPath: 'C:\\driverlab\\budget.txt',
    });
    const slow = await attempt(s, 'Copy-GuestFileToHost', {
      ...guest,
      guestPath: 'C:\\driverlab\\budget.txt',
      hostPath: join(dir, 'out', 'budget.txt'),
      baseSeconds: 0.001,
      minBytesPerSecond: 1e12,
      chunkBytes: 8,
    });
    expect.match(String(slow.error?.message), /fell behind its time budget .*past its budget of 0 s/);
    const fine = await run(s, 'Copy-GuestFileToHost', {
      ...guest,
      guestPath: 'C:\\driverlab\\budget.txt',
      hostPath: join(dir, 'out', 'budget.txt'),
      chunkBytes: 8,
    });
    expect.equal(fine.bytes, 4096);
  });

  it('refuses a program name that is a wildcard pattern and a registry path that is a PowerShell drive', async () => {
    const guest = { vmName: 'win11-a', credential };
    const star = await attempt(s, 'Invoke-GuestCommand', {
      ...guest,
      file: 'verif*',
      arguments: [],
      timeoutSeconds: 10,
    });
    expect.match(String(star.error?.message), /contains a wildcard character/);
    const env = await attempt(s, 'Set-GuestRegistryValue', {
      ...guest,
      path: 'Env:\\Path',
      valueName: 'x',
      type: 'String',
      value: 'y',
    });
    expect.match(String(env.error?.message), /'Env:\\Path' is not a registry path/);
  });

  it("fails a script that passes a Hyper-V command a parameter the real cmdlet lacks, quoting PowerShell's error", async () => {
    const script = buildScript('Get-VM', { vmName: 'win11-a' }).replace(
      'Hyper-V\\Get-VM | Where-Object',
      'Hyper-V\\Get-VM -IncludeReplicas | Where-Object',
    );
    expect.notEqual(script, buildScript('Get-VM', { vmName: 'win11-a' }));
    await expect.rejects(
      run(s, 'Get-VM', { vmName: 'win11-a' }, script),
      /A parameter cannot be found that matches parameter name 'IncludeReplicas'/,
    );
  });

  it('waits on the host in lab time: to its limit, through a guest restart, and not past refused credentials', async () => {
    const guest = { vmName: 'win11-a', credential };
    const wait = { timeoutSeconds: 120, pollMilliseconds: 1000, minimumLooks: 3, credentialRefusals: 3 };
    const first = await run(s, 'Wait-VMPowerShellDirect', { ...guest, ...wait });
    expect.equal(first.answered, true);
    expect.equal(first.looks, 1);
    expect.equal(first.bootTime, (await run(s, 'Test-VMPowerShellDirect', guest)).bootTime);
    // The guest keeps its boot time: the wait runs to its limit, measured with Get-Date and paused
    // with Start-Sleep in lab time (two lab minutes of one-second looks, not two minutes of waiting).
    const stays = await run(s, 'Wait-VMPowerShellDirect', {
      ...guest,
      ...wait,
      bootTimeOtherThan: first.bootTime,
    });
    expect.equal(stays.answered, false);
    expect.equal(stays.lastError, null);
    expect.ok(stays.looks >= 3, `${stays.looks} looks`);
    expect.ok(
      stays.waitedSeconds >= 119 && stays.waitedSeconds <= 122,
      `waited ${stays.waitedSeconds} lab seconds`,
    );
    // Restarted: the guest answers again with another boot time, after looks that found it down.
    await attempt(s, 'Invoke-GuestCommand', {
      ...guest,
      file: 'shutdown.exe',
      arguments: ['/r', '/t', '0'],
      timeoutSeconds: 60,
    });
    const back = await run(s, 'Wait-VMPowerShellDirect', {
      ...guest,
      ...wait,
      bootTimeOtherThan: first.bootTime,
    });
    expect.equal(back.answered, true);
    expect.notEqual(back.bootTime, first.bootTime);
    expect.ok(back.looks > 1, `${back.looks} looks`);
    // A wrong password never heals: the wait ends after credentialRefusals refusals, and says why.
    const refused = await run(s, 'Wait-VMPowerShellDirect', {
      vmName: 'win11-a',
      credential: { user: 'Administrator', password: 'not-the-password' },
      ...wait,
    });
    expect.equal(refused.answered, false);
    expect.equal(refused.looks, 3);
    expect.match(refused.lastError?.error ?? '', /The credential is invalid/);
    // A VM the host does not have is an error at once, not a wait.
    const missing = await attempt(s, 'Wait-VMPowerShellDirect', { vmName: 'win11-z', credential, ...wait });
    expect.match(String(missing.error), /has no VM by that name/);
  });
});

describe('Stop-VM on a guest that never answers the shutdown', { skip: pwsh === null }, () => {
  it('turns the VM off once forceSeconds have passed', async () => {
    const stateDir = join(dir, 'frozen');
    mkdirSync(stateDir, { recursive: true });
    const state = join(stateDir, 'state.json');
    const first = session(state);
    try {
      expect.equal((await run(first, 'Get-VM', { vmName: 'win11-a' })).state, 'Running');
    } finally {
      await first.close();
    }
    // The guest stops in the debugger: its Shutdown integration service will never answer.
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { vms: Record<string, Record<string, unknown>> };
    const frozen = saved.vms['win11-a'] as Record<string, unknown>;
    frozen.phase = 'frozen';
    frozen.phaseEndsAt = null;
    writeFileSync(state, JSON.stringify(saved));
    const second = session(state);
    try {
      const stopped = await run(second, 'Stop-VM', { vmName: 'win11-a', turnOff: false, forceSeconds: 1 });
      expect.equal(stopped.state, 'Off');
    } finally {
      await second.close();
    }
  });
});
