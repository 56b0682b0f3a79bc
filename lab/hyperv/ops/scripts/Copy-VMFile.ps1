# uses: Get-DriverlabVm
# Host to guest through the Guest Service Interface integration service (which must be enabled);
# -FileSource Host is the only direction Copy-VMFile has. The source path is on the Hyper-V host.
$vm = Get-DriverlabVm $p.vmName
$source = Get-Item -LiteralPath $p.sourcePath
Hyper-V\Copy-VMFile -VM $vm -SourcePath $source.FullName -DestinationPath $p.destinationPath -FileSource Host -CreateFullPath -Force
[ordered]@{
  copied = "$($p.destinationPath)"
  bytes = [int64]$source.Length
}
