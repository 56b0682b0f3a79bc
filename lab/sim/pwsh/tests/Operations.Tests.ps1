# Pester 5: the error paths of every operation script, run by a real pwsh under
# Set-StrictMode -Version Latest, with the stand-in Hyper-V module's model mocked to fail the way a
# Hyper-V host fails. The scripts are the adapter's own, built by lab/sim/pwsh/pester.engine.test.ts
# into $env:DRIVERLAB_OPS_DIR (one <Operation>.ps1 each, plus named variants).
BeforeAll {
  Set-StrictMode -Version Latest
  Import-Module (Join-Path $PSScriptRoot '..' 'Hyper-V' 'Hyper-V.psd1') -Force

  function Invoke-Operation {
    param([string]$Script)
    $writer = New-Object System.IO.StringWriter
    $console = [Console]::Out
    [Console]::SetOut($writer)
    try { & (Join-Path $env:DRIVERLAB_OPS_DIR "$Script.ps1") } finally { [Console]::SetOut($console) }
    $text = $writer.ToString()
    if ($text -match '(?s)===Begin-Error===\r?\n(.*?)\r?\n===End-Error===') {
      return [pscustomobject]@{ Error = ($Matches[1] | ConvertFrom-Json); Output = $null }
    }
    if ($text -match '(?s)===Begin-Output===\r?\n(.*?)\r?\n===End-Output===') {
      return [pscustomobject]@{ Error = $null; Output = ($Matches[1] | ConvertFrom-Json) }
    }
    throw "The $Script script wrote no reply: $text"
  }

  function New-VmAnswer {
    param([string]$State = 'Running', [string]$Phase = 'up')
    [pscustomobject]@{
      name = 'win11-a'; id = 'a591a4df-5040-4f28-9f37-cee6225a44d1'; state = $State; heartbeat = $(if ($State -eq 'Running') { 'OkApplicationsHealthy' } else { $null })
      uptimeSeconds = 10; status = 'Operating normally'; operationalStatus = @('Ok'); generation = 2; guestPhase = $Phase
    }
  }

  function New-ModelError {
    param([string]$Message, [string]$Fqid, [string]$Type, [string]$Category)
    & (Get-Module Hyper-V) { param($m, $f, $t, $c) New-StandInError -Message $m -ErrorId $f -Type $t -Category $c -Target 'model' } $Message $Fqid $Type $Category
  }
}

Describe 'a VM that is not there' {
  BeforeEach {
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'vms' } -MockWith { }
  }
  It '<_> says no VM has that name' -ForEach @(
    'Get-VM', 'Start-VM', 'Stop-VM', 'Restart-VM', 'Checkpoint-VM', 'Get-VMCheckpoint', 'Restore-VMCheckpoint',
    'Remove-VMCheckpoint', 'Get-VMHeartbeat', 'Test-VMPowerShellDirect', 'Invoke-GuestCommand', 'Copy-VMFile',
    'Copy-GuestFileToHost', 'Set-VMComPort', 'Debug-VM', 'Get-VMNetworkAdapter', 'Get-VMComPort',
    'Get-VMIntegrationService', 'Get-GuestEvents', 'Get-GuestRegistryValue', 'Set-GuestRegistryValue',
    'New-GuestItems', 'Remove-GuestItem'
  ) {
    $reply = Invoke-Operation $_
    $reply.Error.fqid | Should -BeLike 'DriverlabVmNotFound*'
    $reply.Error.error | Should -Be "No virtual machine on this host is named 'win11-a'."
  }
}

Describe 'a VM in the wrong state' {
  BeforeEach {
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'vms' } -MockWith { New-VmAnswer -State 'Paused' }
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -in @('restart', 'nmi', 'checkpoint', 'stop', 'resume') } -MockWith {
      New-ModelError 'The operation cannot be performed while the virtual machine is in its current state.' 'InvalidState,Microsoft.HyperV.PowerShell.Commands.RestartVM' 'Microsoft.HyperV.PowerShell.VirtualizationException' 'InvalidOperation'
    }
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'checkpoints' } -MockWith { }
  }
  It '<_> reports Hyper-V''s refusal' -ForEach @('Restart-VM', 'Debug-VM', 'Checkpoint-VM', 'Start-VM') {
    $reply = Invoke-Operation $_
    $reply.Error.error | Should -Be 'The operation cannot be performed while the virtual machine is in its current state.'
    $reply.Error.type | Should -Be 'Microsoft.HyperV.PowerShell.VirtualizationException'
  }
}

Describe 'a checkpoint that is not there' {
  BeforeEach {
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'vms' } -MockWith { New-VmAnswer }
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'checkpoints' } -MockWith {
      [pscustomobject]@{ name = 'other'; id = '0e0b3f5e-6d55-4a4e-9c4b-2f1d1f3c2b10'; vmName = 'win11-a'; vmId = 'a591a4df-5040-4f28-9f37-cee6225a44d1'; created = '2026-01-01T00:00:00.000Z'; parentName = $null; parentId = $null; type = 'Standard' }
    }
  }
  It '<_> names the checkpoints the VM has' -ForEach @('Restore-VMCheckpoint', 'Remove-VMCheckpoint') {
    $reply = Invoke-Operation $_
    $reply.Error.fqid | Should -BeLike 'DriverlabCheckpointNotFound*'
    $reply.Error.error | Should -BeLike "*has no checkpoint named*(it has: 'other')."
  }
}

Describe 'PowerShell Direct' {
  BeforeEach {
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'vms' } -MockWith { New-VmAnswer }
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'vm' } -MockWith { New-VmAnswer }
  }
  It '<_> reports a refused credential' -ForEach @('Test-VMPowerShellDirect', 'Invoke-GuestCommand', 'Get-GuestEvents', 'Get-GuestRegistryValue', 'Set-GuestRegistryValue', 'New-GuestItems', 'Remove-GuestItem', 'Copy-GuestFileToHost') {
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -in @('guest', 'session') } -MockWith {
      New-ModelError 'The credential is invalid.' 'InvalidCredentials,Microsoft.PowerShell.Commands.InvokeCommandCommand' 'System.Management.Automation.Remoting.PSDirectException' 'InvalidArgument'
    }
    $reply = Invoke-Operation $_
    $reply.Error.error | Should -Be 'The credential is invalid.'
    $reply.Error.type | Should -Be 'System.Management.Automation.Remoting.PSDirectException'
  }
  It '<_> reports a guest that dropped the session' -ForEach @('Test-VMPowerShellDirect', 'Invoke-GuestCommand', 'Get-GuestEvents', 'Get-GuestRegistryValue', 'New-GuestItems', 'Remove-GuestItem') {
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'guest' } -MockWith {
      New-ModelError 'An error has occurred which Windows PowerShell cannot handle. A remote session might have ended.' 'PSSessionStateBroken' 'System.Management.Automation.Remoting.PSRemotingTransportException' 'OpenError'
    }
    $reply = Invoke-Operation $_
    $reply.Error.error | Should -BeLike '*A remote session might have ended.'
    $reply.Error.type | Should -Be 'System.Management.Automation.Remoting.PSRemotingTransportException'
  }
  It 'the guest program that ran out of time comes back as timed out, with what it printed' {
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'guest' } -MockWith {
      [pscustomobject]@{ stdout = "step 1`n"; stderr = ''; exitCode = -1; durationMs = 60000.0; timedOut = $true }
    }
    $reply = Invoke-Operation 'Invoke-GuestCommand'
    $reply.Error | Should -BeNullOrEmpty
    $reply.Output.timedOut | Should -BeTrue
    $reply.Output.exitCode | Should -Be -1
    $reply.Output.stdout | Should -Be "step 1`n"
  }
}

Describe 'a non-terminating error' {
  It 'stops the operation instead of being passed over' {
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'vms' } -MockWith {
      [pscustomobject]@{ error = "The virtual machine configuration of 'broken' could not be read."; fqid = 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM'; type = 'Microsoft.HyperV.PowerShell.VirtualizationException'; category = 'ObjectNotFound' }
      New-VmAnswer
    }
    $reply = Invoke-Operation 'Get-VM'
    $reply.Error.error | Should -Be "The virtual machine configuration of 'broken' could not be read."
  }
}

Describe 'a shutdown the guest never answers' {
  It 'is bounded by forceSeconds, then the VM is turned off' {
    $global:DriverlabTestStopped = $false
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'vms' } -MockWith {
      if ($global:DriverlabTestStopped) { New-VmAnswer -State 'Off' -Phase 'off' } else { New-VmAnswer -Phase 'frozen' }
    }
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'stop' -and $Arguments.how -eq 'shutdown' } -MockWith {
      [pscustomobject]@{ hangs = $true }
    }
    Mock -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'stop' -and $Arguments.how -eq 'turnoff' } -MockWith {
      $global:DriverlabTestStopped = $true
      New-VmAnswer -State 'Off' -Phase 'off'
    }
    $reply = Invoke-Operation 'Stop-VM.shutdown'
    $reply.Error | Should -BeNullOrEmpty
    $reply.Output.state | Should -Be 'Off'
    Should -Invoke -ModuleName Hyper-V Invoke-StandInModel -ParameterFilter { $Command -eq 'stop' -and $Arguments.how -eq 'turnoff' } -Times 1 -Exactly
  }
}

Describe 'a remote Hyper-V host' {
  AfterEach { $global:DriverlabRemoteSessions = $null }
  It 'removes a broken session before it opens a new one, with the credential it read from its file' {
    $global:DriverlabRemoteSessions = @{ 'hv-02' = [pscustomobject]@{ State = 'Broken'; Name = 'old' } }
    Mock New-PSSession { [pscustomobject]@{ State = 'Opened'; Name = 'new' } }
    Mock Remove-PSSession { }
    Mock Invoke-Command { "===Begin-Output===`n{`"answered`":true}`n===End-Output===" }
    $reply = Invoke-Operation 'Get-VM.remote'
    $reply.Output.answered | Should -BeTrue
    Should -Invoke Remove-PSSession -Times 1 -Exactly -ParameterFilter { @($Session)[0].Name -eq 'old' }
    Should -Invoke New-PSSession -Times 1 -Exactly -ParameterFilter {
      $ComputerName -eq 'hv-02' -and $Credential.UserName -eq 'LAB\runner' -and $Credential.GetNetworkCredential().Password -eq 'host-secret-1'
    }
    $global:DriverlabRemoteSessions['hv-02'].Name | Should -Be 'new'
  }
}
