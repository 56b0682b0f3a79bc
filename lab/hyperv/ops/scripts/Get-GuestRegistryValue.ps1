# uses: Invoke-DriverlabGuest
# A registry value in the guest. The path is a registry path (HKEY_LOCAL_MACHINE\..., HKLM\...) or a
# PowerShell drive path (HKLM:\...). DWORDs come back unsigned (0xFFFFFFFF, not -1), REG_EXPAND_SZ
# unexpanded, REG_MULTI_SZ as lines, REG_BINARY as lowercase hex; a missing key or value says so.
$answer = Invoke-DriverlabGuest $p -ArgumentList @("$($p.path)", "$($p.valueName)") -ScriptBlock {
  # driverlab-guest: Get-GuestRegistryValue
  param([string]$Path, [string]$Name)
  $ErrorActionPreference = 'Stop'
  $literal = $(if ($Path -match '^[A-Za-z]+:\\') { $Path } else { 'Registry::' + $Path })
  $key = Get-Item -LiteralPath $literal -ErrorAction SilentlyContinue
  if ($null -eq $key -or -not (@($key.GetValueNames()) -contains $Name)) {
    return [pscustomobject]@{ exists = $false; type = $null; value = $null }
  }
  $kind = $key.GetValueKind($Name)
  $raw = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
  $value = switch ("$kind") {
    'DWord' { [double][BitConverter]::ToUInt32([BitConverter]::GetBytes([int32]$raw), 0) }
    'QWord' { [double][BitConverter]::ToUInt64([BitConverter]::GetBytes([int64]$raw), 0) }
    'MultiString' { (@($raw) -join "`n") }
    'Binary' { ((@($raw) | ForEach-Object { ([byte]$_).ToString('x2') }) -join '') }
    default { "$raw" }
  }
  [pscustomobject]@{ exists = $true; type = "$kind"; value = $value }
}
[ordered]@{
  exists = [bool]$answer.exists
  type = $(if ($null -eq $answer.type) { $null } else { "$($answer.type)" })
  value = $(if ($null -eq $answer.value) { $null } elseif ($answer.value -is [double] -or $answer.value -is [long] -or $answer.value -is [int]) { [double]$answer.value } else { "$($answer.value)" })
}
