# The stand-in Hyper-V module (test and embedded-lab support, never loaded on a real host).
#
# Each command has the name, parameter sets, pipeline input and output type of Microsoft's Hyper-V
# cmdlet of the same name (the source is named above each one), so an operation script binds its
# parameters, reads properties and serializes objects exactly as it would on a Hyper-V host — a
# parameter the real cmdlet does not have fails here with PowerShell's own binding error. What the
# commands do is answered by the embedded lab's model, a Node process this module starts on first
# use (lab/sim/pwsh/bridge.ts; one JSON line per call). PowerShell Direct (Invoke-Command,
# New-PSSession, Remove-PSSession, Copy-Item -FromSession with -VMId/-VMName) is stood in too: the
# guest's script blocks are not run, the model answers the guest part of the operation that the
# block's '# driverlab-guest: <operation>' line names. Everything else goes to the real cmdlets.
Set-StrictMode -Version Latest

if (-not ('Microsoft.HyperV.PowerShell.VirtualMachine' -as [type])) {
  Add-Type -Path (Join-Path $PSScriptRoot 'Types.cs')
}

$script:Model = $null
$script:NextRequest = 0
$script:NextSession = 0

function Start-StandInModel {
  $node = $env:DRIVERLAB_STANDIN_NODE
  $arguments = $env:DRIVERLAB_STANDIN_ARGS
  if (-not $node -or -not $arguments) {
    throw 'The stand-in Hyper-V module was loaded without its model: DRIVERLAB_STANDIN_NODE and DRIVERLAB_STANDIN_ARGS are not set (the embedded lab sets them when it starts pwsh).'
  }
  $start = New-Object System.Diagnostics.ProcessStartInfo
  $start.FileName = $node
  foreach ($argument in @(ConvertFrom-Json -InputObject $arguments)) { $start.ArgumentList.Add([string]$argument) }
  if ($env:DRIVERLAB_STANDIN_CWD) { $start.WorkingDirectory = $env:DRIVERLAB_STANDIN_CWD }
  $start.UseShellExecute = $false
  $start.RedirectStandardInput = $true
  $start.RedirectStandardOutput = $true
  $start.RedirectStandardError = $false
  $start.StandardInputEncoding = New-Object System.Text.UTF8Encoding $false
  $start.StandardOutputEncoding = New-Object System.Text.UTF8Encoding $false
  $process = [System.Diagnostics.Process]::Start($start)
  $ready = $process.StandardOutput.ReadLine()
  if ($null -eq $ready) {
    throw "The stand-in Hyper-V module's model process ended before it was ready (exit code $($process.ExitCode)); its error is above."
  }
  $script:Model = $process
}

function New-StandInError {
  param([string]$Message, [string]$ErrorId, [string]$Type, [string]$Category, $Target)
  $exception = switch ($Type) {
    'Microsoft.HyperV.PowerShell.VirtualizationException' { New-Object Microsoft.HyperV.PowerShell.VirtualizationException $Message }
    'System.Management.Automation.Remoting.PSDirectException' { New-Object System.Management.Automation.Remoting.PSDirectException $Message }
    'System.Management.Automation.Remoting.PSRemotingTransportException' { New-Object System.Management.Automation.Remoting.PSRemotingTransportException $Message }
    'System.Management.Automation.ItemNotFoundException' { New-Object System.Management.Automation.ItemNotFoundException $Message }
    'System.Management.Automation.RuntimeException' { New-Object System.Management.Automation.RuntimeException $Message }
    'System.Management.Automation.PSInvalidCastException' { New-Object System.Management.Automation.PSInvalidCastException $Message }
    'System.IO.IOException' { New-Object System.IO.IOException $Message }
    default { New-Object System.InvalidOperationException $Message }
  }
  $parsed = [System.Management.Automation.ErrorCategory]::NotSpecified
  if (-not [Enum]::TryParse([System.Management.Automation.ErrorCategory], $Category, [ref]$parsed)) {
    $parsed = [System.Management.Automation.ErrorCategory]::NotSpecified
  }
  New-Object System.Management.Automation.ErrorRecord ($exception, $ErrorId, $parsed, $Target)
}

# One call to the model: the answer's value, or an error record (the caller throws or writes it).
function Invoke-StandInModel {
  param([string]$Command, [hashtable]$Arguments = @{})
  if ($null -eq $script:Model -or $script:Model.HasExited) { Start-StandInModel }
  $script:NextRequest += 1
  $request = @{ id = $script:NextRequest; cmd = $Command }
  foreach ($key in $Arguments.Keys) { $request[$key] = $Arguments[$key] }
  $script:Model.StandardInput.WriteLine((ConvertTo-Json -InputObject $request -Compress -Depth 10))
  $script:Model.StandardInput.Flush()
  $line = $script:Model.StandardOutput.ReadLine()
  if ($null -eq $line) {
    throw "The stand-in Hyper-V module's model process ended while answering '$Command'."
  }
  $answer = ConvertFrom-Json -InputObject $line -DateKind String
  if ($null -ne $answer.PSObject.Properties['error']) {
    $e = $answer.error
    # A fqid from the model names the real cmdlet class ("InvalidState,Microsoft.HyperV...StartVM").
    return (New-StandInError -Message $e.error -ErrorId $e.fqid -Type $e.type -Category $e.category -Target $Command)
  }
  $value = $answer.ok
  if ($null -ne $value -and $value -is [pscustomobject] -and $null -ne $value.PSObject.Properties['die'] -and $value.die) {
    # The host-shell-dies lab fault: the host's PowerShell goes away in the middle of an operation.
    [Environment]::Exit(1)
  }
  $value
}

# Calls the model; an error stops the calling command (the caller's -ErrorAction decides for
# non-terminating ones, see Write-StandInError).
function Get-StandInAnswer {
  param($Cmdlet, [string]$Command, [hashtable]$Arguments = @{})
  $value = Invoke-StandInModel -Command $Command -Arguments $Arguments
  if ($value -is [System.Management.Automation.ErrorRecord]) { $Cmdlet.ThrowTerminatingError($value) }
  $value
}

function ConvertTo-StandInVm {
  param($Record)
  $vm = New-Object Microsoft.HyperV.PowerShell.VirtualMachine
  $vm.Name = $Record.name
  $vm.Id = [guid]$Record.id
  $vm.State = [Microsoft.HyperV.PowerShell.VMState]$Record.state
  if ($null -ne $Record.heartbeat) { $vm.Heartbeat = [Microsoft.HyperV.PowerShell.VMHeartbeatStatus]$Record.heartbeat }
  $vm.Uptime = [TimeSpan]::FromSeconds([Math]::Floor([double]$Record.uptimeSeconds))
  $vm.Status = $Record.status
  $vm.OperationalStatus = [Microsoft.HyperV.PowerShell.VMOperationalStatus[]]@($Record.operationalStatus)
  $vm.Generation = [int]$Record.generation
  $vm.ComputerName = [Environment]::MachineName
  $vm | Add-Member -NotePropertyName DriverlabGuestPhase -NotePropertyValue "$($Record.guestPhase)" -PassThru
}

function ConvertTo-StandInSnapshot {
  param($Record)
  $snapshot = New-Object Microsoft.HyperV.PowerShell.VMSnapshot
  $snapshot.Name = $Record.name
  $snapshot.Id = [guid]$Record.id
  $snapshot.VMName = $Record.vmName
  $snapshot.VMId = [guid]$Record.vmId
  $snapshot.CreationTime = [datetime]::Parse($Record.created, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind).ToLocalTime()
  $snapshot.ParentSnapshotName = $Record.parentName
  if ($null -ne $Record.parentId) { $snapshot.ParentSnapshotId = [guid]$Record.parentId }
  $snapshot.SnapshotType = [Microsoft.HyperV.PowerShell.SnapshotType]$Record.type
  $snapshot
}

# The VMs a command of the Name parameter set means: wildcards as Hyper-V takes them; a name
# without wildcards that matches nothing is Hyper-V's own non-terminating error.
function Resolve-StandInVm {
  param($Cmdlet, [string[]]$Name, [string]$CmdletClass)
  # A VM whose configuration Hyper-V cannot read is a non-terminating error; the others are listed.
  $all = @(Get-StandInAnswer $Cmdlet 'vms' | ForEach-Object {
    if ($null -ne $_.PSObject.Properties['error']) {
      $Cmdlet.WriteError((New-StandInError -Message $_.error -ErrorId $_.fqid -Type $_.type -Category $_.category -Target $CmdletClass))
    } else {
      ConvertTo-StandInVm $_
    }
  })
  if ($null -eq $Name -or $Name.Count -eq 0) { return $all }
  foreach ($n in $Name) {
    $pattern = New-Object System.Management.Automation.WildcardPattern ($n, [System.Management.Automation.WildcardOptions]::IgnoreCase)
    $found = @($all | Where-Object { $pattern.IsMatch($_.Name) })
    if ($found.Count -eq 0 -and -not [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)) {
      $Cmdlet.WriteError((New-StandInError -Message "Hyper-V was unable to find a virtual machine with name `"$n`"." -ErrorId "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.$CmdletClass" -Type 'Microsoft.HyperV.PowerShell.VirtualizationException' -Category 'InvalidArgument' -Target $n))
    }
    $found
  }
}

function Assert-StandInModelled {
  param($Cmdlet, [hashtable]$Bound, [string[]]$Unmodelled)
  foreach ($name in $Unmodelled) {
    if ($Bound.ContainsKey($name)) {
      $Cmdlet.ThrowTerminatingError((New-StandInError -Message "The stand-in Hyper-V module does not model -$name of $($Cmdlet.MyInvocation.MyCommand.Name); driverlab's operations do not use it." -ErrorId 'StandInNotModelled' -Type '' -Category 'NotImplemented' -Target $name))
    }
  }
}

function New-StandInJob {
  param($Output, [switch]$Never)
  if ($Never) { return (Start-ThreadJob -ScriptBlock { while ($true) { Start-Sleep -Seconds 3600 } }) }
  Start-ThreadJob -ScriptBlock { param($o) $o } -ArgumentList (, $Output)
}

# The host's clock, as the lab keeps it. A script that waits on the host (Wait-VMPowerShellDirect)
# measures its time limit with Get-Date and pauses with Start-Sleep: here both are lab time, which
# the model advances at once, as the embedded lab's own host does; on a real host they are the
# cmdlets themselves. Get-Date with any argument, and every other caller's, is the real cmdlet's.
function Get-Date {
  if ($args.Count -gt 0 -or $MyInvocation.ExpectingInput) {
    return (Microsoft.PowerShell.Utility\Get-Date @args)
  }
  $answer = Invoke-StandInModel -Command 'now'
  if ($answer -is [System.Management.Automation.ErrorRecord]) { throw $answer }
  [datetime]::Parse($answer.iso, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind).ToLocalTime()
}

# Source: https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.utility/start-sleep
function Start-Sleep {
  [CmdletBinding(DefaultParameterSetName = 'Seconds')]
  param(
    [Parameter(ParameterSetName = 'Seconds', Mandatory = $true, Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)][double]$Seconds,
    [Parameter(ParameterSetName = 'Milliseconds', Mandatory = $true, ValueFromPipelineByPropertyName = $true)][Alias('ms')][int]$Milliseconds,
    [Parameter(ParameterSetName = 'FromTimeSpan', Mandatory = $true, ValueFromPipelineByPropertyName = $true)][Alias('ts')][timespan]$Duration
  )
  $ms = switch ($PSCmdlet.ParameterSetName) {
    'Seconds' { $Seconds * 1000 }
    'Milliseconds' { $Milliseconds }
    default { $Duration.TotalMilliseconds }
  }
  $null = Get-StandInAnswer $PSCmdlet 'sleep' @{ ms = [double]$ms }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/get-vm
function Get-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name')]
  [OutputType([Microsoft.HyperV.PowerShell.VirtualMachine])]
  param(
    [Parameter(ParameterSetName = 'Name', Position = 0, ValueFromPipeline = $true)]
    [Alias('VMName')]
    [string[]]$Name,
    [Parameter(ParameterSetName = 'Id', Mandatory = $true, Position = 0)]
    [Nullable[guid]]$Id,
    [Parameter(ParameterSetName = 'ClusterObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)]
    [psobject]$ClusterObject,
    [Parameter(ParameterSetName = 'Name')][Parameter(ParameterSetName = 'Id')]
    [Microsoft.Management.Infrastructure.CimSession[]]$CimSession,
    [Parameter(ParameterSetName = 'Name')][Parameter(ParameterSetName = 'Id')]
    [string[]]$ComputerName,
    [Parameter(ParameterSetName = 'Name')][Parameter(ParameterSetName = 'Id')]
    [pscredential[]]$Credential
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('CimSession', 'ComputerName', 'Credential', 'ClusterObject')
    if ($PSCmdlet.ParameterSetName -eq 'Id') {
      ConvertTo-StandInVm (Get-StandInAnswer $PSCmdlet 'vm' @{ vmId = "$Id" })
    } else {
      Resolve-StandInVm $PSCmdlet $Name 'GetVM'
    }
  }
}

# The VMs of a command with the Name and VMObject parameter sets.
function Get-StandInTarget {
  param($Cmdlet, $Bound, [string]$CmdletClass)
  if ($Bound.ContainsKey('VM')) { return @($Bound['VM']) }
  @(Resolve-StandInVm $Cmdlet $Bound['Name'] $CmdletClass)
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/start-vm
function Start-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess = $true)]
  [OutputType([Microsoft.HyperV.PowerShell.VirtualMachine])]
  param(
    [Parameter(ParameterSetName = 'Name', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][string[]]$Name,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(ParameterSetName = 'Name')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'Name')][Microsoft.Management.Infrastructure.CimSession[]]$CimSession,
    [Parameter(ParameterSetName = 'Name')][pscredential[]]$Credential,
    [switch]$AsJob,
    [switch]$Passthru
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('CimSession', 'ComputerName', 'Credential')
    foreach ($target in (Get-StandInTarget $PSCmdlet $PSBoundParameters 'StartVM')) {
      if (-not $PSCmdlet.ShouldProcess($target.Name, 'Start-VM')) { continue }
      $after = ConvertTo-StandInVm (Get-StandInAnswer $PSCmdlet 'start' @{ vmId = "$($target.Id)" })
      if ($AsJob) { New-StandInJob $(if ($Passthru) { $after } else { $null }) } elseif ($Passthru) { $after }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/resume-vm
function Resume-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess = $true)]
  [OutputType([Microsoft.HyperV.PowerShell.VirtualMachine])]
  param(
    [Parameter(ParameterSetName = 'Name', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][string[]]$Name,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(ParameterSetName = 'Name')][string[]]$ComputerName,
    [switch]$AsJob,
    [switch]$Passthru
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'AsJob')
    foreach ($target in (Get-StandInTarget $PSCmdlet $PSBoundParameters 'ResumeVM')) {
      if (-not $PSCmdlet.ShouldProcess($target.Name, 'Resume-VM')) { continue }
      $after = ConvertTo-StandInVm (Get-StandInAnswer $PSCmdlet 'resume' @{ vmId = "$($target.Id)" })
      if ($Passthru) { $after }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/stop-vm
# -Force shuts the guest down through the Shutdown integration service and waits for it (the docs
# allow five minutes); a guest stopped in the debugger or at a bug check never answers, so this
# stand-in then waits for ever, as Hyper-V would for its whole timeout.
function Stop-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
  [OutputType([Microsoft.HyperV.PowerShell.VirtualMachine])]
  param(
    [Parameter(ParameterSetName = 'Name', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][string[]]$Name,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(ParameterSetName = 'Name')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'Name')][Microsoft.Management.Infrastructure.CimSession[]]$CimSession,
    [Parameter(ParameterSetName = 'Name')][pscredential[]]$Credential,
    [switch]$Save,
    [switch]$TurnOff,
    [switch]$Force,
    [switch]$AsJob,
    [switch]$Passthru
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('CimSession', 'ComputerName', 'Credential', 'Save')
    foreach ($target in (Get-StandInTarget $PSCmdlet $PSBoundParameters 'StopVM')) {
      if (-not $PSCmdlet.ShouldProcess($target.Name, 'Stop-VM')) { continue }
      $how = $(if ($TurnOff) { 'turnoff' } else { 'shutdown' })
      $answer = Get-StandInAnswer $PSCmdlet 'stop' @{ vmId = "$($target.Id)"; how = $how }
      $hangs = $null -ne $answer.PSObject.Properties['hangs'] -and $answer.hangs
      if ($hangs) {
        if ($AsJob) { New-StandInJob -Never; continue }
        while ($true) { Start-Sleep -Seconds 3600 }
      }
      $after = ConvertTo-StandInVm $answer
      if ($AsJob) { New-StandInJob $(if ($Passthru) { $after } else { $null }) } elseif ($Passthru) { $after }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/restart-vm
function Restart-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  [OutputType([Microsoft.HyperV.PowerShell.VirtualMachine])]
  param(
    [Parameter(ParameterSetName = 'Name', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][string[]]$Name,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(ParameterSetName = 'Name')][string[]]$ComputerName,
    [switch]$Force,
    [switch]$AsJob,
    [switch]$Passthru,
    [switch]$Wait,
    [string]$For,
    [int16]$Delay,
    [int]$Timeout,
    [ValidateSet('Reset', 'Reboot')][string]$Type
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'Wait', 'For', 'Delay', 'Timeout', 'AsJob')
    foreach ($target in (Get-StandInTarget $PSCmdlet $PSBoundParameters 'RestartVM')) {
      if (-not ($Force -or $PSCmdlet.ShouldProcess($target.Name, 'Restart-VM'))) { continue }
      $after = ConvertTo-StandInVm (Get-StandInAnswer $PSCmdlet 'restart' @{ vmId = "$($target.Id)" })
      if ($Passthru) { $after }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/checkpoint-vm
# Hyper-V takes a second checkpoint with a name that is taken already; so does the stand-in.
function Checkpoint-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess = $true)]
  [OutputType([Microsoft.HyperV.PowerShell.VMSnapshot])]
  param(
    [Parameter(ParameterSetName = 'Name', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][string[]]$Name,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(Position = 1)][string]$SnapshotName,
    [Parameter(ParameterSetName = 'Name')][string[]]$ComputerName,
    [switch]$AsJob,
    [switch]$Passthru
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'AsJob')
    foreach ($target in (Get-StandInTarget $PSCmdlet $PSBoundParameters 'CheckpointVM')) {
      if (-not $PSCmdlet.ShouldProcess($target.Name, 'Checkpoint-VM')) { continue }
      $label = $(if ($SnapshotName) { $SnapshotName } else { "$($target.Name) - ($((Get-Date).ToString('MM/dd/yyyy - HH:mm:ss', [Globalization.CultureInfo]::InvariantCulture)))" })
      $snapshot = ConvertTo-StandInSnapshot (Get-StandInAnswer $PSCmdlet 'checkpoint' @{ vmId = "$($target.Id)"; name = $label })
      if ($Passthru) { $snapshot }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/get-vmsnapshot
# -Name takes wildcards; a name without wildcards that matches nothing is an error.
function Get-VMSnapshot {
  [CmdletBinding(DefaultParameterSetName = 'VMName')]
  [OutputType([Microsoft.HyperV.PowerShell.VMSnapshot])]
  param(
    [Parameter(ParameterSetName = 'VMName', Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][string[]]$VMName,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(ParameterSetName = 'VMName', Position = 1)][Parameter(ParameterSetName = 'VMObject', Position = 1)][string]$Name,
    [Parameter(ParameterSetName = 'Id', Mandatory = $true)][Nullable[guid]]$Id,
    [Parameter(ParameterSetName = 'Child', Mandatory = $true)][Microsoft.HyperV.PowerShell.VMSnapshot]$ChildOf,
    [Parameter(ParameterSetName = 'Parent', Mandatory = $true)][psobject]$ParentOf,
    [Parameter(ParameterSetName = 'VMName')][Parameter(ParameterSetName = 'VMObject')][string]$SnapshotType,
    [Parameter(ParameterSetName = 'VMName')][string[]]$ComputerName
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'Id', 'ChildOf', 'ParentOf', 'SnapshotType')
    $targets = $(if ($PSCmdlet.ParameterSetName -eq 'VMObject') { @($VM) } else { @(Resolve-StandInVm $PSCmdlet $VMName 'GetVMSnapshot') })
    foreach ($target in $targets) {
      $all = @(Get-StandInAnswer $PSCmdlet 'checkpoints' @{ vmId = "$($target.Id)" } | ForEach-Object { ConvertTo-StandInSnapshot $_ })
      if (-not $PSBoundParameters.ContainsKey('Name')) { $all; continue }
      $pattern = New-Object System.Management.Automation.WildcardPattern ($Name, [System.Management.Automation.WildcardOptions]::IgnoreCase)
      $found = @($all | Where-Object { $pattern.IsMatch($_.Name) })
      if ($found.Count -eq 0) {
        $PSCmdlet.WriteError((New-StandInError -Message 'Unable to find a snapshot matching the given criteria.' -ErrorId 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMSnapshot' -Type 'Microsoft.HyperV.PowerShell.VirtualizationException' -Category 'ObjectNotFound' -Target $Name))
      }
      $found
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/restore-vmsnapshot
# Asks for confirmation (a non-interactive shell fails) unless -Confirm:$false.
function Restore-VMSnapshot {
  [CmdletBinding(DefaultParameterSetName = 'SnapshotName', SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  [OutputType([Microsoft.HyperV.PowerShell.VMSnapshot])]
  param(
    [Parameter(ParameterSetName = 'SnapshotName', Mandatory = $true, Position = 0)][Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 1)][string]$Name,
    [Parameter(ParameterSetName = 'SnapshotName', Mandatory = $true, Position = 1)][string]$VMName,
    [Parameter(ParameterSetName = 'SnapshotObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VMSnapshot]$VMSnapshot,
    [Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)][Microsoft.HyperV.PowerShell.VirtualMachine]$VM,
    [Parameter(ParameterSetName = 'SnapshotName')][string[]]$ComputerName,
    [switch]$AsJob,
    [switch]$Passthru
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'AsJob')
    $snapshot = $VMSnapshot
    if ($PSCmdlet.ParameterSetName -ne 'SnapshotObject') {
      $owner = $(if ($PSCmdlet.ParameterSetName -eq 'VM') { $VM } else { @(Resolve-StandInVm $PSCmdlet @($VMName) 'RestoreVMSnapshot')[0] })
      $pattern = New-Object System.Management.Automation.WildcardPattern ($Name, [System.Management.Automation.WildcardOptions]::IgnoreCase)
      $matching = @(Get-StandInAnswer $PSCmdlet 'checkpoints' @{ vmId = "$($owner.Id)" } | Where-Object { $pattern.IsMatch($_.name) })
      if ($matching.Count -ne 1) {
        $PSCmdlet.ThrowTerminatingError((New-StandInError -Message 'Unable to find a snapshot matching the given criteria.' -ErrorId 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.RestoreVMSnapshot' -Type 'Microsoft.HyperV.PowerShell.VirtualizationException' -Category 'ObjectNotFound' -Target $Name))
      }
      $snapshot = ConvertTo-StandInSnapshot $matching[0]
    }
    if (-not $PSCmdlet.ShouldProcess($snapshot.Name, 'Restore-VMSnapshot')) { return }
    $null = Get-StandInAnswer $PSCmdlet 'restore' @{ vmId = "$($snapshot.VMId)"; checkpointId = "$($snapshot.Id)" }
    if ($Passthru) { $snapshot }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/remove-vmsnapshot
# Returns while Hyper-V merges the checkpoint's disk into its parent (the VM's OperationalStatus
# says MergingDisks until then).
function Remove-VMSnapshot {
  [CmdletBinding(DefaultParameterSetName = 'SnapshotName', SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  [OutputType([Microsoft.HyperV.PowerShell.VMSnapshot])]
  param(
    [Parameter(ParameterSetName = 'SnapshotName', Mandatory = $true, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'SnapshotName', Position = 1)][Parameter(ParameterSetName = 'VMObject', Position = 1)][string[]]$Name,
    [Parameter(ParameterSetName = 'SnapshotObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VMSnapshot[]]$VMSnapshot,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(ParameterSetName = 'SnapshotName')][string[]]$ComputerName,
    [switch]$IncludeAllChildSnapshots,
    [switch]$AsJob,
    [switch]$Passthru
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'IncludeAllChildSnapshots', 'AsJob', 'VMName', 'VM')
    foreach ($snapshot in @($VMSnapshot)) {
      if (-not $PSCmdlet.ShouldProcess($snapshot.Name, 'Remove-VMSnapshot')) { continue }
      $null = Get-StandInAnswer $PSCmdlet 'remove' @{ vmId = "$($snapshot.VMId)"; checkpointId = "$($snapshot.Id)" }
      if ($Passthru) { $snapshot }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/get-vmintegrationservice
function Get-VMIntegrationService {
  [CmdletBinding(DefaultParameterSetName = 'VMName')]
  [OutputType([Microsoft.HyperV.PowerShell.VMIntegrationComponent])]
  param(
    [Parameter(ParameterSetName = 'VMName', Mandatory = $true, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(Position = 1)][string[]]$Name,
    [Parameter(ParameterSetName = 'VMName')][string[]]$ComputerName
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName')
    $targets = $(if ($PSCmdlet.ParameterSetName -eq 'VMObject') { @($VM) } else { @(Resolve-StandInVm $PSCmdlet $VMName 'GetVMIntegrationService') })
    foreach ($target in $targets) {
      foreach ($s in @(Get-StandInAnswer $PSCmdlet 'integration' @{ vmId = "$($target.Id)" })) {
        if ($PSBoundParameters.ContainsKey('Name') -and -not (@($Name) | Where-Object { $s.name -like $_ })) { continue }
        $c = New-Object Microsoft.HyperV.PowerShell.VMIntegrationComponent
        $c.Name = $s.name
        $c.Id = "Microsoft:$($target.Id.ToString().ToUpperInvariant())\$($s.id)"
        $c.VMName = $target.Name
        $c.VMId = $target.Id
        $c.Enabled = [bool]$s.enabled
        $c.PrimaryStatusDescription = $s.primaryStatus
        $c
      }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/get-vmnetworkadapter
function Get-VMNetworkAdapter {
  [CmdletBinding(DefaultParameterSetName = 'VMName')]
  [OutputType([Microsoft.HyperV.PowerShell.VMNetworkAdapter])]
  param(
    [Parameter(ParameterSetName = 'VMName', Mandatory = $true, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(ParameterSetName = 'All', Mandatory = $true)][switch]$All,
    [Parameter(ParameterSetName = 'ManagementOS', Mandatory = $true)][switch]$ManagementOS,
    [string]$Name,
    [string[]]$ComputerName
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'All', 'ManagementOS')
    $targets = $(if ($PSCmdlet.ParameterSetName -eq 'VMObject') { @($VM) } else { @(Resolve-StandInVm $PSCmdlet $VMName 'GetVMNetworkAdapter') })
    foreach ($target in $targets) {
      foreach ($a in @(Get-StandInAnswer $PSCmdlet 'adapters' @{ vmId = "$($target.Id)" })) {
        if ($Name -and $a.name -notlike $Name) { continue }
        $adapter = New-Object Microsoft.HyperV.PowerShell.VMNetworkAdapter
        $adapter.Name = $a.name
        $adapter.VMName = $target.Name
        $adapter.VMId = $target.Id
        $adapter.SwitchName = $a.switchName
        $adapter.MacAddress = $a.macAddress
        $adapter.IPAddresses = [string[]]@($a.ipAddresses)
        $adapter
      }
    }
  }
}

function ConvertTo-StandInComPort {
  param($Target, $Port)
  $p = New-Object Microsoft.HyperV.PowerShell.VMComPort
  $p.Name = "COM $($Port.number)"
  $p.VMName = $Target.Name
  $p.VMId = $Target.Id
  $p.Path = $Port.path
  $p.DebuggerMode = [Microsoft.HyperV.PowerShell.OnOffState]::Off
  $p
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/get-vmcomport
function Get-VMComPort {
  [CmdletBinding(DefaultParameterSetName = 'VMName')]
  [OutputType([Microsoft.HyperV.PowerShell.VMComPort])]
  param(
    [Parameter(ParameterSetName = 'VMName', Mandatory = $true, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(Position = 1)][ValidateRange(1, 2)][int]$Number,
    [Parameter(ParameterSetName = 'VMName')][string[]]$ComputerName
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName')
    $targets = $(if ($PSCmdlet.ParameterSetName -eq 'VMObject') { @($VM) } else { @(Resolve-StandInVm $PSCmdlet $VMName 'GetVMComPort') })
    foreach ($target in $targets) {
      foreach ($port in @(Get-StandInAnswer $PSCmdlet 'comports' @{ vmId = "$($target.Id)" })) {
        if ($PSBoundParameters.ContainsKey('Number') -and [int]$port.number -ne $Number) { continue }
        ConvertTo-StandInComPort $target $port
      }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/set-vmcomport
function Set-VMComPort {
  [CmdletBinding(DefaultParameterSetName = 'VMName', SupportsShouldProcess = $true)]
  [OutputType([Microsoft.HyperV.PowerShell.VMComPort])]
  param(
    [Parameter(ParameterSetName = 'VMName', Mandatory = $true, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(ParameterSetName = 'VMName', Mandatory = $true, Position = 1)][Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 1)][ValidateRange(1, 2)][int]$Number,
    [Parameter(Position = 2)][string]$Path,
    [Microsoft.HyperV.PowerShell.OnOffState]$DebuggerMode,
    [Parameter(ParameterSetName = 'VMName')][string[]]$ComputerName,
    [switch]$Passthru
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'DebuggerMode')
    $targets = $(if ($PSCmdlet.ParameterSetName -eq 'VMObject') { @($VM) } else { @(Resolve-StandInVm $PSCmdlet $VMName 'SetVMComPort') })
    foreach ($target in $targets) {
      if (-not $PSCmdlet.ShouldProcess($target.Name, 'Set-VMComPort')) { continue }
      $null = Get-StandInAnswer $PSCmdlet 'setcomport' @{ vmId = "$($target.Id)"; number = $Number; path = "$Path" }
      if ($Passthru) { ConvertTo-StandInComPort $target ([pscustomobject]@{ number = $Number; path = "$Path" }) }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/debug-vm
function Debug-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  [OutputType([Microsoft.HyperV.PowerShell.VirtualMachine])]
  param(
    [Parameter(ParameterSetName = 'Name', Mandatory = $true, Position = 0)][string[]]$Name,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(ParameterSetName = 'Name')][string[]]$ComputerName,
    [switch]$InjectNonMaskableInterrupt,
    [switch]$Force,
    [switch]$AsJob,
    [switch]$Passthru
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'AsJob')
    foreach ($target in (Get-StandInTarget $PSCmdlet $PSBoundParameters 'DebugVM')) {
      if (-not ($Force -or $PSCmdlet.ShouldProcess($target.Name, 'Debug-VM'))) { continue }
      if ($InjectNonMaskableInterrupt) { $null = Get-StandInAnswer $PSCmdlet 'nmi' @{ vmId = "$($target.Id)" } }
      if ($Passthru) { $target }
    }
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/copy-vmfile
function Copy-VMFile {
  [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess = $true)]
  param(
    [Parameter(ParameterSetName = 'Name', Mandatory = $true, Position = 0)][string[]]$Name,
    [Parameter(ParameterSetName = 'VMObject', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][Microsoft.HyperV.PowerShell.VirtualMachine[]]$VM,
    [Parameter(Mandatory = $true, Position = 1)][string]$SourcePath,
    [Parameter(Mandatory = $true, Position = 2)][string]$DestinationPath,
    [Parameter(Mandatory = $true)][Microsoft.HyperV.PowerShell.CopyFileSourceType]$FileSource,
    [Parameter(ParameterSetName = 'Name')][string[]]$ComputerName,
    [switch]$CreateFullPath,
    [switch]$Force,
    [switch]$AsJob,
    [switch]$Passthru
  )
  process {
    Assert-StandInModelled $PSCmdlet $PSBoundParameters @('ComputerName', 'AsJob')
    foreach ($target in (Get-StandInTarget $PSCmdlet $PSBoundParameters 'CopyVMFile')) {
      if (-not $PSCmdlet.ShouldProcess($target.Name, 'Copy-VMFile')) { continue }
      $null = Get-StandInAnswer $PSCmdlet 'copyin' @{ vmId = "$($target.Id)"; source = $SourcePath; destination = $DestinationPath }
      if ($Passthru) { $target }
    }
  }
}

# ------------------------------------------------------------------ PowerShell Direct

function Get-StandInCredential {
  param([pscredential]$Credential)
  @{ user = $Credential.UserName; password = $Credential.GetNetworkCredential().Password }
}

function Get-StandInVmById {
  param($Cmdlet, $Bound)
  if ($Bound.ContainsKey('VMId')) { return @($Bound['VMId'] | ForEach-Object { Get-VM -Id $_ }) }
  @($Bound['VMName'] | ForEach-Object { Get-VM -Name $_ })
}

# The guest part of an operation: the model answers what the block would return in the guest.
function Invoke-StandInGuest {
  param($Cmdlet, $Target, [pscredential]$Credential, [scriptblock]$ScriptBlock, [object[]]$ArgumentList)
  $marker = [regex]::Match($ScriptBlock.ToString(), '#\s*driverlab-guest:\s*(\S+)')
  if (-not $marker.Success) {
    $Cmdlet.ThrowTerminatingError((New-StandInError -Message "The stand-in runs no guest script block of its own: this block has no '# driverlab-guest: <operation>' line naming the operation whose guest part it is." -ErrorId 'StandInUnknownGuestBlock' -Type '' -Category 'NotImplemented' -Target $Target.Name))
  }
  $arguments = @{ vmId = "$($Target.Id)"; operation = $marker.Groups[1].Value; arguments = @($ArgumentList) }
  $arguments += (Get-StandInCredential $Credential)
  $answer = Invoke-StandInModel -Command 'guest' -Arguments $arguments
  if ($answer -is [System.Management.Automation.ErrorRecord]) { $Cmdlet.ThrowTerminatingError($answer) }
  if ($null -ne $answer -and $answer -is [pscustomobject] -and $null -ne $answer.PSObject.Properties['base64']) {
    # A byte[] the guest block wrote: it arrives as one array, as a deserialized byte[] does.
    Write-Output -NoEnumerate ([Convert]::FromBase64String($answer.base64))
    return
  }
  if ($null -ne $answer) {
    # A remoted object carries the computer it came from, as Invoke-Command's output does.
    $answer | Add-Member -NotePropertyName PSComputerName -NotePropertyValue $Target.Name -Force -PassThru
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/invoke-command
# (the VMId, VMName and Session parameter sets of PowerShell Direct; everything else goes to the real cmdlet)
function Invoke-Command {
  [CmdletBinding(DefaultParameterSetName = 'InProcess')]
  param(
    [Parameter(ParameterSetName = 'VMId', Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][Alias('VMGuid')][guid[]]$VMId,
    [Parameter(ParameterSetName = 'VMName', Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)][string[]]$VMName,
    [Parameter(ParameterSetName = 'Session', Mandatory = $true, Position = 0)][object[]]$Session,
    [Parameter(ParameterSetName = 'ComputerName', Mandatory = $true, Position = 0)][Alias('Cn')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'VMId', Mandatory = $true)][Parameter(ParameterSetName = 'VMName', Mandatory = $true)][Parameter(ParameterSetName = 'ComputerName')][pscredential]$Credential,
    [Parameter(Mandatory = $true, Position = 1)][Alias('Command')][scriptblock]$ScriptBlock,
    [Alias('Args')][object[]]$ArgumentList,
    [Parameter(ParameterSetName = 'VMId')][Parameter(ParameterSetName = 'VMName')][string]$ConfigurationName,
    [switch]$HideComputerName
  )
  if ($PSCmdlet.ParameterSetName -in @('VMId', 'VMName')) {
    foreach ($target in (Get-StandInVmById $PSCmdlet $PSBoundParameters)) {
      Invoke-StandInGuest $PSCmdlet $target $Credential $ScriptBlock $ArgumentList
    }
    return
  }
  if ($PSCmdlet.ParameterSetName -eq 'Session' -and @($Session | Where-Object { $_ -is [Driverlab.StandIn.VMSession] }).Count -gt 0) {
    foreach ($s in $Session) {
      Invoke-StandInGuest $PSCmdlet (Get-VM -Id $s.VMId) $s.Credential $ScriptBlock $ArgumentList
    }
    return
  }
  Microsoft.PowerShell.Core\Invoke-Command @PSBoundParameters
}

# Source: https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/new-pssession
function New-PSSession {
  [CmdletBinding(DefaultParameterSetName = 'ComputerName')]
  param(
    [Parameter(ParameterSetName = 'VMId', Mandatory = $true, Position = 0)][Alias('VMGuid')][guid[]]$VMId,
    [Parameter(ParameterSetName = 'VMName', Mandatory = $true, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'ComputerName', Position = 0)][Alias('Cn')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'VMId', Mandatory = $true)][Parameter(ParameterSetName = 'VMName', Mandatory = $true)][Parameter(ParameterSetName = 'ComputerName')][pscredential]$Credential,
    [string[]]$Name,
    [Parameter(ParameterSetName = 'VMId')][Parameter(ParameterSetName = 'VMName')][string]$ConfigurationName
  )
  if ($PSCmdlet.ParameterSetName -eq 'ComputerName') { return (Microsoft.PowerShell.Core\New-PSSession @PSBoundParameters) }
  foreach ($target in (Get-StandInVmById $PSCmdlet $PSBoundParameters)) {
    $arguments = @{ vmId = "$($target.Id)" } + (Get-StandInCredential $Credential)
    $answer = Invoke-StandInModel -Command 'session' -Arguments $arguments
    if ($answer -is [System.Management.Automation.ErrorRecord]) { $PSCmdlet.ThrowTerminatingError($answer) }
    $script:NextSession += 1
    $s = New-Object Driverlab.StandIn.VMSession
    $s.Id = $script:NextSession
    $s.Name = "Runspace$($script:NextSession)"
    $s.VMId = $target.Id
    $s.VMName = $target.Name
    $s.State = 'Opened'
    $s.Availability = 'Available'
    $s.Credential = $Credential
    $s
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/remove-pssession
function Remove-PSSession {
  [CmdletBinding(DefaultParameterSetName = 'Id')]
  param(
    [Parameter(ParameterSetName = 'Session', Mandatory = $true, Position = 0, ValueFromPipeline = $true)][object[]]$Session,
    [Parameter(ParameterSetName = 'Id', Mandatory = $true, Position = 0)][int[]]$Id
  )
  process {
    if ($PSCmdlet.ParameterSetName -eq 'Session') {
      $real = @($Session | Where-Object { $_ -isnot [Driverlab.StandIn.VMSession] })
      foreach ($s in @($Session | Where-Object { $_ -is [Driverlab.StandIn.VMSession] })) { $s.State = 'Closed' }
      if ($real.Count -gt 0) { Microsoft.PowerShell.Core\Remove-PSSession -Session $real }
      return
    }
    Microsoft.PowerShell.Core\Remove-PSSession @PSBoundParameters
  }
}

# Source: https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.management/copy-item
# (-FromSession of a PowerShell Direct session is answered by the model; everything else is the real cmdlet)
function Copy-Item {
  [CmdletBinding(DefaultParameterSetName = 'Path', SupportsShouldProcess = $true)]
  param(
    [Parameter(ParameterSetName = 'Path', Mandatory = $true, Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)][string[]]$Path,
    [Parameter(ParameterSetName = 'LiteralPath', Mandatory = $true, ValueFromPipelineByPropertyName = $true)][Alias('PSPath', 'LP')][string[]]$LiteralPath,
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = $true)][string]$Destination,
    [switch]$Container,
    [switch]$Force,
    [string]$Filter,
    [string[]]$Include,
    [string[]]$Exclude,
    [switch]$Recurse,
    [switch]$PassThru,
    [object]$FromSession,
    [object]$ToSession
  )
  process {
    if ($null -ne $FromSession -and $FromSession -is [Driverlab.StandIn.VMSession]) {
      $source = $(if ($PSCmdlet.ParameterSetName -eq 'LiteralPath') { $LiteralPath[0] } else { $Path[0] })
      $arguments = @{ vmId = "$($FromSession.VMId)"; guestPath = $source; hostPath = $Destination } + (Get-StandInCredential $FromSession.Credential)
      $answer = Invoke-StandInModel -Command 'copyout' -Arguments $arguments
      if ($answer -is [System.Management.Automation.ErrorRecord]) { $PSCmdlet.ThrowTerminatingError($answer) }
      return
    }
    if ($null -ne $ToSession -and $ToSession -is [Driverlab.StandIn.VMSession]) {
      $PSCmdlet.ThrowTerminatingError((New-StandInError -Message 'The stand-in does not model Copy-Item -ToSession; driverlab copies into a guest with Copy-VMFile.' -ErrorId 'StandInNotModelled' -Type '' -Category 'NotImplemented' -Target $Destination))
    }
    Microsoft.PowerShell.Management\Copy-Item @PSBoundParameters
  }
}

New-Alias -Name Get-VMCheckpoint -Value Get-VMSnapshot
New-Alias -Name Restore-VMCheckpoint -Value Restore-VMSnapshot
New-Alias -Name Remove-VMCheckpoint -Value Remove-VMSnapshot
