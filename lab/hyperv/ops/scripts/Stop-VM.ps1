# uses: Get-DriverlabVm, ConvertTo-DriverlabVmRecord
# -TurnOff is pulling the power; -Force shuts the guest down without asking about locked sessions
# or unsaved work. A VM that is already off is left as it is.
$vm = Get-DriverlabVm $p.vmName
if ("$($vm.State)" -ne 'Off') {
  if ($p.turnOff) {
    Hyper-V\Stop-VM -VM $vm -TurnOff -Confirm:$false
  } else {
    Hyper-V\Stop-VM -VM $vm -Force -Confirm:$false
  }
}
ConvertTo-DriverlabVmRecord (Get-DriverlabVm $p.vmName)
