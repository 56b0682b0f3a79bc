# uses: Get-DriverlabVm, ConvertTo-DriverlabCheckpointRecord, ConvertTo-DriverlabIsoTime, New-DriverlabError
# Hyper-V takes a second checkpoint under a name that is taken already, and a later restore by that
# name is then ambiguous: so a name that is taken is refused here. The checkpoint takes the VM's
# configured type (Set-VM -CheckpointType); a production checkpoint comes back Off when restored.
$vm = Get-DriverlabVm $p.vmName
$taken = @(Hyper-V\Get-VMSnapshot -VM $vm | Where-Object { $_.Name -eq $p.checkpointName })
if ($taken.Count -gt 0) {
  throw (New-DriverlabError -Message "VM '$($vm.Name)' already has a checkpoint named '$($p.checkpointName)' (taken $(ConvertTo-DriverlabIsoTime $taken[0].CreationTime))." -ErrorId 'DriverlabCheckpointExists' -Category ResourceExists -Target $p.checkpointName)
}
$checkpoint = Hyper-V\Checkpoint-VM -VM $vm -SnapshotName $p.checkpointName -Passthru
ConvertTo-DriverlabCheckpointRecord $checkpoint
