# uses: New-DriverlabError
# The checkpoint of a VM with exactly this name (the cmdlets' -Name takes wildcards), or an error
# that lists the checkpoints the VM has.
function Get-DriverlabCheckpoint {
  param($Vm, [string]$Name)
  $all = @(Hyper-V\Get-VMSnapshot -VM $Vm)
  $found = @($all | Where-Object { $_.Name -eq $Name })
  if ($found.Count -eq 0) {
    $names = ($all | ForEach-Object { "'$($_.Name)'" }) -join ', '
    if ($names -eq '') { $names = 'none' }
    throw (New-DriverlabError -Message "VM '$($Vm.Name)' has no checkpoint named '$Name' (it has: $names)." -ErrorId 'DriverlabCheckpointNotFound' -Category ObjectNotFound -Target $Name)
  }
  if ($found.Count -gt 1) {
    throw (New-DriverlabError -Message "VM '$($Vm.Name)' has $($found.Count) checkpoints named '$Name'." -ErrorId 'DriverlabCheckpointAmbiguous' -Category InvalidArgument -Target $Name)
  }
  $found[0]
}
