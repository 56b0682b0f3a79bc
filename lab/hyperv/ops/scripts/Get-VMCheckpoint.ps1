# uses: Get-DriverlabVm, ConvertTo-DriverlabCheckpointRecord
# Names are compared exactly (Get-VMSnapshot -Name takes wildcards); no match is an empty list.
$vm = Get-DriverlabVm $p.vmName
$name = $(if ($null -ne $p.PSObject.Properties['checkpointName']) { "$($p.checkpointName)" } else { $null })
$checkpoints = @(Hyper-V\Get-VMSnapshot -VM $vm | Where-Object { $null -eq $name -or $_.Name -eq $name })
[ordered]@{
  checkpoints = @($checkpoints | ForEach-Object { ConvertTo-DriverlabCheckpointRecord $_ })
}
