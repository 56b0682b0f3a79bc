# A VM as the catalog's VmRecord: enums as names, numbers as numbers (never the localized Status to branch on).
function ConvertTo-DriverlabVmRecord {
  param($Vm)
  [ordered]@{
    name = "$($Vm.Name)"
    id = "$($Vm.Id)"
    state = "$($Vm.State)"
    heartbeat = $(if ($null -eq $Vm.Heartbeat) { $null } else { "$($Vm.Heartbeat)" })
    uptimeSeconds = [double]$Vm.Uptime.TotalSeconds
    status = $(if ($null -eq $Vm.Status) { $null } else { "$($Vm.Status)" })
    generation = $(if ($null -eq $Vm.Generation) { $null } else { [int]$Vm.Generation })
  }
}
