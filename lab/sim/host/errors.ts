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
