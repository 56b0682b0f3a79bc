# uses: New-DriverlabGuestCredential
# Runs a script block in the guest through PowerShell Direct with the operation's guest credential.
# The block must return plain values: the caller rebuilds the result from them, because remoted
# objects carry PSComputerName and RunspaceId, which must not reach the reply.
function Invoke-DriverlabGuest {
  param($Params, [scriptblock]$ScriptBlock, [object[]]$ArgumentList = @())
  Invoke-Command -VMName $Params.vmName -Credential (New-DriverlabGuestCredential $Params) -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
}
