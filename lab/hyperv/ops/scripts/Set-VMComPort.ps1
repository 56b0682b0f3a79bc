# uses: Get-DriverlabVm
# Points a COM port at a local named pipe for kd's com:pipe transport. The cmdlet does not create
# the pipe (Hyper-V does when the VM starts), and a Generation 2 VM only gets the UART on a cold
# start, with Secure Boot off.
$vm = Get-DriverlabVm $p.vmName
$path = '\\.\pipe\' + $p.pipeName
Hyper-V\Set-VMComPort -VM $vm -Number $p.number -Path $path
$port = Hyper-V\Get-VMComPort -VM $vm -Number $p.number
[ordered]@{
  number = [int]$p.number
  path = "$($port.Path)"
}
