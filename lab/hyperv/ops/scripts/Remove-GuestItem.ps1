# uses: Invoke-DriverlabGuest
# Removes a guest file or folder with everything in it; a path that is not there is not an error.
$answer = Invoke-DriverlabGuest $p -ArgumentList @("$($p.path)") -ScriptBlock {
  # driverlab-guest: Remove-GuestItem
  param([string]$Path)
  $ErrorActionPreference = 'Stop'
  if (Test-Path -LiteralPath $Path) {
    Remove-Item -LiteralPath $Path -Recurse -Force
    [pscustomobject]@{ removed = $true }
  } else {
    [pscustomobject]@{ removed = $false }
  }
}
[ordered]@{ removed = [bool]$answer.removed }
