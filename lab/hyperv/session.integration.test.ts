import { strict as expect } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { wallSpeedLab } from '../../test/kits/hyperv/script.testkit.js';
import { LabCompromisedError } from '../errors.js';
import { paths } from '../paths.js';
import { embeddedHostCommand } from '../sim/launch.js';
import { buildScript, MARKERS, wireLine } from './script.js';
import { PowerShellSession, ShellTimeoutError } from './session.js';

const dir = mkdtempSync(join(tmpdir(), 'driverlab-session-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const wallSpeed = (): string => wallSpeedLab(dir);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const getVm = wireLine(buildScript('Get-VM', { vmName: 'win11-a' }));

describe('the PowerShell session', () => {
  it('keeps one process for many operations and stops it on close', async () => {
    const session = new PowerShellSession(embeddedHostCommand(paths.embeddedLab, 0), 'the test session');
    try {
      for (let i = 0; i < 3; i += 1) {
        const reply = await session.invoke(getVm, 10_000, 'Get-VM');
        expect.match(reply.stdout, new RegExp(`${MARKERS.beginOutput}\\s*\\{"name":"win11-a"`));
      }
      expect.equal(session.processStarts, 1);
      const pid = session.pid as number;
      await session.close();
      expect.equal(isAlive(pid), false, 'no process is left behind');
    } finally {
      await session.close();
    }
  });

  it('hands stderr back as data instead of throwing', async () => {
    const session = new PowerShellSession(embeddedHostCommand(paths.embeddedLab, 0), 'the test session');
    try {
      const reply = await session.invoke('Get-Nothing -At all', 10_000, 'a command the shell does not know');
      expect.equal(reply.stdout, '');
      expect.match(reply.stderr, /Get-Nothing : The term 'Get-Nothing' is not recognized/);
    } finally {
      await session.close();
    }
  });

  it('after a timeout kills the shell that still runs the command and starts a new one', async () => {
    const session = new PowerShellSession(
      embeddedHostCommand(wallSpeed(), 0),
      "the PowerShell session for host 'lab-01'",
    );
    try {
      await session.invoke(getVm, 10_000, 'Get-VM');
      const first = session.pid as number;
      const shutdown = wireLine(buildScript('Stop-VM', { vmName: 'win11-a', turnOff: false }));
      await expect.rejects(session.invoke(shutdown, 300, "Stop-VM on VM 'win11-a'"), (error: unknown) => {
        expect.ok(error instanceof ShellTimeoutError && error instanceof LabCompromisedError);
        expect.equal(
          error.message,
          "Stop-VM on VM 'win11-a' did not answer within 300 ms of wall time, so the PowerShell session for host 'lab-01' was stopped and will start again for the next operation (a timed-out command keeps running in PowerShell); check that the host is responsive and that the lab file's timeouts suit it.",
        );
        return true;
      });
      expect.equal(isAlive(first), false, 'the timed-out shell is gone');
      const reply = await session.invoke(getVm, 10_000, 'Get-VM');
      expect.match(reply.stdout, /"name":"win11-a"/);
      expect.equal(session.processStarts, 2);
    } finally {
      await session.close();
    }
  });

  it('reports a shell that died with a sentence and starts a new one for the next operation', async () => {
    const session = new PowerShellSession(
      embeddedHostCommand(paths.embeddedLab, 0),
      "the PowerShell session for host 'lab-01'",
    );
    try {
      await session.invoke(getVm, 10_000, 'Get-VM');
      process.kill(session.pid as number, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      await expect.rejects(session.invoke(getVm, 10_000, "Get-VM on VM 'win11-a'"), {
        name: 'LabCompromisedError',
        message:
          "The PowerShell session for host 'lab-01' ended (signal SIGKILL) before it could run Get-VM on VM 'win11-a'; the next operation starts a new shell, but check the host's PowerShell and its event log for why it died.",
      });
      expect.match((await session.invoke(getVm, 10_000, 'Get-VM')).stdout, /"name":"win11-a"/);
      expect.equal(session.processStarts, 2);
    } finally {
      await session.close();
    }
  });

  it('reports a shell that dies during an operation', async () => {
    const session = new PowerShellSession(
      embeddedHostCommand(wallSpeed(), 0),
      "the PowerShell session for host 'lab-01'",
    );
    try {
      await session.invoke(getVm, 10_000, 'Get-VM');
      const pid = session.pid as number;
      const shutdown = wireLine(buildScript('Stop-VM', { vmName: 'win11-a', turnOff: false }));
      const pending = session.invoke(shutdown, 10_000, "Stop-VM on VM 'win11-a'");
      setTimeout(() => process.kill(pid, 'SIGKILL'), 300);
      await expect.rejects(pending, {
        name: 'LabCompromisedError',
        message:
          "The PowerShell session for host 'lab-01' ended (signal SIGKILL) while running Stop-VM on VM 'win11-a'; the next operation starts a new shell, but check the host's PowerShell and its event log for why it died.",
      });
      expect.match((await session.invoke(getVm, 10_000, 'Get-VM')).stdout, /"name":"win11-a"/);
    } finally {
      await session.close();
    }
  });

  it('says so when the shell cannot be started at all', async () => {
    const session = new PowerShellSession(
      { file: 'driverlab-no-such-shell', leadingArgs: [] },
      "the PowerShell session for host 'hv-01'",
    );
    await expect.rejects(session.invoke(getVm, 10_000, "Get-VM on VM 'win11-a'"), {
      name: 'LabCompromisedError',
      message:
        "the PowerShell session for host 'hv-01' could not start 'driverlab-no-such-shell' for Get-VM on VM 'win11-a', because it is not on PATH; install PowerShell on this machine or set the host's shell in the lab file to the full path of pwsh.exe or powershell.exe.",
    });
    await session.close();
  });
});
