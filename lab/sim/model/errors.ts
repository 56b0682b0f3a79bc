/**
 * Errors the simulated host reports the way a real operation script does: the exception message,
 * the FullyQualifiedErrorId, the exception type and the category, as PowerShell would fill them.
 */
export class SimulatedPowerShellError extends Error {
  constructor(
    message: string,
    readonly fqid: string,
    readonly type: string,
    readonly category: string,
  ) {
    super(message);
  }

  toJSON(): { error: string; fqid: string; type: string; category: string } {
    return { error: this.message, fqid: this.fqid, type: this.type, category: this.category };
  }
}

/** "Hyper-V was unable to find a virtual machine with name "X"." (domain brief §1.11). */
export function vmNotFound(name: string, cmdlet: string): SimulatedPowerShellError {
  return new SimulatedPowerShellError(
    `Hyper-V was unable to find a virtual machine with name "${name}".`,
    `InvalidParameter,Microsoft.HyperV.PowerShell.Commands.${cmdlet}`,
    'Microsoft.HyperV.PowerShell.VirtualizationException',
    'InvalidArgument',
  );
}

const VIRTUALIZATION = 'Microsoft.HyperV.PowerShell.VirtualizationException';

/** Hyper-V cmdlet names as they appear in FullyQualifiedErrorIds. */
export type HyperVCmdlet =
  | 'GetVM'
  | 'StartVM'
  | 'StopVM'
  | 'RestartVM'
  | 'CheckpointVM'
  | 'GetVMSnapshot'
  | 'RestoreVMSnapshot'
  | 'RemoveVMSnapshot'
  | 'DebugVM'
  | 'CopyVMFile'
  | 'SetVMComPort'
  | 'GetVMNetworkAdapter'
  | 'GetVMIntegrationService';

/** "The operation cannot be performed while the virtual machine is in its current state." (§1.11). */
export function invalidState(cmdlet: HyperVCmdlet): SimulatedPowerShellError {
  return new SimulatedPowerShellError(
    'The operation cannot be performed while the virtual machine is in its current state.',
    `InvalidState,Microsoft.HyperV.PowerShell.Commands.${cmdlet}`,
    VIRTUALIZATION,
    'InvalidOperation',
  );
}

/** "Unable to find a snapshot matching the given criteria." (§1.4; category ObjectNotFound). */
export function snapshotNotFound(cmdlet: HyperVCmdlet): SimulatedPowerShellError {
  return new SimulatedPowerShellError(
    'Unable to find a snapshot matching the given criteria.',
    `ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.${cmdlet}`,
    VIRTUALIZATION,
    'ObjectNotFound',
  );
}

/** Debug-VM on a VM that is not running (Microsoft's LIS tests match this text). */
export function nmiRefused(): SimulatedPowerShellError {
  return new SimulatedPowerShellError(
    'Cannot inject a non-maskable interrupt into the virtual machine.',
    'InvalidState,Microsoft.HyperV.PowerShell.Commands.DebugVM',
    VIRTUALIZATION,
    'InvalidOperation',
  );
}

/** PowerShell Direct with a credential the guest refuses (§1.6). */
export function credentialInvalid(): SimulatedPowerShellError {
  return new SimulatedPowerShellError(
    'The credential is invalid.',
    'InvalidCredentials,Microsoft.PowerShell.Commands.InvokeCommandCommand',
    'System.Management.Automation.Remoting.PSDirectException',
    'InvalidArgument',
  );
}

/** PowerShell Direct to a VM that is off or whose OS is not up (§1.6). */
export function remoteSessionEnded(): SimulatedPowerShellError {
  return new SimulatedPowerShellError(
    'An error has occurred which Windows PowerShell cannot handle. A remote session might have ended.',
    'PSSessionStateBroken',
    'System.Management.Automation.Remoting.PSRemotingTransportException',
    'OpenError',
  );
}

/** Copy-Item / Remove-Item on a path that is not there. */
export function pathNotFound(
  path: string,
  cmdlet: 'CopyItemCommand' | 'RemoveItemCommand' | 'CopyVMFile',
): SimulatedPowerShellError {
  return new SimulatedPowerShellError(
    `Cannot find path '${path}' because it does not exist.`,
    cmdlet === 'CopyVMFile'
      ? 'PathNotFound,Microsoft.HyperV.PowerShell.Commands.CopyVMFile'
      : `PathNotFound,Microsoft.PowerShell.Commands.${cmdlet}`,
    'System.Management.Automation.ItemNotFoundException',
    'ObjectNotFound',
  );
}

/**
 * The Invoke-GuestCommand script's own error for a program Get-Command cannot find, as `throw
 * "…"` raises it: a RuntimeException whose FullyQualifiedErrorId is the message. (UNCERTAIN: a
 * throw inside Invoke-Command -VMName may reach the caller wrapped in a RemoteException on some
 * builds; the adapter classifies by the message, which is the same either way.)
 */
export function programNotFound(message: string): SimulatedPowerShellError {
  return new SimulatedPowerShellError(
    message,
    message,
    'System.Management.Automation.RuntimeException',
    'OperationStopped',
  );
}
