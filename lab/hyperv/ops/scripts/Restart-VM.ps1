# uses: Get-DriverlabVm, ConvertTo-DriverlabVmRecord
# A hard restart; without -Force the cmdlet asks for confirmation and a non-interactive shell blocks.
$vm = Get-DriverlabVm $p.vmName
Hyper-V\Restart-VM -VM $vm -Force
ConvertTo-DriverlabVmRecord (Get-DriverlabVm $p.vmName)
