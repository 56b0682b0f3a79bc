# uses: Invoke-DriverlabGuest
# Creates count empty files <prefix>0000001 … in a guest folder (created when missing); files that
# are there already are counted too. Made with .NET in a loop, since tens of thousands are common.
$answer = Invoke-DriverlabGuest $p -ArgumentList @("$($p.directory)", [int]$p.count, "$($p.prefix)") -ScriptBlock {
  param([string]$Directory, [int]$Count, [string]$Prefix)
  $ErrorActionPreference = 'Stop'
  $null = [IO.Directory]::CreateDirectory($Directory)
  for ($i = 1; $i -le $Count; $i++) {
    [IO.File]::Open([IO.Path]::Combine($Directory, ('{0}{1:D7}' -f $Prefix, $i)), [IO.FileMode]::OpenOrCreate).Dispose()
  }
  [pscustomobject]@{ created = $Count }
}
[ordered]@{ created = [int]$answer.created }
