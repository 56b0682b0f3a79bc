# The guest account of the operation's parameters as a PSCredential for PowerShell Direct.
function New-DriverlabGuestCredential {
  param($Params)
  $secret = ConvertTo-SecureString -String $Params.credential.password -AsPlainText -Force
  New-Object System.Management.Automation.PSCredential ($Params.credential.user, $secret)
}
