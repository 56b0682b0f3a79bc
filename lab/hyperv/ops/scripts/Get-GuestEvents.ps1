# uses: Invoke-DriverlabGuest
# Event-log records from the guest (Get-WinEvent), newest first, with their insertion strings and the
# event's binary data read from the event XML as hex (event 153 keeps its SCSI and SRB status there).
# Levels are named from their number because LevelDisplayName is localized; "no events found" is an
# empty list, not an error. ($record, not $event: $Event is one of PowerShell's automatic variables.)
$since = $(if ($null -eq $p.PSObject.Properties['since']) { $null } else { "$($p.since)" })
$ids = [int[]]@($p.ids | ForEach-Object { [int]$_ })
$provider = $(if ($null -eq $p.PSObject.Properties['providerName']) { $null } else { "$($p.providerName)" })
$rows = @(Invoke-DriverlabGuest $p -ArgumentList @("$($p.logName)", $ids, $provider, $since, [int]$p.maxEvents) -ScriptBlock {
  # driverlab-guest: Get-GuestEvents
  param([string]$LogName, [int[]]$Ids, $Provider, $Since, [int]$MaxEvents)
  $ErrorActionPreference = 'Stop'
  $filter = @{ LogName = $LogName }
  if ($null -ne $Ids -and $Ids.Count -gt 0) { $filter.Id = $Ids }
  if ($Provider) { $filter.ProviderName = $Provider }
  if ($Since) {
    $filter.StartTime = [datetime]::Parse($Since, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind)
  }
  try {
    $events = @(Get-WinEvent -FilterHashtable $filter -MaxEvents $MaxEvents)
  } catch {
    if ("$($_.FullyQualifiedErrorId)" -like 'NoMatchingEventsFound*') { $events = @() } else { throw }
  }
  $levels = @{ 0 = 'Information'; 1 = 'Critical'; 2 = 'Error'; 3 = 'Warning'; 4 = 'Information'; 5 = 'Verbose' }
  foreach ($record in $events) {
    $xml = [xml]$record.ToXml()
    $binary = $null
    if ($null -ne $xml.Event.EventData -and $xml.Event.EventData.Binary) { $binary = "$($xml.Event.EventData.Binary)".ToLowerInvariant() }
    $properties = @($record.Properties | ForEach-Object {
      $value = $_.Value
      if ($value -is [byte[]]) { ($value | ForEach-Object { $_.ToString('x2') }) -join '' }
      elseif ($value -is [datetime]) { $value.ToUniversalTime().ToString('o') }
      else { "$value" }
    })
    [pscustomobject]@{
      id = [int]$record.Id
      provider = "$($record.ProviderName)"
      level = $(if ($levels.ContainsKey([int]$record.Level)) { $levels[[int]$record.Level] } else { "Level$($record.Level)" })
      logName = "$($record.LogName)"
      timeCreated = $record.TimeCreated.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [Globalization.CultureInfo]::InvariantCulture)
      message = "$($record.Message)"
      properties = $properties
      binaryHex = $binary
    }
  }
})
[ordered]@{
  events = @($rows | ForEach-Object {
    $e = $_
    [ordered]@{
      id = [int]$e.id
      provider = "$($e.provider)"
      level = "$($e.level)"
      logName = "$($e.logName)"
      timeCreated = "$($e.timeCreated)"
      message = "$($e.message)"
      properties = @($e.properties | ForEach-Object { "$_" })
      binaryHex = $(if ($null -eq $e.binaryHex) { $null } else { "$($e.binaryHex)" })
    }
  })
}
