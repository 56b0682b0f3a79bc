# uses: Invoke-DriverlabGuest, New-DriverlabError
# Writes a registry value in the guest, creating the key when it is missing (an existing key keeps its
# other values); an empty value name is the key's default value. A DWORD or QWORD may be given as a
# number or as text ("0x1", "16"); numbers above the signed range are stored by their bits, as
# reg.exe does. The path must be a registry path (HKLM\..., HKEY_LOCAL_MACHINE\..., HKLM:\...):
# a PowerShell path such as Env:\ or Function:\ is refused here, before the guest is asked.
if ("$($p.path)" -notmatch '^(HKLM|HKCU|HKCR|HKU|HKCC|HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG)(:)?\\') {
  throw (New-DriverlabError -Message "'$($p.path)' is not a registry path; give one such as HKLM\SYSTEM\CurrentControlSet\Services\NDIS\Parameters." -ErrorId 'DriverlabRegistryPathInvalid' -Category InvalidArgument -Target $p.path)
}
$null = Invoke-DriverlabGuest $p -ArgumentList @("$($p.path)", "$($p.valueName)", "$($p.type)", "$($p.value)") -ScriptBlock {
  # driverlab-guest: Set-GuestRegistryValue
  param([string]$Path, [string]$Name, [string]$Type, [string]$Text)
  $ErrorActionPreference = 'Stop'
  $hives = @{
    HKLM = 'LocalMachine'; HKEY_LOCAL_MACHINE = 'LocalMachine'; HKCU = 'CurrentUser'; HKEY_CURRENT_USER = 'CurrentUser'
    HKCR = 'ClassesRoot'; HKEY_CLASSES_ROOT = 'ClassesRoot'; HKU = 'Users'; HKEY_USERS = 'Users'
    HKCC = 'CurrentConfig'; HKEY_CURRENT_CONFIG = 'CurrentConfig'
  }
  $hive, $subKey = $Path -split ':?\\', 2
  $value = switch ($Type) {
    'DWord' { [BitConverter]::ToInt32([BitConverter]::GetBytes([uint32]$Text), 0) }
    'QWord' { [BitConverter]::ToInt64([BitConverter]::GetBytes([uint64]$Text), 0) }
    default { $Text }
  }
  # The registry API, not New-ItemProperty, which cannot write a key's default (unnamed) value.
  $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]$hives[$hive.ToUpperInvariant()], [Microsoft.Win32.RegistryView]::Default)
  $key = $base.CreateSubKey($subKey)
  try {
    $key.SetValue($Name, $value, [Microsoft.Win32.RegistryValueKind]$Type)
  } finally {
    $key.Dispose()
    $base.Dispose()
  }
}
[ordered]@{ written = $true }
