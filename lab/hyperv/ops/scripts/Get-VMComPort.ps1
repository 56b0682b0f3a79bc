# uses: Get-DriverlabVm
# Both COM ports of a VM and the pipe each points at (an empty path when it points nowhere).
$vm = Get-DriverlabVm $p.vmName
[ordered]@{
  ports = @(Hyper-V\Get-VMComPort -VM $vm | ForEach-Object {
    [ordered]@{
      number = $(if ("$($_.Name)" -match '(\d+)\s*$') { [int]$Matches[1] } else { 0 })
      path = "$($_.Path)"
    }
  })
}
