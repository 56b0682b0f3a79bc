# uses: Get-DriverlabVm
# The Heartbeat integration service is found by its id, which, unlike its name, is not localized.
$vm = Get-DriverlabVm $p.vmName
$service = @(Hyper-V\Get-VMIntegrationService -VM $vm | Where-Object { "$($_.Id)" -like '*\84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47' })
if ($service.Count -eq 0) {
  $service = @(Hyper-V\Get-VMIntegrationService -VM $vm -Name 'Heartbeat')
}
[ordered]@{
  enabled = [bool]($service.Count -gt 0 -and $service[0].Enabled)
  status = $(if ($null -eq $vm.Heartbeat) { $null } else { "$($vm.Heartbeat)" })
  state = "$($vm.State)"
}
