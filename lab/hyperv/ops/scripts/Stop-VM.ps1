# uses: Get-DriverlabVm, ConvertTo-DriverlabVmRecord
# -TurnOff is pulling the power. A shutdown (-Force: without asking about locked sessions or unsaved
# work) goes through the guest's Shutdown integration service, which a guest stopped in the
# debugger or at a bug check never answers, and Stop-VM then waits up to five minutes: so the
# shutdown runs as a job bounded by forceSeconds, and a VM still not off then is turned off.
# A VM that is already off is left as it is.
$vm = Get-DriverlabVm $p.vmName
if ("$($vm.State)" -ne 'Off') {
  if ($p.turnOff) {
    Hyper-V\Stop-VM -VM $vm -TurnOff -Confirm:$false
  } else {
    $job = Hyper-V\Stop-VM -VM $vm -Force -Confirm:$false -AsJob
    try {
      $done = Wait-Job -Job $job -Timeout ([int][Math]::Ceiling([double]$p.forceSeconds))
      if ($null -eq $done) {
        Stop-Job -Job $job
        Hyper-V\Stop-VM -VM (Get-DriverlabVm $p.vmName) -TurnOff -Confirm:$false
      } else {
        $null = Receive-Job -Job $job
      }
    } finally {
      Remove-Job -Job $job -Force
    }
  }
}
ConvertTo-DriverlabVmRecord (Get-DriverlabVm $p.vmName)
