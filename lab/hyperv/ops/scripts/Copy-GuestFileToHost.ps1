# uses: Get-DriverlabVm, New-DriverlabGuestCredential
# Guest to host through a PowerShell Direct session (Copy-Item -FromSession), the VM addressed by its
# id; the destination is a path on the Hyper-V host, and its folder is created when missing. The
# session is removed whatever happens.
$vm = Get-DriverlabVm $p.vmName
$session = New-PSSession -VMId $vm.Id -Credential (New-DriverlabGuestCredential $p)
try {
  $folder = Split-Path -Parent $p.hostPath
  if ($folder -and -not (Test-Path -LiteralPath $folder)) {
    $null = New-Item -ItemType Directory -Path $folder -Force
  }
  Copy-Item -FromSession $session -LiteralPath $p.guestPath -Destination $p.hostPath -Force
} finally {
  Remove-PSSession -Session $session
}
[ordered]@{
  copied = "$($p.hostPath)"
  bytes = [int64](Get-Item -LiteralPath $p.hostPath).Length
}
