# uses: Get-DriverlabVm, New-DriverlabGuestCredential
# Runs a script block in the guest through PowerShell Direct with the operation's guest credential,
# addressing the VM by its id (-VMName would take the name as a pattern). The block must return
# plain values: the caller rebuilds the result from them, because remoted objects carry
# PSComputerName and RunspaceId, which must not reach the reply. Its first line names the
# operation ('# driverlab-guest: <operation>'), which the embedded lab's stand-in reads.
function Invoke-DriverlabGuest {
  param($Params, [scriptblock]$ScriptBlock, [object[]]$ArgumentList = @())
  $vm = Get-DriverlabVm $Params.vmName
  Invoke-Command -VMId $vm.Id -Credential (New-DriverlabGuestCredential $Params) -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
}
