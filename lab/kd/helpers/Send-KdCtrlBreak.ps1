<#
.SYNOPSIS
  Breaks kd.exe into its target with CTRL+BREAK sent to kd's own process group.

.DESCRIPTION
  The console helper of the `console-ctrl` break-in strategy when kd was started by
  Start-KdInJob.ps1 (ADR 0007): kd then has a console and a process group of its own, so the event
  reaches kd alone — never driverlab, npm or the Cucumber workers. KdSession appends kd's process id
  (the one Start-KdInJob.ps1 reported), which is also the id of kd's process group. Lab file:

    debugger:
      breakIn:
        strategies: [console-ctrl]
        consoleHelper:
          file: C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe
          args: [-NoProfile, -NonInteractive, -ExecutionPolicy, Bypass, -File, <this file>]

  Exit codes: 0 sent; 2 kd's console could not be attached (the Win32 error is on stderr); 3 the
  event could not be raised.
#>
param(
  [Parameter(Mandatory = $true)][int]$ProcessId
)
$ErrorActionPreference = 'Stop'

Add-Type -Namespace Driverlab -Name BreakConsole -MemberDefinition @'
[DllImport("kernel32.dll", SetLastError = true)] public static extern bool FreeConsole();
[DllImport("kernel32.dll", SetLastError = true)] public static extern bool AttachConsole(uint dwProcessId);
[DllImport("kernel32.dll", SetLastError = true)] public static extern bool SetConsoleCtrlHandler(System.IntPtr handler, bool add);
[DllImport("kernel32.dll", SetLastError = true)] public static extern bool GenerateConsoleCtrlEvent(uint dwCtrlEvent, uint dwProcessGroupId);
'@

$CTRL_BREAK_EVENT = 1
# A process attaches to one console only: leave this script's own, attach to kd's.
$null = [Driverlab.BreakConsole]::FreeConsole()
if (-not [Driverlab.BreakConsole]::AttachConsole([uint32]$ProcessId)) {
  $code = [Runtime.InteropServices.Marshal]::GetLastWin32Error()
  [Console]::Error.WriteLine("cannot attach to the console of process $ProcessId (Win32 error $code)")
  exit 2
}
# This process is in no group the event goes to, and ignores control events all the same.
$null = [Driverlab.BreakConsole]::SetConsoleCtrlHandler([IntPtr]::Zero, $true)
$sent = [Driverlab.BreakConsole]::GenerateConsoleCtrlEvent($CTRL_BREAK_EVENT, [uint32]$ProcessId)
$code = [Runtime.InteropServices.Marshal]::GetLastWin32Error()
$null = [Driverlab.BreakConsole]::FreeConsole()
if (-not $sent) {
  [Console]::Error.WriteLine("cannot raise CTRL+BREAK for process group $ProcessId (Win32 error $code)")
  exit 3
}
exit 0
