import { strict as expect } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { wallSpeedLab } from '../../test/kits/hyperv/script.testkit.js';
import { composeLab } from '../compose.js';
import { loadLabFile, parseLabFile } from '../config/lab-file.js';
import { paths } from '../paths.js';
import type { HypervLab, HypervVm } from './lab.js';
import { GuestUnreachableError } from './reply.js';

async function embeddedLab(): Promise<HypervLab> {
  return composeLab(await loadLabFile(paths.embeddedLab));
}

describe('the Hyper-V adapter', () => {
  it('describes its lab, VMs, hosts and guests for messages', async () => {
    const lab = await embeddedLab();
    try {
      expect.equal(lab.describe(), "embedded lab 'embedded'");
      const vm = lab.vm('win11-a');
      expect.equal(vm.describe(), "VM 'win11-a' on host 'lab-01'");
      expect.equal(vm.host.describe(), "host 'lab-01'");
      expect.equal(vm.guest.describe(), "the guest OS of VM 'win11-a' on host 'lab-01'");
      expect.throws(() => lab.vm('win12'), {
        name: 'ConfigurationError',
        message: `The embedded lab 'embedded' has no VM 'win12'; its VMs are 'win11-a', 'win11-b' (see ${paths.embeddedLab}).`,
      });
    } finally {
      await lab.close();
    }
  });

  it('keeps every operation in the transcript, with the script and its secrets redacted', async () => {
    const lab = await embeddedLab();
    try {
      const vm = lab.vm('win11-a');
      await vm.stop({ turnOff: true });
      expect.equal((await vm.status()).state, 'Off');
      const transcript = lab.takeTranscript();
      expect.deepEqual(
        transcript.map((e) => [e.operation, e.outcome, e.attempt]),
        [
          ['Stop-VM', 'ok', 1],
          ['Get-VM', 'ok', 1],
        ],
      );
      expect.match(transcript[0]?.script ?? '', /^# driverlab-op: Stop-VM\n/);
      expect.match(transcript[0]?.stdout ?? '', /===Begin-Output===/);
      expect.deepEqual(lab.takeTranscript(), [], 'taken once');
    } finally {
      await lab.close();
    }
  });

  it('says at once that a VM that is off will not become ready, instead of waiting out the timeout', async () => {
    const lab = await embeddedLab();
    try {
      const vm = lab.vm('win11-b');
      await vm.stop({ turnOff: true });
      const started = lab.clock.now();
      await expect.rejects(vm.waitUntilReady({ timeoutMs: 300_000 }), {
        name: 'LabCompromisedError',
        message:
          "VM 'win11-b' on host 'lab-01' is Off, so it will not become ready by waiting; start it (or restore a checkpoint that leaves it running) before waiting for it.",
      });
      expect.ok(lab.clock.now() - started < 60_000, 'far less than the 5 min timeout');
    } finally {
      await lab.close();
    }
  });

  it('tries a refused guest operation again within its bound, and keeps every attempt', async () => {
    const lab = await embeddedLab();
    try {
      const vm = lab.vm('win11-a') as HypervVm;
      // The host's real answer (no such VM), taken as a PowerShell Direct refusal to exercise the retry.
      const refused = (_e: unknown, what: string) =>
        new GuestUnreachableError(
          `${what} failed because PowerShell Direct could not reach the guest.`,
          'unreachable',
        );
      await expect.rejects(
        vm.host.run('Get-VM', { vmName: 'win11-z' }, "VM 'win11-z'", {
          classify: refused,
          retry: { attempts: 3, withinMs: 3_600_000, pauseMs: 5_000, reasons: ['unreachable'] },
        }),
        (error: unknown) => {
          expect.ok(error instanceof GuestUnreachableError);
          expect.match(
            error.message,
            /^Get-VM on VM 'win11-z' failed because PowerShell Direct could not reach the guest \(3 attempts in \d+(\.\d)? (s|min)\)\.$/,
          );
          return true;
        },
      );
      expect.deepEqual(
        lab.takeTranscript().map((e) => [e.attempt, e.outcome]),
        [
          [1, 'error'],
          [2, 'error'],
          [3, 'error'],
        ],
      );
    } finally {
      await lab.close();
    }
  });

  it('does not try again a refusal its policy does not name (a guest program may have started)', async () => {
    const lab = await embeddedLab();
    try {
      const vm = lab.vm('win11-a') as HypervVm;
      const ended = (_e: unknown, what: string) =>
        new GuestUnreachableError(
          `${what} failed because the PowerShell Direct session ended.`,
          'unreachable',
        );
      await expect.rejects(
        vm.host.run('Get-VM', { vmName: 'win11-z' }, "VM 'win11-z'", {
          classify: ended,
          retry: { attempts: 3, withinMs: 60_000, pauseMs: 5_000, reasons: ['credential'] },
        }),
        { message: "Get-VM on VM 'win11-z' failed because the PowerShell Direct session ended." },
      );
      expect.equal(lab.takeTranscript().length, 1);
    } finally {
      await lab.close();
    }
  });

  it('stops trying when the time bound would pass before the next attempt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-lab-'));
    const lab = composeLab(await loadLabFile(wallSpeedLab(dir)));
    try {
      const vm = lab.vm('win11-a') as HypervVm;
      await vm.status(); // the shell is up, so an attempt costs milliseconds
      lab.takeTranscript();
      const refused = (_e: unknown, what: string) =>
        new GuestUnreachableError(`${what} failed because PowerShell Direct refused.`, 'credential');
      await expect.rejects(
        vm.host.run('Get-VM', { vmName: 'win11-z' }, "VM 'win11-z'", {
          classify: refused,
          retry: { attempts: 10, withinMs: 300, pauseMs: 200, reasons: ['credential'] },
        }),
        /failed because PowerShell Direct refused \(2 attempts in \d+ ms\)\.$/,
      );
      expect.equal(lab.takeTranscript().length, 2);
    } finally {
      await lab.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends a remote host its name and a reference to its credential as data, never the password', async () => {
    const file = parseLabFile(
      `kind: hyperv
name: remote
hosts:
  - name: hv-02
    computerName: hv-02.lab.example
    shell: driverlab-no-such-powershell
    credential: { user: 'LAB\\runner', password: { env: HV02_PASSWORD } }
vms:
  - { name: win10-a, baseline: baseline, guestCredential: { user: Administrator, password: { env: WIN10_A_PASSWORD } } }
debugger: { executable: 'C:\\kd.exe' }
`,
      'lab/labs/remote.yaml',
    );
    const lab = composeLab(file, {
      env: { HV02_PASSWORD: 'host-secret-"1', WIN10_A_PASSWORD: 'guest-secret-2' },
    });
    try {
      const vm = lab.vm('win10-a') as HypervVm;
      expect.equal(vm.host.isRemote, true);
      await expect.rejects(vm.status(), {
        name: 'LabCompromisedError',
        message:
          "the PowerShell session for host 'hv-02' could not start 'driverlab-no-such-powershell' for Get-VM on VM 'win10-a' on host 'hv-02', because it is not on PATH; install PowerShell on this machine or set the host's shell in the lab file to the full path of pwsh.exe or powershell.exe.",
      });
      const [entry] = lab.takeTranscript();
      expect.ok(entry);
      expect.match(
        entry.script,
        /\n\{"params":\{"vmName":"win10-a"\},"computerName":"hv-02\.lab\.example","credential":\{"user":"LAB\\\\runner","passwordFile":"[^"]+\.secret"\}\}\n/,
      );
      expect.equal(entry.script.includes('host-secret'), false);
      expect.equal(entry.script.includes('«redacted'), false, 'there was no password to redact');
      expect.equal(entry.error?.startsWith("the PowerShell session for host 'hv-02' could not start"), true);
    } finally {
      await lab.close();
    }
  });
});
