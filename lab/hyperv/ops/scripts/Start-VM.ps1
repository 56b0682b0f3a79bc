# uses: Get-DriverlabVm, ConvertTo-DriverlabVmRecord
# Start-VM returns once Hyper-V reports the VM running (not when the guest has booted); a running VM
# is left as it is, and a paused one is resumed, which Start-VM refuses to do.
$vm = Get-DriverlabVm $p.vmName
if ("$($vm.State)" -eq 'Paused') {
  Hyper-V\Resume-VM -VM $vm
} elseif ("$($vm.State)" -ne 'Running') {
  Hyper-V\Start-VM -VM $vm
}
ConvertTo-DriverlabVmRecord (Get-DriverlabVm $p.vmName)
