# The guest account of the operation's parameters as a PSCredential for PowerShell Direct (the
# script's frame made it from a reference to a host file: no password is ever part of a script).
function New-DriverlabGuestCredential {
  param($Params)
  $Params.credential
}
