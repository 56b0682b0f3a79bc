# uses: Get-DriverlabVm, Get-DriverlabCheckpoint, ConvertTo-DriverlabVmRecord
# Restore-VMCheckpoint is Restore-VMSnapshot's alias; it asks for confirmation without -Confirm:$false.
$vm = Get-DriverlabVm $p.vmName
$checkpoint = Get-DriverlabCheckpoint $vm $p.checkpointName
Hyper-V\Restore-VMSnapshot -VMSnapshot $checkpoint -Confirm:$false
ConvertTo-DriverlabVmRecord (Get-DriverlabVm $p.vmName)
