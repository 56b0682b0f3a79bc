<#
.SYNOPSIS
  Starts kd.exe so that it never outlives driverlab and can be broken into alone: in a kill-on-close
  Job object, with a console of its own (hidden) and a process group of its own.

.DESCRIPTION
  KdSession starts this script in place of kd on Windows when a console break-in is configured
  (lab/kd/process.ts, ADR 0007):

    powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File Start-KdInJob.ps1 `
      -ParentPid <driverlab's pid> -Kd <kd.exe> -KdArguments <base64 of a JSON array of kd's arguments>

  kd's arguments travel as data (JSON, base64) so that none of them (`-k`, `-y`) is ever read as a
  parameter of this script.

  - kd is created suspended with CREATE_NEW_CONSOLE | CREATE_NEW_PROCESS_GROUP, its window hidden,
    and this script's standard handles (driverlab's pipes) as its own, so driverlab reads and writes
    kd directly; a console control event sent to kd's console reaches kd, never driverlab.
  - kd is put in a Job with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE before it runs: when this script ends
    for any reason (driverlab killed it, or it saw driverlab gone), the Job's last handle closes and
    Windows ends kd with it.
  - The first line on standard error is `driverlab-kd-pid <kd's process id>` (the id a CTRL+BREAK
    helper needs: Send-KdCtrlBreak.ps1); then this script waits for kd, checking every second that
    driverlab's process is still there, and exits with kd's exit code.

  Exit codes: kd's own; 90 kd could not be started (the Win32 error is on stderr); 91 the Job could
  not be made; 92 driverlab's process was gone (kd was ended with the Job).
#>
param(
  [Parameter(Mandatory = $true)][int]$ParentPid,
  [Parameter(Mandatory = $true)][string]$Kd,
  [Parameter(Mandatory = $true)][string]$KdArguments
)
$ErrorActionPreference = 'Stop'

Add-Type -Namespace Driverlab -Name KdJob -MemberDefinition @'
[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
public struct STARTUPINFO {
  public int cb; public string lpReserved; public string lpDesktop; public string lpTitle;
  public int dwX; public int dwY; public int dwXSize; public int dwYSize;
  public int dwXCountChars; public int dwYCountChars; public int dwFillAttribute; public int dwFlags;
  public short wShowWindow; public short cbReserved2; public System.IntPtr lpReserved2;
  public System.IntPtr hStdInput; public System.IntPtr hStdOutput; public System.IntPtr hStdError;
}
[StructLayout(LayoutKind.Sequential)]
public struct PROCESS_INFORMATION {
  public System.IntPtr hProcess; public System.IntPtr hThread; public int dwProcessId; public int dwThreadId;
}
[StructLayout(LayoutKind.Sequential)]
public struct JOBOBJECT_BASIC_LIMIT_INFORMATION {
  public long PerProcessUserTimeLimit; public long PerJobUserTimeLimit; public uint LimitFlags;
  public System.UIntPtr MinimumWorkingSetSize; public System.UIntPtr MaximumWorkingSetSize;
  public uint ActiveProcessLimit; public System.UIntPtr Affinity; public uint PriorityClass;
  public uint SchedulingClass;
}
[StructLayout(LayoutKind.Sequential)]
public struct IO_COUNTERS {
  public ulong ReadOperationCount; public ulong WriteOperationCount; public ulong OtherOperationCount;
  public ulong ReadTransferCount; public ulong WriteTransferCount; public ulong OtherTransferCount;
}
[StructLayout(LayoutKind.Sequential)]
public struct JOBOBJECT_EXTENDED_LIMIT_INFORMATION {
  public JOBOBJECT_BASIC_LIMIT_INFORMATION BasicLimitInformation; public IO_COUNTERS IoInfo;
  public System.UIntPtr ProcessMemoryLimit; public System.UIntPtr JobMemoryLimit;
  public System.UIntPtr PeakProcessMemoryUsed; public System.UIntPtr PeakJobMemoryUsed;
}
[DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
public static extern bool CreateProcess(string lpApplicationName, System.Text.StringBuilder lpCommandLine,
  System.IntPtr lpProcessAttributes, System.IntPtr lpThreadAttributes, bool bInheritHandles, uint dwCreationFlags,
  System.IntPtr lpEnvironment, string lpCurrentDirectory, ref STARTUPINFO lpStartupInfo, out PROCESS_INFORMATION lpProcessInformation);
[DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
public static extern System.IntPtr CreateJobObject(System.IntPtr lpJobAttributes, string lpName);
[DllImport("kernel32.dll", SetLastError = true)]
public static extern bool SetInformationJobObject(System.IntPtr hJob, int infoClass, ref JOBOBJECT_EXTENDED_LIMIT_INFORMATION info, uint length);
[DllImport("kernel32.dll", SetLastError = true)]
public static extern bool AssignProcessToJobObject(System.IntPtr hJob, System.IntPtr hProcess);
[DllImport("kernel32.dll", SetLastError = true)]
public static extern uint ResumeThread(System.IntPtr hThread);
[DllImport("kernel32.dll", SetLastError = true)]
public static extern bool TerminateProcess(System.IntPtr hProcess, uint exitCode);
[DllImport("kernel32.dll", SetLastError = true)]
public static extern uint WaitForSingleObject(System.IntPtr handle, uint milliseconds);
[DllImport("kernel32.dll", SetLastError = true)]
public static extern bool GetExitCodeProcess(System.IntPtr hProcess, out uint exitCode);
[DllImport("kernel32.dll", SetLastError = true)]
public static extern System.IntPtr GetStdHandle(int nStdHandle);
'@

$CREATE_SUSPENDED = 0x4
$CREATE_NEW_CONSOLE = 0x10
$CREATE_NEW_PROCESS_GROUP = 0x200
$STARTF_USESHOWWINDOW = 0x1
$STARTF_USESTDHANDLES = 0x100
$SW_HIDE = 0
$JobObjectExtendedLimitInformation = 9
$JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
$WAIT_OBJECT_0 = 0

# The Job first: kd must never run outside it.
$job = [Driverlab.KdJob]::CreateJobObject([IntPtr]::Zero, $null)
if ($job -eq [IntPtr]::Zero) {
  [Console]::Error.WriteLine("cannot create a Job object for kd (Win32 error $([Runtime.InteropServices.Marshal]::GetLastWin32Error()))")
  exit 91
}
$limits = New-Object Driverlab.KdJob+JOBOBJECT_EXTENDED_LIMIT_INFORMATION
$limits.BasicLimitInformation.LimitFlags = $JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
$size = [Runtime.InteropServices.Marshal]::SizeOf($limits)
if (-not [Driverlab.KdJob]::SetInformationJobObject($job, $JobObjectExtendedLimitInformation, [ref]$limits, [uint32]$size)) {
  [Console]::Error.WriteLine("cannot make kd's Job kill on close (Win32 error $([Runtime.InteropServices.Marshal]::GetLastWin32Error()))")
  exit 91
}

# kd's command line, each argument quoted as the C runtime reads it.
$arguments = @([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($KdArguments)) | ConvertFrom-Json)
$quoted = @($Kd) + $arguments | ForEach-Object {
  if ($_ -match '[\s"]') { '"' + ($_ -replace '(\\*)"', '$1$1\"' -replace '(\\+)$', '$1$1') + '"' } else { $_ }
}
$commandLine = New-Object System.Text.StringBuilder -ArgumentList (($quoted -join ' '))

$startup = New-Object Driverlab.KdJob+STARTUPINFO
$startup.cb = [Runtime.InteropServices.Marshal]::SizeOf($startup)
$startup.dwFlags = $STARTF_USESHOWWINDOW -bor $STARTF_USESTDHANDLES
$startup.wShowWindow = $SW_HIDE
# driverlab's pipes, inherited by this script, become kd's standard handles.
$startup.hStdInput = [Driverlab.KdJob]::GetStdHandle(-10)
$startup.hStdOutput = [Driverlab.KdJob]::GetStdHandle(-11)
$startup.hStdError = [Driverlab.KdJob]::GetStdHandle(-12)
$info = New-Object Driverlab.KdJob+PROCESS_INFORMATION
$flags = $CREATE_SUSPENDED -bor $CREATE_NEW_CONSOLE -bor $CREATE_NEW_PROCESS_GROUP
if (-not [Driverlab.KdJob]::CreateProcess($null, $commandLine, [IntPtr]::Zero, [IntPtr]::Zero, $true, [uint32]$flags, [IntPtr]::Zero, $null, [ref]$startup, [ref]$info)) {
  [Console]::Error.WriteLine("cannot start $Kd (Win32 error $([Runtime.InteropServices.Marshal]::GetLastWin32Error()))")
  exit 90
}
if (-not [Driverlab.KdJob]::AssignProcessToJobObject($job, $info.hProcess)) {
  $code = [Runtime.InteropServices.Marshal]::GetLastWin32Error()
  $null = [Driverlab.KdJob]::TerminateProcess($info.hProcess, 91)
  [Console]::Error.WriteLine("cannot put kd in its Job (Win32 error $code)")
  exit 91
}
[Console]::Error.WriteLine("driverlab-kd-pid $($info.dwProcessId)")
$null = [Driverlab.KdJob]::ResumeThread($info.hThread)

# Wait for kd; when driverlab's process is gone, leave: the Job closes and takes kd with it.
while ([Driverlab.KdJob]::WaitForSingleObject($info.hProcess, 1000) -ne $WAIT_OBJECT_0) {
  if (-not (Get-Process -Id $ParentPid -ErrorAction SilentlyContinue)) {
    [Console]::Error.WriteLine("driverlab (pid $ParentPid) is gone; kd ends with its Job")
    exit 92
  }
}
$exitCode = [uint32]0
$null = [Driverlab.KdJob]::GetExitCodeProcess($info.hProcess, [ref]$exitCode)
exit [int]$exitCode
