import { strict as expect } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type CliRun, runDriverlab } from '../../../test/kits/cli/cli.testkit.js';
import { loadLabFile } from '../../config/lab-file.js';
import { paths } from '../../paths.js';

/** An empty folder as PATH: no PowerShell can be found, on any machine the tests run on. */
const emptyPath = mkdtempSync(join(tmpdir(), 'driverlab-doctor-'));
after(() => rmSync(emptyPath, { recursive: true, force: true }));

const doctor = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> =>
  runDriverlab(['doctor', ...args], env);

const example = join(paths.root, 'lab', 'labs', 'example-hyperv.yaml');

/**
 * The embedded lab with its guest win11-a's KDNET silent after a restore (the embedded lab file's
 * kdnetAfterRestore), and the lab file's debugger.afterRestore as given: a lab beside a copy of the
 * embedded lab's secrets and drivers.
 */
function silentGuestLab(afterRestore: 'reconnect' | 'reboot' | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'driverlab-doctor-lab-'));
  const labs = join(paths.root, 'lab', 'labs');
  cpSync(join(labs, 'embedded.secrets'), join(dir, 'embedded.secrets'), { recursive: true });
  cpSync(join(labs, 'drivers'), join(dir, 'drivers'), { recursive: true });
  let text = readFileSync(paths.embeddedLab, 'utf8');
  text = text.replace(/^( {4}win11-a:\n)/m, '$1      kdnetAfterRestore: silent\n');
  if (afterRestore) text = text.replace(/^debugger:\n/m, `debugger:\n  afterRestore: ${afterRestore}\n`);
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, text);
  after(() => rmSync(dir, { recursive: true, force: true }));
  return file;
}

const probeLines = (stdout: string) => stdout.split('\n').filter((l) => /KDNET (connected|stayed)/.test(l));

describe('driverlab doctor', () => {
  it('for a real lab with no PowerShell and no Hyper-V host reachable says so, line by line, and exits 1', async () => {
    const r = await doctor({ PATH: emptyPath }, '--lab', 'lab/labs/example-hyperv.yaml');
    expect.equal(r.code, 1);
    expect.equal(r.stderr, '');
    // The free port doctor found for an `auto` VM differs from run to run.
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/; \d+ is free now\.$/, '; N is free now.'));
    expect.deepEqual(lines, [
      `✔ The lab file '${example}' is valid: a Hyper-V lab 'driver-lab-01' with 1 host(s), 2 VM(s) and 9 driver(s).`,
      "✖ The guest password of VM 'win10-kdnet' is read from the environment variable WIN10_KDNET_PASSWORD, which is not set; set it, or point the lab file at a secret file with { file: … }.",
      "✖ The KDNET key of VM 'win10-kdnet' is read from the environment variable WIN10_KDNET_KEY, which is not set; set it, or point the lab file at a secret file with { file: … }.",
      "✖ The guest password of VM 'win10-pipe' is read from the environment variable WIN10_PIPE_PASSWORD, which is not set; set it, or point the lab file at a secret file with { file: … }.",
      "✔ The KDNET endpoint 192.168.50.1:50000 of VM 'win10-kdnet' is free on this machine.",
      "✖ kd.exe is not at 'C:\\Program Files (x86)\\Windows Kits\\10\\Debuggers\\x64\\kd.exe' (debugger.executable in the lab file); install the Debugging Tools for Windows (part of the Windows SDK or WDK) or fix the path.",
      "✖ PowerShell 'powershell' for host 'hv-01' is not on this machine's PATH, so no PowerShell and no Hyper-V host can be reached from here; run driverlab on the Hyper-V host or a Windows machine with Windows PowerShell 5.1 or PowerShell 7, or set the host's shell in the lab file to the full path of powershell.exe or pwsh.exe.",
      "✖ VM 'win10-kdnet' on host 'hv-01' was not checked, because host 'hv-01' cannot be asked (see above).",
      "✖ VM 'win10-pipe' on host 'hv-01' was not checked, because host 'hv-01' cannot be asked (see above).",
    ]);
  });

  it('counts a secret that resolves as found, and never prints it', async () => {
    const r = await doctor(
      {
        PATH: emptyPath,
        WIN10_KDNET_PASSWORD: 'Pa55word!',
        WIN10_KDNET_KEY: '1.2.3.4',
        WIN10_PIPE_PASSWORD: 'Pa55word?',
      },
      '--lab',
      example,
      '--json',
    );
    expect.equal(r.code, 1);
    expect.equal(r.stdout.includes('Pa55word'), false);
    const report = JSON.parse(r.stdout) as {
      lab: string;
      kind: string;
      ok: boolean;
      checks: { check: string; ok: boolean; message: string }[];
    };
    expect.equal(report.kind, 'hyperv');
    expect.equal(report.ok, false);
    expect.deepEqual(
      report.checks.map((c) => [c.check, c.ok]),
      [
        ['lab-file', true],
        ['secret:vms.0.guestCredential.password', true],
        ['secret:vms.0.debug.key', true],
        ['secret:vms.1.guestCredential.password', true],
        ['kdnet:192.168.50.1:50000', true],
        ['kd', false],
        ['powershell:hv-01', false],
        ['vm:win10-kdnet', false],
        ['vm:win10-pipe', false],
      ],
    );
    expect.equal(
      report.checks[1]?.message,
      "The guest password of VM 'win10-kdnet' resolves (vms.0.guestCredential.password).",
    );
  });

  it('for a lab file that is not valid says why and exits 1', async () => {
    const r = await doctor({ PATH: emptyPath }, '--lab', 'lab/labs/README.md');
    expect.equal(r.code, 1);
    expect.match(r.stdout, /^✖ The lab file '.*README\.md' is not valid/);
  });

  it('for the embedded lab checks its secrets, its debugger ports and that its host starts and answers, and exits 0', async () => {
    const r = await doctor({ PATH: emptyPath });
    expect.equal(r.code, 0, r.stdout);
    // The free port doctor found for an `auto` VM differs from run to run.
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/; \d+ is free now\.$/, '; N is free now.'));
    expect.deepEqual(lines, [
      `✔ The lab file '${paths.embeddedLab}' is valid: the embedded lab 'embedded' with 1 host(s), 2 VM(s) and ${(await loadLabFile(paths.embeddedLab)).data.drivers.length} driver(s).`,
      "✔ The guest password of VM 'win11-a' resolves (vms.0.guestCredential.password).",
      "✔ The guest password of VM 'win11-b' resolves (vms.1.guestCredential.password).",
      "✔ The password of account 'Administrator' of the embedded guest 'win11-a' resolves (embedded.guests.win11-a.accounts.0.password).",
      "✔ The password of account 'Administrator' of the embedded guest 'win11-b' resolves (embedded.guests.win11-b.accounts.0.password).",
      "✔ VM 'win11-a' debugs over KDNET to 127.0.0.11 on a port each run chooses free (auto); N is free now.",
      "✔ VM 'win11-b' debugs over KDNET to 127.0.0.12 on a port each run chooses free (auto); N is free now.",
      "✔ The embedded lab host for host 'lab-01' starts and answers (PowerShell: the embedded lab host process, edition Desktop 5.1).",
      "✔ VM 'win11-a' on host 'lab-01' exists (Running).",
      "✔ After VM 'win11-a' on host 'lab-01' was restored to 'driverlab-restore-probe', its KDNET connected again by itself within 2 min: debugger.afterRestore: reconnect (the default) fits this lab.",
      "✔ VM 'win11-b' on host 'lab-01' exists (Running).",
      "✔ After VM 'win11-b' on host 'lab-01' was restored to 'driverlab-restore-probe', its KDNET connected again by itself within 2 min: debugger.afterRestore: reconnect (the default) fits this lab.",
    ]);
  });

  it('probes a guest whose KDNET stays silent after a restore: recommends reboot, and fails a lab file that says reconnect', async () => {
    const r = await doctor({ PATH: emptyPath }, '--lab', silentGuestLab(null));
    expect.equal(r.code, 1, r.stdout);
    expect.deepEqual(probeLines(r.stdout), [
      "✖ After VM 'win11-a' on host 'lab-01' was restored to 'driverlab-restore-probe', its KDNET stayed silent for 2 min and connected only after a restart: set debugger.afterRestore: reboot in the lab file.",
      "✔ After VM 'win11-b' on host 'lab-01' was restored to 'driverlab-restore-probe', its KDNET connected again by itself within 2 min: debugger.afterRestore: reconnect (the default) fits this lab.",
    ]);
    // The VMs are left at their baseline, without the probe's checkpoint.
    expect.doesNotMatch(r.stdout, /✖ VM 'win11-b'/);
  });

  it('passes a lab file that says reboot for that guest, and says what reboot costs where a reconnect would do', async () => {
    const r = await doctor({ PATH: emptyPath }, '--lab', silentGuestLab('reboot'), '--json');
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { check: string; ok: boolean; message: string }[];
    };
    expect.equal(r.code, 0, r.stdout);
    const probes = report.checks.filter((c) => c.check.endsWith(':after-restore'));
    expect.deepEqual(
      probes.map((c) => [c.check, c.ok, c.message]),
      [
        [
          'vm:win11-a:after-restore',
          true,
          "After VM 'win11-a' on host 'lab-01' was restored to a running checkpoint, its KDNET stayed silent and connected only after a restart, which the lab file's debugger.afterRestore: reboot already does.",
        ],
        [
          'vm:win11-b:after-restore',
          true,
          "After VM 'win11-b' on host 'lab-01' was restored to a running checkpoint, its KDNET connected again by itself, so the lab file's debugger.afterRestore: reboot works but costs a restart per scenario that reconnect would save.",
        ],
      ],
    );
  });

  it('leaves the VMs alone with --skip-restore-probe', async () => {
    const r = await doctor({ PATH: emptyPath }, '--skip-restore-probe');
    expect.equal(r.code, 0, r.stdout);
    expect.deepEqual(probeLines(r.stdout), []);
  });

  it('takes the lab file from DRIVERLAB_LAB and refuses arguments', async () => {
    const r = await doctor({ PATH: emptyPath, DRIVERLAB_LAB: example }, '--json');
    expect.equal((JSON.parse(r.stdout) as { kind: string }).kind, 'hyperv');
    const wrong = await doctor({}, 'lab/labs/example-hyperv.yaml');
    expect.equal(wrong.code, 2);
    expect.equal(
      wrong.stderr,
      "'driverlab doctor' takes no argument 'lab/labs/example-hyperv.yaml'; name the lab file with --lab.\n",
    );
  });
});
