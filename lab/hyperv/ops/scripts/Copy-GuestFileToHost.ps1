# uses: Get-DriverlabVm, New-DriverlabGuestCredential
# Guest to host through PowerShell Direct, the VM addressed by its id. Copy-Item -FromSession moves
# a multi-GB dump very slowly (PowerShell issues 24137 and 14646), and a kernel dump is mostly
# zeroes: so the file is gzipped in the guest first, the smaller file copied, and unpacked on the
# host (its folder created when missing). The packed copy is removed in the guest and on the host,
# and the session is removed whatever happens.
$vm = Get-DriverlabVm $p.vmName
$credential = New-DriverlabGuestCredential $p
$packed = Invoke-Command -VMId $vm.Id -Credential $credential -ArgumentList @("$($p.guestPath)") -ScriptBlock {
  # driverlab-guest: Copy-GuestFileToHost
  param([string]$Path)
  $ErrorActionPreference = 'Stop'
  $source = Get-Item -LiteralPath $Path
  $target = $source.FullName + '.driverlab.gz'
  $in = [IO.File]::OpenRead($source.FullName)
  try {
    $out = [IO.File]::Create($target)
    try {
      $zip = New-Object IO.Compression.GZipStream ($out, [IO.Compression.CompressionMode]::Compress)
      try { $in.CopyTo($zip) } finally { $zip.Dispose() }
    } finally { $out.Dispose() }
  } finally { $in.Dispose() }
  [pscustomobject]@{ path = $target; bytes = [double]$source.Length; packedBytes = [double](Get-Item -LiteralPath $target).Length }
}
$folder = Split-Path -Parent $p.hostPath
if ($folder -and -not (Test-Path -LiteralPath $folder)) {
  $null = New-Item -ItemType Directory -Path $folder -Force
}
$packedOnHost = "$($p.hostPath).driverlab.gz"
$session = New-PSSession -VMId $vm.Id -Credential $credential
try {
  Copy-Item -FromSession $session -LiteralPath "$($packed.path)" -Destination $packedOnHost -Force
  $null = Invoke-Command -Session $session -ArgumentList @("$($packed.path)") -ScriptBlock {
    # driverlab-guest: Remove-GuestItem
    param([string]$Path)
    Remove-Item -LiteralPath $Path -Force
    [pscustomobject]@{ removed = $true }
  }
} finally {
  Remove-PSSession -Session $session
}
try {
  $in = [IO.File]::OpenRead($packedOnHost)
  try {
    $out = [IO.File]::Create($p.hostPath)
    try {
      $zip = New-Object IO.Compression.GZipStream ($in, [IO.Compression.CompressionMode]::Decompress)
      try { $zip.CopyTo($out) } finally { $zip.Dispose() }
    } finally { $out.Dispose() }
  } finally { $in.Dispose() }
} finally {
  Remove-Item -LiteralPath $packedOnHost -Force -ErrorAction SilentlyContinue
}
$bytes = [int64](Get-Item -LiteralPath $p.hostPath).Length
if ($bytes -ne [int64]$packed.bytes) {
  throw "The copy of '$($p.guestPath)' has $bytes bytes on the host, but the guest file has $([int64]$packed.bytes)."
}
[ordered]@{
  copied = "$($p.hostPath)"
  bytes = $bytes
}
