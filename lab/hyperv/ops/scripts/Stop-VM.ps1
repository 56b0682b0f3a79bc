if ($p.turnOff) {
  Hyper-V\Stop-VM -Name $p.vmName -TurnOff -Confirm:$false
} else {
  Hyper-V\Stop-VM -Name $p.vmName -Force -Confirm:$false
}
$vm = Hyper-V\Get-VM -Name $p.vmName
$heartbeat = $vm.Heartbeat
[ordered]@{
  name = $vm.Name
  id = "$($vm.Id)"
  state = "$($vm.State)"
  heartbeat = $(if ($null -eq $heartbeat) { $null } else { "$heartbeat" })
  uptimeSeconds = [double]$vm.Uptime.TotalSeconds
  status = "$($vm.Status)"
  generation = [int]$vm.Generation
}
