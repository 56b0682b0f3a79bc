# What doctor needs to know about the host: who it is, which PowerShell runs the operations, and
# whether the Hyper-V module is there.
[ordered]@{
  computerName = "$env:COMPUTERNAME"
  psEdition = $(if ($PSVersionTable.PSEdition) { "$($PSVersionTable.PSEdition)" } else { 'Desktop' })
  psVersion = "$($PSVersionTable.PSVersion)"
  hyperVModule = [bool](Get-Module -ListAvailable -Name Hyper-V)
  osVersion = "$([Environment]::OSVersion.Version)"
}
