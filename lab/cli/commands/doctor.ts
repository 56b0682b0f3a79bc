/**
 * `driverlab doctor`: checks that a lab can run before a nightly depends on it, and says for each
 * thing that is missing how to fix it.
 *
 * For a real Hyper-V lab: the lab file, its secrets, the PowerShell each host uses, the host's
 * Hyper-V module, kd.exe, and for each VM that it exists, has its baseline checkpoint, has the
 * integration services driverlab uses, and has its debug transport (a KDNET endpoint of its own,
 * or a COM port pointed at its pipe). For the embedded lab: that the embedded host starts and
 * answers for every VM.
 */

import { existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { composeLab } from '../../compose.js';
import { type LabFile, loadLabFile, resolveLabPath } from '../../config/lab-file.js';
import { autoPortVms, claimFreeKdnetPort } from '../../endpoints.js';
import { DriverlabError, describeError } from '../../errors.js';
import { editionRefusal } from '../../hyperv/edition.js';
import type { HypervLab, HypervVm, LabHost } from '../../hyperv/lab.js';
import { probeVmAfterRestore } from '../../kd/restore.js';
import { paths } from '../../paths.js';
import { type CliIo, type Command, EXIT, parseCommandArgs, UsageError } from '../command.js';
import { checkSecrets, endpointProblem, kdnetEndpoints, lockEndpoints } from '../lab-checks.js';

const HELP = `Usage: driverlab doctor [--lab FILE] [--json] [--skip-restore-probe]

Checks that a lab can run: for a real Hyper-V lab the lab file, its secrets, PowerShell on this
machine, the Hyper-V module on each host, kd.exe, and each VM with its baseline checkpoint,
integration services and debug port or pipe; for the embedded lab, that its host starts and answers.
Then, for each VM debugged over KDNET, the restore probe: the VM's baseline is restored, its KDNET
pointed at the lab's debugger, the VM rebooted with kd connected and checkpointed running; that
checkpoint is restored, and the probe watches whether kd connects again by itself or only after a
restart — and says which debugger.afterRestore the lab file needs (reconnect or reboot). The VM is
left at its baseline. Each check prints one line, ✔ or ✖ and a sentence saying what is missing and
how to fix it.

Options:
  --lab FILE            the lab file to check (default: $DRIVERLAB_LAB, else the embedded lab)
  --json                the checks as JSON: {lab, kind, ok, checks: [{check, ok, message}]}
  --skip-restore-probe  leave the VMs alone: no restore, reboot or checkpoint
  -h, --help            this text

Exit code: 0 when every check passed, 1 when anything is missing, 2 for a wrong command line.`;

/** Integration services driverlab relies on, by the id part that is the same in every language. */
const INTEGRATION_SERVICES = [
  { id: '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47', name: 'Heartbeat', usedFor: 'readiness' },
  {
    id: '6C09BB55-D683-4DA0-8931-C9BF705F6480',
    name: 'Guest Service Interface',
    usedFor: 'copying files into the guest',
  },
] as const;

export interface Check {
  /** What was checked, as a short key: "powershell:hv-01", "vm:win10-a:checkpoint". */
  check: string;
  ok: boolean;
  message: string;
}

class Checks {
  readonly list: Check[] = [];

  pass(check: string, message: string): void {
    this.list.push({ check, ok: true, message });
  }

  fail(check: string, message: string): void {
    this.list.push({ check, ok: false, message });
  }

  get ok(): boolean {
    return this.list.every((c) => c.ok);
  }
}

/** Where an executable is found on PATH (with PATHEXT on Windows), or null. */
export function findOnPath(file: string, env: NodeJS.ProcessEnv): string | null {
  if (isAbsolute(file) || /[\\/]/.test(file)) return existsSync(file) ? file : null;
  const extensions =
    process.platform === 'win32'
      ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)]
      : [''];
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean)) {
    for (const ext of extensions) {
      const candidate = join(dir, `${file}${ext}`);
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
  }
  return null;
}

function message(error: unknown): string {
  return error instanceof DriverlabError ? error.message : describeError(error);
}

function vmsOf(lab: HypervLab, host: LabHost): HypervVm[] {
  return lab.vms().filter((vm): vm is HypervVm => (vm as HypervVm).host === host);
}

async function checkHost(
  lab: HypervLab,
  host: LabHost,
  checks: Checks,
  env: NodeJS.ProcessEnv,
  embedded: boolean,
): Promise<boolean> {
  if (!embedded) {
    const where = findOnPath(host.shell.file, env);
    if (!where) {
      checks.fail(
        `powershell:${host.name}`,
        `PowerShell '${host.shell.file}' for host '${host.name}' is not on this machine's PATH, so no PowerShell and no Hyper-V host can be reached from here; run driverlab on the Hyper-V host or a Windows machine with Windows PowerShell 5.1 or PowerShell 7, or set the host's shell in the lab file to the full path of powershell.exe or pwsh.exe.`,
      );
      return false;
    }
    checks.pass(`powershell:${host.name}`, `PowerShell for host '${host.name}' is ${where}.`);
  }
  try {
    if (embedded) {
      // The simulated host answers Hyper-V operations; asking for a VM proves it started and reads its lab file.
      const first = vmsOf(lab, host)[0];
      if (first) await host.run('Get-VM', { vmName: first.name }, first.describe());
      const info = await host.run('Get-HostInfo', {}, host.describe());
      const shell = host.shell.file === process.execPath ? 'the embedded lab host process' : host.shell.file;
      checks.pass(
        `host:${host.name}`,
        `The embedded lab host for host '${host.name}' starts and answers (PowerShell: ${shell}, edition ${info.psEdition} ${info.psVersion}).`,
      );
      return true;
    }
    const info = await host.run('Get-HostInfo', {}, host.describe());
    if (!info.hyperVModule) {
      checks.fail(
        `hyperv:${host.name}`,
        `Host '${host.name}' (${info.computerName}) answers, but has no Hyper-V PowerShell module; install it with Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-Management-PowerShell.`,
      );
      return false;
    }
    const refusal = editionRefusal(info, host.shell.file);
    if (refusal) {
      checks.fail(`hyperv:${host.name}`, `Host '${host.name}' (${info.computerName}) ${refusal}`);
      return false;
    }
    checks.pass(
      `hyperv:${host.name}`,
      `Host '${host.name}' (${info.computerName}) answers in PowerShell '${host.shell.file}', edition ${info.psEdition} ${info.psVersion}, and has the Hyper-V module.`,
    );
    return true;
  } catch (error) {
    checks.fail(`hyperv:${host.name}`, message(error));
    return false;
  }
}

async function checkVm(vm: HypervVm, lab: HypervLab, checks: Checks): Promise<void> {
  const key = `vm:${vm.name}`;
  const subject = vm.describe();
  try {
    const status = await vm.status();
    checks.pass(key, `${subject} exists (${status.state}).`);
  } catch (error) {
    checks.fail(key, message(error));
    return;
  }
  if (lab.kind === 'embedded') return;
  const baseline = vm.config.baseline;
  try {
    const found = await vm.host.run(
      'Get-VMCheckpoint',
      { vmName: vm.name, checkpointName: baseline },
      subject,
    );
    if (found.checkpoints.length === 0) {
      checks.fail(
        `${key}:checkpoint`,
        `${subject} has no checkpoint '${baseline}', the baseline every scenario starts from; boot the VM to its clean state and run Checkpoint-VM -Name '${vm.name}' -SnapshotName '${baseline}' on the host.`,
      );
    } else {
      checks.pass(
        `${key}:checkpoint`,
        `${subject} has its baseline checkpoint '${baseline}' (${found.checkpoints[0]?.checkpointType}).`,
      );
    }
  } catch (error) {
    checks.fail(`${key}:checkpoint`, message(error));
  }
  try {
    const { services } = await vm.host.run('Get-VMIntegrationService', { vmName: vm.name }, subject);
    for (const wanted of INTEGRATION_SERVICES) {
      const service = services.find((s) => s.id.toUpperCase() === wanted.id);
      if (service?.enabled) {
        checks.pass(
          `${key}:service:${wanted.name}`,
          `${subject} has the ${wanted.name} integration service enabled.`,
        );
      } else {
        checks.fail(
          `${key}:service:${wanted.name}`,
          `${subject} has the ${wanted.name} integration service ${service ? 'disabled' : 'missing'}, which driverlab needs for ${wanted.usedFor}; run Enable-VMIntegrationService -VMName '${vm.name}' -Name '${wanted.name}' on the host.`,
        );
      }
    }
  } catch (error) {
    checks.fail(`${key}:services`, message(error));
  }
  await checkDebugPort(vm, lab, checks);
}

async function checkDebugPort(vm: HypervVm, lab: HypervLab, checks: Checks): Promise<void> {
  const key = `vm:${vm.name}:debug`;
  const debug = vm.config.debug;
  const subject = vm.describe();
  if (!debug) {
    checks.fail(
      key,
      `${subject} has no debug transport in the lab file, so no debugger can attach to it; add debug: { transport: net, … } or { transport: pipe, … }.`,
    );
    return;
  }
  if (debug.transport === 'net') {
    const others = lab.file.data.vms.filter(
      (o) =>
        o.name !== vm.name &&
        o.debug?.transport === 'net' &&
        o.debug.hostIp === debug.hostIp &&
        o.debug.port === debug.port,
    );
    if (others.length > 0) {
      checks.fail(
        key,
        `${subject} shares its KDNET endpoint ${debug.hostIp}:${debug.port} with ${others.map((o) => `'${o.name}'`).join(', ')}; give each VM its own port.`,
      );
    } else {
      checks.pass(
        key,
        `${subject} debugs over KDNET to ${debug.hostIp}:${debug.port}, which no other VM of the lab uses.`,
      );
    }
    return;
  }
  const wanted = `\\\\.\\pipe\\${debug.name}`;
  try {
    const { ports } = await vm.host.run('Get-VMComPort', { vmName: vm.name }, subject);
    const port = ports.find((p) => p.number === debug.comPort);
    if (port && port.path.toLowerCase() === wanted.toLowerCase()) {
      checks.pass(key, `${subject} has COM${debug.comPort} on the pipe ${wanted}.`);
    } else {
      checks.fail(
        key,
        `${subject} has COM${debug.comPort} on ${port?.path ? `'${port.path}'` : 'no pipe'} instead of ${wanted}; run Set-VMComPort -VMName '${vm.name}' -Number ${debug.comPort} -Path '${wanted}' on the host and cold-start the VM (a Generation 2 VM also needs Secure Boot off).`,
      );
    }
  } catch (error) {
    checks.fail(key, message(error));
  }
}

/**
 * The restore probe of one KDNET VM (lab/kd/restore.ts): which debugger.afterRestore the lab needs.
 * The lab file's `reconnect` where the guest needs a reboot is a problem (every scenario would
 * wait for a connection that never comes); its `reboot` where a reconnect would do only costs a boot.
 */
async function checkAfterRestore(
  lab: HypervLab,
  vm: HypervVm,
  checks: Checks,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const key = `vm:${vm.name}:after-restore`;
  try {
    const probe = await probeVmAfterRestore(lab, vm, env);
    if (probe.recommend === null) checks.fail(key, probe.sentence);
    else if (probe.recommend === 'reconnect' && probe.configured === 'reconnect')
      checks.pass(key, probe.sentence);
    else if (probe.recommend === 'reboot' && probe.configured === 'reboot') {
      checks.pass(
        key,
        `After ${vm.describe()} was restored to a running checkpoint, its KDNET stayed silent and connected only after a restart, which the lab file's debugger.afterRestore: reboot already does.`,
      );
    } else if (probe.recommend === 'reboot') checks.fail(key, probe.sentence);
    else {
      checks.pass(
        key,
        `After ${vm.describe()} was restored to a running checkpoint, its KDNET connected again by itself, so the lab file's debugger.afterRestore: reboot works but costs a restart per scenario that reconnect would save.`,
      );
    }
  } catch (error) {
    checks.fail(key, message(error));
  }
}

/** Runs every check for a lab file; never throws for what it finds, only lists it. */
export async function diagnose(
  labPath: string,
  env: NodeJS.ProcessEnv,
  options: { restoreProbe?: boolean } = {},
): Promise<{ kind: string; checks: Check[]; ok: boolean }> {
  const checks = new Checks();
  let file: LabFile;
  try {
    file = await loadLabFile(labPath);
  } catch (error) {
    checks.fail('lab-file', message(error));
    return { kind: 'unknown', checks: checks.list, ok: false };
  }
  const data = file.data;
  checks.pass(
    'lab-file',
    `The lab file '${labPath}' is valid: ${data.kind === 'embedded' ? 'the embedded lab' : 'a Hyper-V lab'} '${data.name}' with ${data.hosts.length} host(s), ${data.vms.length} VM(s) and ${data.drivers.length} driver(s).`,
  );
  const embedded = data.kind === 'embedded';
  // Every secret reference resolves — on the embedded lab too: a run resolves them all before any VM is touched.
  for (const { use, problem } of checkSecrets(file, env)) {
    if (problem) checks.fail(`secret:${use.at}`, problem);
    else
      checks.pass(
        `secret:${use.at}`,
        `${use.what.charAt(0).toUpperCase()}${use.what.slice(1)} resolves (${use.at}).`,
      );
  }
  // The KDNET endpoints the debuggers of this machine listen on: free, and held by no other run.
  for (const endpoint of kdnetEndpoints(file)) {
    const id = `kdnet:${endpoint.hostIp}:${endpoint.port}`;
    const locks = lockEndpoints([endpoint]);
    const problem = locks.refused[0] ?? (await endpointProblem(endpoint));
    locks.release();
    if (problem) checks.fail(id, problem);
    else
      checks.pass(
        id,
        `The KDNET endpoint ${endpoint.hostIp}:${endpoint.port} of VM '${endpoint.vm}' is free on this machine.`,
      );
  }
  // An `auto` port is chosen free when a run starts (lab/endpoints.ts): one must be free now.
  for (const vm of autoPortVms(file)) {
    const hostIp = vm.debug?.transport === 'net' ? vm.debug.hostIp : '127.0.0.1';
    const id = `kdnet:${hostIp}:auto`;
    try {
      const claim = await claimFreeKdnetPort(hostIp);
      claim.lock.release();
      checks.pass(
        id,
        `VM '${vm.name}' debugs over KDNET to ${hostIp} on a port each run chooses free (auto); ${claim.port} is free now.`,
      );
    } catch (error) {
      checks.fail(id, message(error));
    }
  }
  if (!embedded) {
    const kd = resolveLabPath(file, data.debugger.executable);
    if (existsSync(kd)) checks.pass('kd', `kd.exe is at ${kd}.`);
    else {
      checks.fail(
        'kd',
        `kd.exe is not at '${kd}' (debugger.executable in the lab file); install the Debugging Tools for Windows (part of the Windows SDK or WDK) or fix the path.`,
      );
    }
  }
  const lab = composeLab(file, { env });
  try {
    for (const host of lab.labHosts()) {
      const answers = await checkHost(lab, host, checks, env, embedded);
      for (const vm of vmsOf(lab, host)) {
        if (answers) {
          const before = checks.list.length;
          await checkVm(vm, lab, checks);
          const vmOk = checks.list.slice(before).every((c) => c.ok);
          if (vmOk && options.restoreProbe !== false && vm.config.debug?.transport === 'net') {
            await checkAfterRestore(lab, vm, checks, env);
          }
        } else {
          checks.fail(
            `vm:${vm.name}`,
            `${vm.describe()} was not checked, because host '${host.name}' cannot be asked (see above).`,
          );
        }
      }
    }
  } finally {
    await lab.close();
  }
  return { kind: data.kind, checks: checks.list, ok: checks.ok };
}

async function doctor(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('doctor', args, {
    lab: { type: 'string' },
    json: { type: 'boolean' },
    'skip-restore-probe': { type: 'boolean' },
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `'driverlab doctor' takes no argument '${positionals[0]}'; name the lab file with --lab.`,
    );
  }
  const chosen = values.lab ?? io.env.DRIVERLAB_LAB;
  const labPath = chosen ? (isAbsolute(chosen) ? chosen : join(io.cwd, chosen)) : paths.embeddedLab;
  const result = await diagnose(labPath, io.env, { restoreProbe: values['skip-restore-probe'] !== true });
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ lab: labPath, kind: result.kind, ok: result.ok, checks: result.checks }, null, 2)}\n`,
    );
  } else {
    io.stdout(`${result.checks.map((c) => `${c.ok ? '✔' : '✖'} ${c.message}`).join('\n')}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.problem;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check that a lab can run, and say how to fix what is missing',
  help: HELP,
  run: doctor,
};
