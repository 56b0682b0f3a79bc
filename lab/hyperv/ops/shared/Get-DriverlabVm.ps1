# uses: New-DriverlabError
# The one VM with exactly this name. Get-VM -Name takes wildcards, so a name with [ ] * ? is matched
# exactly by hand; Hyper-V also allows two VMs with one name, and an operation must not act on both.
function Get-DriverlabVm {
  param([string]$Name)
  if ([Management.Automation.WildcardPattern]::ContainsWildcardCharacters($Name)) {
    $found = @(Hyper-V\Get-VM | Where-Object { $_.Name -eq $Name })
  } else {
    $found = @(Hyper-V\Get-VM -Name $Name)
  }
  if ($found.Count -eq 0) {
    throw (New-DriverlabError -Message "No virtual machine on this host is named '$Name'." -ErrorId 'DriverlabVmNotFound' -Category ObjectNotFound -Target $Name)
  }
  if ($found.Count -gt 1) {
    throw (New-DriverlabError -Message "The name '$Name' matches $($found.Count) virtual machines on this host." -ErrorId 'DriverlabVmAmbiguous' -Category InvalidArgument -Target $Name)
  }
  $found[0]
}
