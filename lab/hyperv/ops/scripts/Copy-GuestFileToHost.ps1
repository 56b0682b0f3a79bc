# uses: Get-DriverlabVm, New-DriverlabGuestCredential, New-DriverlabError
# Guest to host through PowerShell Direct, the VM addressed by its id. Copy-Item -FromSession moves
# a multi-GB dump very slowly (PowerShell issues 24137 and 14646), and a kernel dump is mostly
# zeroes: so the file is gzipped in the guest, the packed file read in chunks over one session, and
# unpacked on the host (its folder created when missing). The copy has a time budget from the
# packed size (baseSeconds + bytes / minBytesPerSecond), checked after every chunk: a copy that
# falls behind stops with what it managed. The packed files are removed in the guest and on the
# host, and the session is removed, whatever happens.
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
$total = [int64]$packed.packedBytes
$budget = [double]$p.baseSeconds + $total / [double]$p.minBytesPerSecond
$chunk = [int]$p.chunkBytes
$packedOnHost = "$($p.hostPath).driverlab.gz"
$clock = [Diagnostics.Stopwatch]::StartNew()
$session = New-PSSession -VMId $vm.Id -Credential $credential
try {
  $out = [IO.File]::Create($packedOnHost)
  try {
    $done = [int64]0
    while ($done -lt $total) {
      $bytes = Invoke-Command -Session $session -ArgumentList @("$($packed.path)", $done, $chunk) -ScriptBlock {
        # driverlab-guest: Read-GuestFileChunk
        param([string]$Path, [int64]$Offset, [int]$Count)
        $stream = [IO.File]::OpenRead($Path)
        try {
          $stream.Position = $Offset
          $buffer = New-Object byte[] ([int][Math]::Min([int64]$Count, $stream.Length - $Offset))
          $read = $stream.Read($buffer, 0, $buffer.Length)
          if ($read -lt $buffer.Length) { $buffer = $buffer[0..($read - 1)] }
          , [byte[]]$buffer
        } finally { $stream.Dispose() }
      }
      if ($null -eq $bytes -or $bytes.Length -eq 0) {
        throw "The packed copy of '$($p.guestPath)' ended in the guest after $done of $total bytes."
      }
      $out.Write($bytes, 0, $bytes.Length)
      $done += $bytes.Length
      if ($done -lt $total -and $clock.Elapsed.TotalSeconds -gt $budget) {
        throw (New-DriverlabError -Message "Copying '$($p.guestPath)' ($total bytes packed) from the guest had moved $done bytes after $([int]$clock.Elapsed.TotalSeconds) s, past its budget of $([int]$budget) s ($($p.baseSeconds) s + $($p.minBytesPerSecond) bytes a second)." -ErrorId 'DriverlabCopyOverBudget' -Category OperationTimeout -Target $p.guestPath)
      }
    }
  } finally { $out.Dispose() }
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
