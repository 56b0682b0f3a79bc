# An error record with driverlab's own FullyQualifiedErrorId, so the adapter can tell its causes apart.
function New-DriverlabError {
  param([string]$Message, [string]$ErrorId, [System.Management.Automation.ErrorCategory]$Category, $Target)
  $exception = New-Object System.InvalidOperationException $Message
  New-Object System.Management.Automation.ErrorRecord ($exception, $ErrorId, $Category, $Target)
}
