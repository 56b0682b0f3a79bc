# uses: New-DriverlabError
# The one VM with exactly this name. Get-VM -Name takes [ ] * ? as wildcards and, for a name that
# matches nothing, throws Hyper-V's own (localized) error before our check could run; so every VM
# is listed and the name compared exactly. Hyper-V also allows two VMs with one name, and an
# operation must not act on both.
function Get-DriverlabVm {
  param([string]$Name)
  $found = @(Hyper-V\Get-VM | Where-Object { $_.Name -eq $Name })
  if ($found.Count -eq 0) {
    throw (New-DriverlabError -Message "No virtual machine on this host is named '$Name'." -ErrorId 'DriverlabVmNotFound' -Category ObjectNotFound -Target $Name)
  }
  if ($found.Count -gt 1) {
    throw (New-DriverlabError -Message "The name '$Name' matches $($found.Count) virtual machines on this host." -ErrorId 'DriverlabVmAmbiguous' -Category InvalidArgument -Target $Name)
  }
  $found[0]
}
