# uses: Invoke-DriverlabGuest
# Writes a registry value in the guest, creating the key when it is missing (an existing key keeps its
# other values). A DWORD or QWORD may be given as a number or as text ("0x1", "16"); numbers above
# the signed range are stored by their bits, as reg.exe does.
$null = Invoke-DriverlabGuest $p -ArgumentList @("$($p.path)", "$($p.valueName)", "$($p.type)", "$($p.value)") -ScriptBlock {
  param([string]$Path, [string]$Name, [string]$Type, [string]$Text)
  $ErrorActionPreference = 'Stop'
  $literal = $(if ($Path -match '^[A-Za-z]+:\\') { $Path } else { 'Registry::' + $Path })
  if (-not (Test-Path -LiteralPath $literal)) {
    $null = New-Item -Path $literal -Force
  }
  $value = switch ($Type) {
    'DWord' { [BitConverter]::ToInt32([BitConverter]::GetBytes([uint32]$Text), 0) }
    'QWord' { [BitConverter]::ToInt64([BitConverter]::GetBytes([uint64]$Text), 0) }
    default { $Text }
  }
  $null = New-ItemProperty -LiteralPath $literal -Name $Name -Value $value -PropertyType $Type -Force
}
[ordered]@{ written = $true }
