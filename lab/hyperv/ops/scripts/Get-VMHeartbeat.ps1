$vm = Hyper-V\Get-VM -Name $p.vmName
$service = Hyper-V\Get-VMIntegrationService -VM $vm | Where-Object { $_.Id -like '*84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47' }
if ($null -eq $service) {
  $service = Hyper-V\Get-VMIntegrationService -VM $vm -Name 'Heartbeat'
}
[ordered]@{
  enabled = [bool]$service.Enabled
  status = $(if ($null -eq $vm.Heartbeat) { $null } else { "$($vm.Heartbeat)" })
  state = "$($vm.State)"
}
