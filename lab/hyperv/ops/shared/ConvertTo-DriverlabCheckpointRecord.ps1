# uses: ConvertTo-DriverlabIsoTime
# A checkpoint as the catalog's CheckpointRecord.
function ConvertTo-DriverlabCheckpointRecord {
  param($Checkpoint)
  [ordered]@{
    name = "$($Checkpoint.Name)"
    id = "$($Checkpoint.Id)"
    vmName = "$($Checkpoint.VMName)"
    created = ConvertTo-DriverlabIsoTime $Checkpoint.CreationTime
    parentName = $(if ($Checkpoint.ParentSnapshotName) { "$($Checkpoint.ParentSnapshotName)" } else { $null })
    checkpointType = "$($Checkpoint.SnapshotType)"
  }
}
