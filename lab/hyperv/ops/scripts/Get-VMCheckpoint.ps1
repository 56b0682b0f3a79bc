# uses: Get-DriverlabVm, ConvertTo-DriverlabCheckpointRecord
# Names are compared exactly (Get-VMSnapshot -Name takes wildcards); no match is an empty list.
$vm = Get-DriverlabVm $p.vmName
$checkpoints = @(Hyper-V\Get-VMSnapshot -VM $vm | Where-Object { $null -eq $p.checkpointName -or $_.Name -eq $p.checkpointName })
[ordered]@{
  checkpoints = @($checkpoints | ForEach-Object { ConvertTo-DriverlabCheckpointRecord $_ })
}
