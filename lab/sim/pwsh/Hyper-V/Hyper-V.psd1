# The stand-in Hyper-V module: test and embedded-lab support, never loaded on a real host.
# It has the name, the commands and the parameter sets of Microsoft's Hyper-V module (2.0.0) and
# answers from the embedded lab's model (lab/sim/pwsh/bridge.ts). See lab/sim/pwsh/README.md.
@{
  RootModule = 'Hyper-V.psm1'
  ModuleVersion = '2.0.0'
  GUID = 'a5e5d4c1-5b0e-4f5b-9d0c-3f8e6f7a1d20'
  Author = 'driverlab'
  Description = 'Stand-in for the Hyper-V module: answers from the driverlab embedded lab model.'
  PowerShellVersion = '7.2'
  FunctionsToExport = @(
    'Get-VM', 'Start-VM', 'Stop-VM', 'Restart-VM', 'Resume-VM', 'Checkpoint-VM', 'Get-VMSnapshot',
    'Restore-VMSnapshot', 'Remove-VMSnapshot', 'Get-VMIntegrationService', 'Get-VMNetworkAdapter',
    'Get-VMComPort', 'Set-VMComPort', 'Debug-VM', 'Copy-VMFile',
    'Invoke-Command', 'New-PSSession', 'Remove-PSSession', 'Copy-Item', 'Get-Date', 'Start-Sleep'
  )
  AliasesToExport = @('Get-VMCheckpoint', 'Restore-VMCheckpoint', 'Remove-VMCheckpoint')
  CmdletsToExport = @()
  VariablesToExport = @()
}
