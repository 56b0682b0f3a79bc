# uses: Get-DriverlabVm, Get-DriverlabCheckpoint
# Only the named checkpoint goes; its children are merged into its parent by Hyper-V.
$vm = Get-DriverlabVm $p.vmName
$checkpoint = Get-DriverlabCheckpoint $vm $p.checkpointName
Hyper-V\Remove-VMSnapshot -VMSnapshot $checkpoint -Confirm:$false
[ordered]@{ removed = "$($checkpoint.Name)" }
