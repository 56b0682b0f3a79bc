# uses: Get-DriverlabVm, Get-DriverlabCheckpoint
# Only the named checkpoint goes; its children are merged into its parent by Hyper-V. Remove-VMSnapshot
# returns while the disk merge goes on (the VM's OperationalStatus says MergingDisks): the operation
# waits for the merge, at most mergeSeconds, so that the next restore or checkpoint finds a quiet VM.
$vm = Get-DriverlabVm $p.vmName
$checkpoint = Get-DriverlabCheckpoint $vm $p.checkpointName
Hyper-V\Remove-VMSnapshot -VMSnapshot $checkpoint -Confirm:$false
$clock = [Diagnostics.Stopwatch]::StartNew()
while (@((Hyper-V\Get-VM -Id $vm.Id).OperationalStatus | Where-Object { "$_" -eq 'MergingDisks' }).Count -gt 0) {
  if ($clock.Elapsed.TotalSeconds -ge [double]$p.mergeSeconds) {
    throw "VM '$($vm.Name)' was still merging the disk of checkpoint '$($checkpoint.Name)' after $([int]$clock.Elapsed.TotalSeconds) s."
  }
  Start-Sleep -Milliseconds 200
}
[ordered]@{ removed = "$($checkpoint.Name)" }
