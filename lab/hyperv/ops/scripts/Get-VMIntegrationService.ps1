# uses: Get-DriverlabVm
# Every integration service of a VM with its id (the part after the backslash, which is not
# localized, unlike the name) and whether it is enabled.
$vm = Get-DriverlabVm $p.vmName
[ordered]@{
  services = @(Hyper-V\Get-VMIntegrationService -VM $vm | ForEach-Object {
    [ordered]@{
      name = "$($_.Name)"
      id = ("$($_.Id)" -split '\\')[-1]
      enabled = [bool]$_.Enabled
      primaryStatus = $(if ($null -eq $_.PrimaryStatusDescription) { $null } else { "$($_.PrimaryStatusDescription)" })
    }
  })
}
