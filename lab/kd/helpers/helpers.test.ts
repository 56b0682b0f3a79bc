/**
 * The Windows helpers (Send-KdCtrlC.ps1, Send-KdCtrlBreak.ps1, Start-KdInJob.ps1) cannot run here:
 * each is held to the real PowerShell grammar, and to the calls lab/kd/README.md and ADR 0007 say it
 * must make, in order. Whether they work on Windows is unproven.
 */
import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { nodesOfType, parsePowerShell, syntaxProblems } from '../../../test/kits/hyperv/grammar.testkit.js';

const read = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

/** The Win32 calls a script makes through its Add-Type class, in order. */
async function win32Calls(script: string, pattern: RegExp): Promise<string[]> {
  const root = await parsePowerShell(script);
  return nodesOfType(root, 'invokation_expression')
    .map((n) => /::(\w+)\(/.exec(n.text)?.[1])
    .filter((name): name is string => name !== undefined && pattern.test(name));
}

describe('the console helpers for breaking kd in on Windows', () => {
  const ctrlC = read('Send-KdCtrlC.ps1');
  const ctrlBreak = read('Send-KdCtrlBreak.ps1');

  it('are valid PowerShell', async () => {
    expect.deepEqual(syntaxProblems(await parsePowerShell(ctrlC)), []);
    expect.deepEqual(syntaxProblems(await parsePowerShell(ctrlBreak)), []);
  });

  it('CTRL+C: leaves its console, attaches to kd’s, ignores CTRL+C itself, raises it, and leaves', async () => {
    expect.deepEqual(await win32Calls(ctrlC, /Console|CtrlEvent|CtrlHandler/), [
      'FreeConsole',
      'AttachConsole',
      'SetConsoleCtrlHandler',
      'GenerateConsoleCtrlEvent',
      'FreeConsole',
    ]);
    expect.match(ctrlC, /GenerateConsoleCtrlEvent\(\$CTRL_C_EVENT, 0\)/);
    expect.match(ctrlC, /\$CTRL_C_EVENT = 0\b/);
    expect.match(ctrlC, /SetConsoleCtrlHandler\(\[IntPtr\]::Zero, \$true\)/);
  });

  it('CTRL+BREAK: the same, but the event goes to kd’s own process group only', async () => {
    expect.deepEqual(await win32Calls(ctrlBreak, /Console|CtrlEvent|CtrlHandler/), [
      'FreeConsole',
      'AttachConsole',
      'SetConsoleCtrlHandler',
      'GenerateConsoleCtrlEvent',
      'FreeConsole',
    ]);
    expect.match(ctrlBreak, /\$CTRL_BREAK_EVENT = 1\b/);
    expect.match(ctrlBreak, /GenerateConsoleCtrlEvent\(\$CTRL_BREAK_EVENT, \[uint32\]\$ProcessId\)/);
  });
});

describe('the Job launcher that keeps kd from outliving driverlab on Windows', () => {
  const launcher = read('Start-KdInJob.ps1');

  it('is valid PowerShell', async () => {
    expect.deepEqual(syntaxProblems(await parsePowerShell(launcher)), []);
  });

  it('makes a kill-on-close Job first, starts kd suspended in its own console and group, puts it in the Job, then lets it run', async () => {
    expect.deepEqual(
      await win32Calls(
        launcher,
        /^(CreateJobObject|SetInformationJobObject|CreateProcess|AssignProcessToJobObject|ResumeThread|WaitForSingleObject)$/,
      ),
      [
        'CreateJobObject',
        'SetInformationJobObject',
        'CreateProcess',
        'AssignProcessToJobObject',
        'ResumeThread',
        'WaitForSingleObject',
      ],
    );
    expect.match(launcher, /\$JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000\b/);
    expect.match(
      launcher,
      /\$flags = \$CREATE_SUSPENDED -bor \$CREATE_NEW_CONSOLE -bor \$CREATE_NEW_PROCESS_GROUP/,
    );
    expect.match(launcher, /\$startup\.wShowWindow = \$SW_HIDE/);
    // The line KdSession reads kd's process id from (lab/kd/process.ts).
    expect.match(launcher, /WriteLine\("driverlab-kd-pid \$\(\$info\.dwProcessId\)"\)/);
    // driverlab gone: the script leaves, and the Job takes kd with it.
    expect.match(launcher, /Get-Process -Id \$ParentPid/);
  });
});
