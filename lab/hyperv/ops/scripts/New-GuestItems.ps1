# uses: Invoke-DriverlabGuest
# Creates count empty files, or empty folders, <prefix>0000001 … in a guest folder (created when
# missing); items that are there already are counted too. Made with .NET in a loop, since tens of
# thousands are common.
$answer = Invoke-DriverlabGuest $p -ArgumentList @("$($p.directory)", [int]$p.count, "$($p.prefix)", "$($p.kind)") -ScriptBlock {
  # driverlab-guest: New-GuestItems
  param([string]$Directory, [int]$Count, [string]$Prefix, [string]$Kind)
  $ErrorActionPreference = 'Stop'
  $null = [IO.Directory]::CreateDirectory($Directory)
  for ($i = 1; $i -le $Count; $i++) {
    $path = [IO.Path]::Combine($Directory, ('{0}{1:D7}' -f $Prefix, $i))
    if ($Kind -eq 'folder') {
      $null = [IO.Directory]::CreateDirectory($path)
    } else {
      [IO.File]::Open($path, [IO.FileMode]::OpenOrCreate).Dispose()
    }
  }
  [pscustomobject]@{ created = $Count }
}
[ordered]@{ created = [int]$answer.created }
