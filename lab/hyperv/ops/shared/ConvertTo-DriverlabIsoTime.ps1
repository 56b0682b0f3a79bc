# A DateTime as ISO 8601 in UTC with milliseconds, the same on Windows PowerShell 5.1 and PowerShell 7.
function ConvertTo-DriverlabIsoTime {
  param($Time)
  if ($null -eq $Time) { return $null }
  ([datetime]$Time).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [Globalization.CultureInfo]::InvariantCulture)
}
