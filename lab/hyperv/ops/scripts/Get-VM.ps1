# uses: Get-DriverlabVm, ConvertTo-DriverlabVmRecord
ConvertTo-DriverlabVmRecord (Get-DriverlabVm $p.vmName)
