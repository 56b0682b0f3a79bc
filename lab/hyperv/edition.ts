/**
 * Which PowerShell may run the operations on a host. Before Windows Server 2019 / Windows 10 1809
 * (build 17763) the Hyper-V module is Windows PowerShell's only: PowerShell 7 loads it through the
 * compatibility layer (a hidden 5.1 session), and the objects it gets back are deserialized, so no
 * `-VM` parameter binds them. There the operations must run in Windows PowerShell 5.1.
 */
export const FIRST_NATIVE_BUILD = 17763;

/** Why this host cannot run the operations in this PowerShell (the rest of a sentence), or null. */
export function editionRefusal(
  info: { psEdition: string; psVersion: string; osVersion: string },
  shell: string,
): string | null {
  const build = Number(info.osVersion.split('.')[2]);
  if (info.psEdition !== 'Core' || !Number.isInteger(build) || build >= FIRST_NATIVE_BUILD) return null;
  return `runs Windows build ${build}, older than ${FIRST_NATIVE_BUILD} (Windows Server 2019), where '${shell}' (PowerShell ${info.psVersion}) reaches Hyper-V only through the compatibility layer, whose objects no -VM parameter binds; set the host's shell in the lab file to powershell (Windows PowerShell 5.1).`;
}
