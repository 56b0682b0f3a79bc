# uses: Get-DriverlabVm, Invoke-DriverlabGuest
# Waits on the host until the guest answers through PowerShell Direct: one look every
# pollMilliseconds, so a reboot costs one operation instead of one per look. A look that finds the
# guest down, or a session that drops, or a credential refused while the guest's profile loads is
# waited out; any other error ends the wait as this operation's error. The wait ends when the guest
# answers (with a boot time other than bootTimeOtherThan, when given), when the credential has been
# refused credentialRefusals times, or when the next look would come after timeoutSeconds and the
# guest has had minimumLooks looks. The reply says which, with the last refusal.
# The VM is found first, so a wrong name fails at once instead of at the end of the wait.
$null = Get-DriverlabVm $p.vmName
$started = Get-Date
$deadline = $started.AddSeconds([double]$p.timeoutSeconds)
$looks = 0
$refusals = 0
$lastError = $null
$answer = $null
while ($true) {
  $looks += 1
  try {
    $answer = Invoke-DriverlabGuest $p {
      # driverlab-guest: Test-VMPowerShellDirect
      $os = Get-CimInstance -ClassName Win32_OperatingSystem
      [pscustomobject]@{
        computerName = "$env:COMPUTERNAME"
        bootTime = $os.LastBootUpTime.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [Globalization.CultureInfo]::InvariantCulture)
      }
    }
    $lastError = $null
    if ($null -eq $p.bootTimeOtherThan -or "$($answer.bootTime)" -ne "$($p.bootTimeOtherThan)") { break }
    $answer = $null
  } catch {
    $failure = $_
    $message = "$($failure.Exception.Message)"
    $refused = $message -match 'The credential is invalid'
    $unreachable = ($message -match 'A remote session might have ended') -or
      ("$($failure.Exception.GetType().FullName)" -match 'PSDirect') -or
      ("$($failure.FullyQualifiedErrorId)" -match 'PSDirect')
    if (-not ($refused -or $unreachable)) { throw }
    $lastError = [ordered]@{
      error = $message
      fqid = "$($failure.FullyQualifiedErrorId)"
      type = $failure.Exception.GetType().FullName
      category = "$($failure.CategoryInfo.Category)"
    }
    if ($refused) {
      $refusals += 1
      if ($refusals -ge [int]$p.credentialRefusals) { break }
    }
  }
  if ($looks -ge [int]$p.minimumLooks -and (Get-Date).AddMilliseconds([double]$p.pollMilliseconds) -gt $deadline) { break }
  Start-Sleep -Milliseconds ([int]$p.pollMilliseconds)
}
$computerName = $null
$bootTime = $null
if ($null -ne $answer) {
  $computerName = "$($answer.computerName)"
  $bootTime = "$($answer.bootTime)"
}
[ordered]@{
  answered = $null -ne $answer
  computerName = $computerName
  bootTime = $bootTime
  looks = $looks
  waitedSeconds = [double]((Get-Date) - $started).TotalSeconds
  lastError = $lastError
}
