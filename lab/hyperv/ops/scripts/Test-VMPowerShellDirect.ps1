# uses: Invoke-DriverlabGuest
# The smallest thing PowerShell Direct can do: proves a session opens and the guest answers.
$answer = Invoke-DriverlabGuest $p {
  # driverlab-guest: Test-VMPowerShellDirect
  $os = Get-CimInstance -ClassName Win32_OperatingSystem
  [pscustomobject]@{
    computerName = "$env:COMPUTERNAME"
    bootTime = $os.LastBootUpTime.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [Globalization.CultureInfo]::InvariantCulture)
  }
}
[ordered]@{
  computerName = "$($answer.computerName)"
  bootTime = "$($answer.bootTime)"
}
