# uses: Get-DriverlabVm
# Addresses appear only while the guest's integration services report them; IPv4 and IPv6 are mixed.
$vm = Get-DriverlabVm $p.vmName
[ordered]@{
  adapters = @(Hyper-V\Get-VMNetworkAdapter -VM $vm | ForEach-Object {
    [ordered]@{
      name = "$($_.Name)"
      switchName = $(if ($_.SwitchName) { "$($_.SwitchName)" } else { $null })
      macAddress = "$($_.MacAddress)"
      ipAddresses = @($_.IPAddresses | ForEach-Object { "$_" })
    }
  })
}
