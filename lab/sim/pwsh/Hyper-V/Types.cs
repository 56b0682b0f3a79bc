// The stand-in Hyper-V module's types: the real names of the Hyper-V module's output types and
// enums (Microsoft.HyperV.PowerShell, Hyper-V module 2.0.0), so that a script's own
// ConvertTo-Json, -is checks and "$($vm.State)" see what they would see on a Hyper-V host.
// Source: https://learn.microsoft.com/en-us/powershell/module/hyper-v/get-vm (OUTPUTS
// Microsoft.HyperV.PowerShell.VirtualMachine) and the VMState values WMI's Msvm_ComputerSystem
// EnabledState documents (lab/hyperv/normalise.ts lists them with their sources).
// Test and embedded-lab support only: never loaded on a real host.
using System;
using System.Collections.Generic;

namespace Microsoft.HyperV.PowerShell
{
    public enum VMState
    {
        Other = 1, Running = 2, Off = 3, Stopping = 4, Saved = 6, Paused = 9, Starting = 10, Reset = 11,
        Saving = 32773, Pausing = 32776, Resuming = 32777, FastSaved = 32779, FastSaving = 32780,
        ForceShutdown = 32781, ForceReboot = 32782, RunningCritical = 32783, OffCritical = 32784,
        StoppingCritical = 32785, SavedCritical = 32786, PausedCritical = 32787, StartingCritical = 32788,
        ResetCritical = 32789, SavingCritical = 32790, PausingCritical = 32791, ResumingCritical = 32792,
        FastSavedCritical = 32793, FastSavingCritical = 32794
    }

    public enum VMHeartbeatStatus
    {
        Unknown = 0, Disabled = 1, NoContact = 2, Error = 3, LostCommunication = 4,
        OkApplicationsUnknown = 5, OkApplicationsHealthy = 6, OkApplicationsCritical = 7, Paused = 8
    }

    public enum VMOperationalStatus
    {
        Ok = 2, Degraded = 3, PredictiveFailure = 5, InService = 11, Dormant = 15, SupportingEntityInError = 16,
        ApplyingSnapshot = 23, CreatingSnapshot = 32768, DeletingSnapshot = 32770, MergingDisks = 32774
    }

    public enum SnapshotType { Standard = 0, Recovery = 1, Planned = 2, Missing = 3, Replica = 4, AppConsistentReplica = 5, SyncedReplica = 6 }

    public enum CopyFileSourceType { Host = 0 }

    public enum OnOffState { On = 0, Off = 1 }

    /// <summary>What Hyper-V's cmdlets throw; the stand-in raises it with Hyper-V's own texts.</summary>
    public class VirtualizationException : Exception
    {
        public VirtualizationException(string message) : base(message) { }
    }

    public class VirtualMachine
    {
        public string Name { get; set; }
        public Guid Id { get; set; }
        public Guid VMId { get { return Id; } }
        public string VMName { get { return Name; } }
        public VMState State { get; set; }
        public VMHeartbeatStatus? Heartbeat { get; set; }
        public TimeSpan Uptime { get; set; }
        public string Status { get; set; }
        public VMOperationalStatus[] OperationalStatus { get; set; }
        public int Generation { get; set; }
        public string ComputerName { get; set; }
        public override string ToString() { return "VirtualMachine (Name = '" + Name + "') [Id = '" + Id + "']"; }
    }

    public class VMSnapshot
    {
        public string Name { get; set; }
        public Guid Id { get; set; }
        public string VMName { get; set; }
        public Guid VMId { get; set; }
        public DateTime CreationTime { get; set; }
        public string ParentSnapshotName { get; set; }
        public Guid? ParentSnapshotId { get; set; }
        public SnapshotType SnapshotType { get; set; }
        public override string ToString() { return "VMSnapshot (Name = '" + Name + "') [VMName = '" + VMName + "']"; }
    }

    public class VMIntegrationComponent
    {
        public string Name { get; set; }
        public string Id { get; set; }
        public string VMName { get; set; }
        public Guid VMId { get; set; }
        public bool Enabled { get; set; }
        public string PrimaryStatusDescription { get; set; }
    }

    public class VMNetworkAdapter
    {
        public string Name { get; set; }
        public string VMName { get; set; }
        public Guid VMId { get; set; }
        public string SwitchName { get; set; }
        public string MacAddress { get; set; }
        public string[] IPAddresses { get; set; }
    }

    public class VMComPort
    {
        public string Name { get; set; }
        public string VMName { get; set; }
        public Guid VMId { get; set; }
        public string Path { get; set; }
        public OnOffState DebuggerMode { get; set; }
    }
}

namespace Driverlab.StandIn
{
    /// <summary>A PowerShell Direct session of the stand-in (New-PSSession -VMId).</summary>
    public class VMSession
    {
        public int Id { get; set; }
        public string Name { get; set; }
        public Guid VMId { get; set; }
        public string VMName { get; set; }
        public string State { get; set; }
        public string Availability { get; set; }
        public string ComputerType { get { return "VirtualMachine"; } }
        public object Credential { get; set; }
    }
}
