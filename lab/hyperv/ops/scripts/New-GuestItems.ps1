# uses: Invoke-DriverlabGuest
# Creates count new empty files, or empty folders, <prefix>0000001 … in a guest folder (created when
# missing), taking the lowest numbers whose names are free, so that a second call adds to the first;
# answers how many it made and how many files (or folders) the folder then holds. Made with .NET in
# a loop, since tens of thousands are common.
$answer = Invoke-DriverlabGuest $p -ArgumentList @("$($p.directory)", [int]$p.count, "$($p.prefix)", "$($p.kind)") -ScriptBlock {
  # driverlab-guest: New-GuestItems
  param([string]$Directory, [int]$Count, [string]$Prefix, [string]$Kind)
  $ErrorActionPreference = 'Stop'
  $null = [IO.Directory]::CreateDirectory($Directory)
  $made = 0
  for ($i = 1; $made -lt $Count; $i++) {
    $path = [IO.Path]::Combine($Directory, ('{0}{1:D7}' -f $Prefix, $i))
    if ([IO.File]::Exists($path) -or [IO.Directory]::Exists($path)) { continue }
    if ($Kind -eq 'folder') {
      $null = [IO.Directory]::CreateDirectory($path)
    } else {
      [IO.File]::Open($path, [IO.FileMode]::CreateNew).Dispose()
    }
    $made++
  }
  $total = if ($Kind -eq 'folder') { [IO.Directory]::GetDirectories($Directory).Length } else { [IO.Directory]::GetFiles($Directory).Length }
  [pscustomobject]@{ created = $made; total = $total }
}
[ordered]@{ created = [int]$answer.created; total = [int]$answer.total }
