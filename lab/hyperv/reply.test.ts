import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as z from 'zod';
import { ConfigurationError, LabCompromisedError } from '../errors.js';
import { paths } from '../paths.js';
import { type OperationName, type OperationResult, operations } from './ops/operations.js';
import {
  classifyHostError,
  GuestUnreachableError,
  OperationFailed,
  type PsError,
  parseReply,
  readableShellText,
} from './reply.js';
import type { ShellReply } from './session.js';

const fixtures = join(paths.root, 'lab', 'hyperv', 'fixtures');
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const WHAT = "Get-VM on VM 'win10-a' on host 'hv-01'";

function read<N extends OperationName>(name: N, stdout: string, stderr = ''): OperationResult<N> {
  const reply: ShellReply = { stdout, stderr, durationMs: 1 };
  return parseReply(reply, operations[name].result as z.ZodType, {
    what: `${name} on VM 'win10-a' on host 'hv-01'`,
    classify: classifyHostError,
  }) as OperationResult<N>;
}

function failure(stdout: string, stderr = ''): Error {
  try {
    read('Get-VM', stdout, stderr);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the reply was accepted');
}

describe('a reply written by Windows PowerShell 5.1', () => {
  it('turns enum numbers and ETS-wrapped enums into their names', () => {
    const vm = read('Get-VM', fixture('Get-VM.ps51-enums.txt'));
    expect.equal(vm.state, 'Running');
    expect.equal(vm.heartbeat, 'OkApplicationsHealthy');
    expect.equal(vm.uptimeSeconds, 5025.6);
  });

  it('turns \\/Date(…)\\/ into ISO 8601 and a single object into a list of one', () => {
    const r = read('Get-VMCheckpoint', fixture('Get-VMCheckpoint.ps51-single.txt'));
    expect.equal(r.checkpoints.length, 1);
    expect.equal(r.checkpoints[0]?.created, '2012-01-13T08:00:00.000Z');
    expect.equal(r.checkpoints[0]?.parentName, null);
  });

  it('unwraps an array written as {"value":[…],"Count":n} and lists a bare string', () => {
    const r = read('Get-VMNetworkAdapter', fixture('Get-VMNetworkAdapter.ps51-wrapped.txt'));
    expect.deepEqual(
      r.adapters.map((a) => a.ipAddresses),
      [['192.168.50.11', 'fe80::215:5dff:fe00:111'], ['192.168.60.11']],
    );
  });

  it('names an enum number no source maps, instead of guessing', () => {
    const text = fixture('Get-VM.ps51-enums.txt').replace('"state":2', '"state":32795');
    expect.equal(read('Get-VM', text).state, 'Unknown(32795)');
  });
});

describe('a reply written by PowerShell 7', () => {
  it('keeps ISO dates and unwraps a date that carries Get-Date decorations', () => {
    const r = read('Get-VMCheckpoint', fixture('Get-VMCheckpoint.ps7.txt'));
    expect.deepEqual(
      r.checkpoints.map((c) => [c.name, c.created, c.parentName]),
      [
        ['baseline', '2018-01-05T09:25:37.037783+01:00', null],
        ['before-verifier', '2018-01-05T09:25:37.037915+01:00', 'baseline'],
      ],
    );
  });
});

describe('a reply with noise around it', () => {
  it('is read between the markers, whatever came before, after or on stderr', () => {
    const vm = read('Get-VM', fixture('Get-VM.noise.stdout.txt'), fixture('Get-VM.noise.stderr.txt'));
    expect.equal(vm.name, 'win10-a');
    expect.equal(vm.state, 'Running');
  });

  it('that was cut off says so instead of reading half of it', () => {
    const error = failure(fixture('Get-VM.cut.stdout.txt'));
    expect.ok(error instanceof LabCompromisedError);
    expect.equal(
      error.message,
      `${WHAT} started a reply (===Begin-Output===) that never ended, so the reply was cut off; the host's PowerShell may have stopped while writing it, look at its event log.`,
    );
  });

  it('that is only stderr quotes it, with the CLIXML decoded', () => {
    const error = failure('', fixture('not-recognized.stderr.txt'));
    expect.ok(error instanceof LabCompromisedError);
    expect.equal(
      error.message,
      `${WHAT} gave no reply between the output markers; the shell printed: cargo : The term 'cargo' is not recognized as the name of a cmdlet, function, script file, or operable program. Check | the spelling of the name, or if a path was included, verify that the path is correct and try again.; check that the host runs Windows PowerShell 5.1 or PowerShell 7 with the Hyper-V module and may run scripts.`,
    );
  });

  it('that is empty says the shell printed nothing', () => {
    expect.equal(
      failure('').message,
      `${WHAT} gave no reply between the output markers and printed nothing; check that the host runs Windows PowerShell 5.1 or PowerShell 7 with the Hyper-V module and may run scripts.`,
    );
  });

  it('that is not JSON, or JSON of another shape, is not trusted', () => {
    expect.equal(
      failure('===Begin-Output===\nSystem.Collections.Hashtable\n===End-Output===').message,
      `${WHAT} replied with text that is not JSON (System.Collections.Hashtable); the host's reply cannot be trusted.`,
    );
    expect.equal(
      failure('===Begin-Output===\n{"name":"win10-a","state":"Running"}\n===End-Output===').message,
      `${WHAT} replied with JSON of an unexpected shape (id is missing (a string is required); heartbeat is missing (a string is required); uptimeSeconds is missing (a number is required); status is missing (a string is required); generation is missing (a number is required)); the host's PowerShell or Hyper-V module may differ from what driverlab supports.`,
    );
  });

  it('drops progress records from CLIXML and keeps the error strings', () => {
    expect.equal(readableShellText(fixture('Get-VM.noise.stderr.txt')), '');
    expect.equal(readableShellText('plain text'), 'plain text');
  });
});

describe("a host's error", () => {
  const raised = (error: Partial<PsError>): Error => {
    const e = failure(
      `===Begin-Error===\n${JSON.stringify({ error: '', fqid: '', type: '', category: '', ...error })}\n===End-Error===`,
    );
    expect.ok(e.cause instanceof OperationFailed);
    return e;
  };

  it('for a VM the host does not have is a configuration error', () => {
    const e = raised({
      error: 'Hyper-V was unable to find a virtual machine with name "win10-a".',
      fqid: 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM',
      type: 'Microsoft.HyperV.PowerShell.VirtualizationException',
      category: 'InvalidArgument',
    });
    expect.ok(e instanceof ConfigurationError);
    expect.equal(
      e.message,
      `${WHAT} failed because the host has no VM by that name ("Hyper-V was unable to find a virtual machine with name "win10-a""); check the VM name in the lab file, and that driverlab runs as a Hyper-V administrator, since Hyper-V gives the same answer without that right.`,
    );
    expect.ok(
      raised({ error: 'The input VMName parameter does not resolve to any virtual machine.' }) instanceof
        ConfigurationError,
    );
    expect.ok(
      raised({
        error: "No virtual machine on this host is named 'win10-a'.",
        fqid: 'DriverlabVmNotFound',
      }) instanceof ConfigurationError,
    );
  });

  it('from PowerShell Direct is a lab fault worth trying again', () => {
    const credential = raised({
      error: 'The credential is invalid.',
      type: 'System.Management.Automation.Remoting.PSDirectException',
    });
    expect.ok(credential instanceof GuestUnreachableError);
    expect.equal((credential as GuestUnreachableError).reason, 'credential');
    expect.equal(
      credential.message,
      `${WHAT} failed because PowerShell Direct refused the guest credential ("The credential is invalid"); check the guest account and its password reference in the lab file, or whether the guest has finished booting.`,
    );
    const ended = raised({
      error:
        'An error has occurred which Windows PowerShell cannot handle. A remote session might have ended.',
    });
    expect.ok(ended instanceof GuestUnreachableError);
    expect.equal(
      ended.message,
      `${WHAT} failed because PowerShell Direct could not reach the guest ("An error has occurred which Windows PowerShell cannot handle. A remote session might have ended"); the VM is not running or its OS has not finished booting.`,
    );
    expect.ok(
      raised({ error: 'x', type: 'System.Management.Automation.Remoting.PSDirectException' }) instanceof
        GuestUnreachableError,
    );
  });

  it('for a missing checkpoint is a lab fault that says how to fix it', () => {
    const e = raised({ error: 'Unable to find a snapshot matching the given criteria.' });
    expect.ok(e instanceof LabCompromisedError && !(e instanceof GuestUnreachableError));
    expect.equal(
      e.message,
      `${WHAT} failed because the checkpoint does not exist ("Unable to find a snapshot matching the given criteria"); create it on the host with Checkpoint-VM or fix the checkpoint name in the lab file.`,
    );
  });

  it('refusing an NMI says the VM must run', () => {
    expect.equal(
      raised({ error: "Cannot inject a non-maskable interrupt into the virtual machine 'win10-a'." }).message,
      `${WHAT} failed because Hyper-V refused the NMI ("Cannot inject a non-maskable interrupt into the virtual machine 'win10-a'"); an NMI reaches only a running VM, so start it first.`,
    );
  });

  it('about rights, state, remoting, the module or a program is a lab fault with its remedy', () => {
    expect.match(
      raised({ error: 'You do not have the required permission to complete this task.' }).message,
      /Hyper-V Administrators/,
    );
    expect.match(
      raised({
        error: 'The operation cannot be performed while the virtual machine is in its current state.',
      }).message,
      /the VM's state does not allow it/,
    );
    expect.match(
      raised({
        error:
          'Connecting to remote server hv-02 failed with the following error message : WinRM cannot complete the operation.',
      }).message,
      /Enable-PSRemoting/,
    );
    expect.match(
      raised({
        error:
          "The term 'Hyper-V\\Get-VM' is not recognized as the name of a cmdlet, function, script file, or operable program.",
      }).message,
      /Microsoft-Hyper-V-Management-PowerShell/,
    );
    expect.match(
      raised({
        error:
          "The program 'fltmc.exe' was not found in the guest (neither a path that exists nor a command on the guest's PATH).",
      }).message,
      /baseline image/,
    );
  });

  it('about a missing path, a copy into the guest or a host file is a lab fault with what to check', () => {
    expect.equal(
      raised({
        error: "Cannot find path 'C:\\Windows\\MEMORY.DMP' because it does not exist.",
        fqid: 'PathNotFound,Microsoft.PowerShell.Commands.CopyItemCommand',
        type: 'System.Management.Automation.ItemNotFoundException',
      }).message,
      `${WHAT} failed because a path it needs does not exist ("Cannot find path 'C:\\Windows\\MEMORY.DMP' because it does not exist"); check the path, and that what should have made the file did (an earlier step; for a crash dump, fetchNewestDump says what the guest wrote).`,
    );
    expect.match(
      raised({
        error: "Failed to copy the source file 'C:\\a.sys' to the destination 'x' in the guest.",
        fqid: 'CopyFileFailed,Microsoft.HyperV.PowerShell.Commands.CopyVMFile',
      }).message,
      /could not copy the file into the guest .*Guest Service Interface/,
    );
    expect.match(
      raised({
        error: "Could not write the host file 'D:\\dumps\\MEMORY.DMP': EACCES.",
        fqid: 'CopyItemFailed,x',
      }).message,
      /could not be written on the Hyper-V host .*writable/,
    );
  });

  it('that no rule knows is quoted with its error id', () => {
    const e = raised({
      error: 'Something\nnew happened.',
      fqid: 'Unexpected,Microsoft.HyperV.PowerShell.Commands.StartVM',
    });
    expect.ok(e instanceof LabCompromisedError);
    expect.equal(
      e.message,
      `${WHAT} failed on the host: Something new happened [Unexpected,Microsoft.HyperV.PowerShell.Commands.StartVM]; this answer is not one driverlab knows, so look at the operation's script and reply in the transcript and at the host's Hyper-V event log (Microsoft-Windows-Hyper-V-VMMS-Admin).`,
    );
  });

  it('that is not JSON is still reported, as text', () => {
    expect.equal(
      failure('===Begin-Error===\nboom\n===End-Error===').message,
      `${WHAT} failed on the host: boom [no error id]; this answer is not one driverlab knows, so look at the operation's script and reply in the transcript and at the host's Hyper-V event log (Microsoft-Windows-Hyper-V-VMMS-Admin).`,
    );
  });
});
