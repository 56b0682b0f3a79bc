<#
.SYNOPSIS
  Breaks kd.exe into its target: raises CTRL+C in kd's console, which kd reads as a break-in.

.DESCRIPTION
  The console helper of the `console-ctrl` break-in strategy (lab/kd/README.md). Node cannot raise
  a console control event, and GenerateConsoleCtrlEvent reaches only the caller's own console, so
  this script leaves its console, attaches to kd's, ignores CTRL+C itself, raises it, and leaves.
  KdSession appends kd's process id to the helper's arguments. Lab file:

    debugger:
      breakIn:
        strategies: [console-ctrl, nmi]
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

Add-Type -Namespace Driverlab -Name Console -MemberDefinition @'
[DllImport("kernel32.dll", SetLastError = true)] public static extern bool FreeConsole();
[DllImport("kernel32.dll", SetLastError = true)] public static extern bool AttachConsole(uint dwProcessId);
[DllImport("kernel32.dll", SetLastError = true)] public static extern bool SetConsoleCtrlHandler(System.IntPtr handler, bool add);
[DllImport("kernel32.dll", SetLastError = true)] public static extern bool GenerateConsoleCtrlEvent(uint dwCtrlEvent, uint dwProcessGroupId);
'@

$CTRL_C_EVENT = 0
# Leave this script's own console (a hidden one, or none): a process attaches to one console only.
$null = [Driverlab.Console]::FreeConsole()
if (-not [Driverlab.Console]::AttachConsole([uint32]$ProcessId)) {
  $code = [Runtime.InteropServices.Marshal]::GetLastWin32Error()
  [Console]::Error.WriteLine("cannot attach to the console of process $ProcessId (Win32 error $code)")
  exit 2
}
# This process ignores the CTRL+C it is about to raise; everything else on kd's console gets it.
$null = [Driverlab.Console]::SetConsoleCtrlHandler([IntPtr]::Zero, $true)
$sent = [Driverlab.Console]::GenerateConsoleCtrlEvent($CTRL_C_EVENT, 0)
$code = [Runtime.InteropServices.Marshal]::GetLastWin32Error()
$null = [Driverlab.Console]::FreeConsole()
if (-not $sent) {
  [Console]::Error.WriteLine("cannot raise CTRL+C in the console of process $ProcessId (Win32 error $code)")
  exit 3
}
exit 0
