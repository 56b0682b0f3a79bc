# uses: Get-DriverlabVm
# An NMI reaches only a running VM; Hyper-V refuses it for an Off or Saved one ("Cannot inject a
# non-maskable interrupt into the virtual machine"). -Force skips the confirmation.
$vm = Get-DriverlabVm $p.vmName
Hyper-V\Debug-VM -VM $vm -InjectNonMaskableInterrupt -Force
[ordered]@{ injected = $true }
