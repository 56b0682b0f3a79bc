# uses: Get-DriverlabVm, ConvertTo-DriverlabCheckpointRecord
# The checkpoint takes the VM's configured type (Set-VM -CheckpointType); a production checkpoint
# comes back Off when restored.
$vm = Get-DriverlabVm $p.vmName
$checkpoint = Hyper-V\Checkpoint-VM -VM $vm -SnapshotName $p.checkpointName -Passthru
ConvertTo-DriverlabCheckpointRecord $checkpoint
