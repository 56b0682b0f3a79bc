# uses: Invoke-DriverlabGuest, New-DriverlabError
# Runs a program with an argument array in the guest. Standard output and standard error stay apart
# (2>&1 turns each stderr line into an ErrorRecord), the exit code is $LASTEXITCODE, and the time
# limit is kept in the guest: the program runs in a runspace of its own, which is stopped when the
# limit passes (PowerShell kills a native program whose pipeline is stopped; programs it started
# themselves may live on). Windows PowerShell 5.1 passes an argument that contains a double quote
# to the program by its own legacy quoting rules; keep quotes out of arguments where possible.
# The program is an application (an .exe on the guest's PATH or a path): Get-Command would also
# accept a cmdlet, a function, an alias or a wildcard pattern, so those are refused.
if ([Management.Automation.WildcardPattern]::ContainsWildcardCharacters("$($p.file)")) {
  throw (New-DriverlabError -Message "The program name '$($p.file)' contains a wildcard character ([ ] * ?); name one program." -ErrorId 'DriverlabProgramInvalid' -Category InvalidArgument -Target $p.file)
}
$argv = [string[]]@($p.arguments | ForEach-Object { "$_" })
$answer = Invoke-DriverlabGuest $p -ArgumentList @($p.file, $argv, [double]$p.timeoutSeconds) -ScriptBlock {
  # driverlab-guest: Invoke-GuestCommand
  param([string]$File, [string[]]$Arguments, [double]$TimeoutSeconds)
  $ErrorActionPreference = 'Stop'
  if ($null -eq $Arguments) { $Arguments = @() }
  if ($null -eq (Get-Command -Name $File -CommandType Application -TotalCount 1 -ErrorAction SilentlyContinue)) {
    throw "The program '$File' was not found in the guest (neither a path that exists nor a command on the guest's PATH)."
  }
  $sink = [hashtable]::Synchronized(@{
    stdout = New-Object System.Text.StringBuilder
    stderr = New-Object System.Text.StringBuilder
    exitCode = 0
  })
  $runner = [PowerShell]::Create()
  $null = $runner.AddScript({
    param($File, $Arguments, $Sink)
    $ErrorActionPreference = 'Continue'
    $PSNativeCommandUseErrorActionPreference = $false
    $global:LASTEXITCODE = 0
    & $File @Arguments 2>&1 | ForEach-Object {
      if ($_ -is [System.Management.Automation.ErrorRecord]) {
        $null = $Sink.stderr.AppendLine("$($_.Exception.Message)")
      } else {
        $null = $Sink.stdout.AppendLine("$_")
      }
    }
    $Sink.exitCode = $(if ($null -eq $global:LASTEXITCODE) { 0 } else { [int]$global:LASTEXITCODE })
  }).AddArgument($File).AddArgument($Arguments).AddArgument($sink)
  $clock = [Diagnostics.Stopwatch]::StartNew()
  $pending = $runner.BeginInvoke()
  $finished = $pending.AsyncWaitHandle.WaitOne([int][Math]::Ceiling($TimeoutSeconds * 1000))
  if ($finished) {
    $null = $runner.EndInvoke($pending)
  } else {
    $stopping = $runner.BeginStop($null, $null)
    $null = $stopping.AsyncWaitHandle.WaitOne(10000)
  }
  $clock.Stop()
  $runner.Dispose()
  [pscustomobject]@{
    stdout = $sink.stdout.ToString()
    stderr = $sink.stderr.ToString()
    exitCode = $(if ($finished) { [int]$sink.exitCode } else { -1 })
    durationMs = [double]$clock.Elapsed.TotalMilliseconds
    timedOut = -not $finished
  }
}
[ordered]@{
  stdout = "$($answer.stdout)"
  stderr = "$($answer.stderr)"
  exitCode = [int]$answer.exitCode
  durationMs = [double]$answer.durationMs
  timedOut = [bool]$answer.timedOut
}
