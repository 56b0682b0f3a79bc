/**
 * The routines a driver's fault can call that issue I/O, and the IRPs each one issues: the major
 * function, the target device, the frames between the IRP's allocation and the driver's own code,
 * and the APC-disable counts the routine's own path adds. `!verifier 100` shows, per IRP, the
 * allocation stack and the issuing thread's counts at that moment; these rows are what builds it.
 *
 * FltGetVolumeGuidName follows the seed (Ntdebugging, "APC_INDEX_MISMATCH ... IRP logging"): the
 * filter manager sends IOCTL_MOUNTMGR_QUERY_POINTS to the mount manager, whose dispatch routine, in a
 * critical region (one more KernelApcDisable), queries each volume with IRPs of its own.
 * ZwReadFile is the system service path: NtReadFile allocates one IRP_MJ_READ for the file's volume.
 */
import type { DriverFault } from '../../config/embedded.js';
import { nt, site } from './machine.js';
import type { Site } from './state.js';

/** IRP major function codes (wdm.h). */
export const IRP_MJ = { READ: 0x03, DEVICE_CONTROL: 0x0e } as const;

/** One IRP a routine issues. */
export interface IssuedIrp {
  /** IRP_MJ_* of the IRP. */
  major: number;
  /** The device object it is sent to. */
  device: string;
  /** The IRP's size as `!thread` prints it (it follows the target device's stack size). */
  size: number;
  /** The frames from the IRP allocator's caller up to the routine the driver called, most recent first. */
  callers: Site[];
  /** How many frames of the driver's own call chain the log shows under them. */
  driverFrames: number;
  /** Critical regions the path holds when it issues the IRP, on top of the caller's. */
  criticalRegions: number;
}

export interface IoCall {
  /** The module the routine is exported from, and its name. */
  module: string;
  fn: string;
  /** The IRPs it issues when the driver's fault asks for `count` of them, in order. */
  irps(count: number): IssuedIrp[];
}

/** How the I/O manager allocates an IRP of a major function, as the verifier's log stack shows it. */
export function allocationFrames(major: number, ioVerification: boolean): Site[] {
  if (major === IRP_MJ.DEVICE_CONTROL)
    return ioVerification
      ? [
          nt('IovAllocateIrp', 0x28),
          nt('IoBuildDeviceIoControlRequest', 0x32),
          nt('IovBuildDeviceIoControlRequest', 0x4e),
        ]
      : [nt('IoBuildDeviceIoControlRequest', 0x32)];
  return ioVerification ? [nt('IovAllocateIrp', 0x28)] : [];
}

const VOLUME = '\\Device\\HarddiskVolume2';

/** Every routine the fault schema accepts in `call` (lab/config/embedded.ts), with its IRPs. */
export const IO_CALLS: Record<Extract<DriverFault, { kind: 'io-with-apcs-disabled' }>['call'], IoCall> = {
  FltGetVolumeGuidName: {
    module: 'fltmgr',
    fn: 'FltGetVolumeGuidName',
    irps: (count) =>
      Array.from({ length: count }, (_, i): IssuedIrp => {
        if (i === 0)
          return {
            major: IRP_MJ.DEVICE_CONTROL,
            device: '\\Device\\MountPointManager',
            size: 0x118,
            callers: [site('fltmgr', 'FltGetVolumeGuidName', 0x18c)],
            driverFrames: 9,
            criticalRegions: 0,
          };
        return {
          major: IRP_MJ.DEVICE_CONTROL,
          device: VOLUME,
          size: 0x3a0,
          callers: [
            site('mountmgr', 'MountMgrSendDeviceControl', 0x73),
            site('mountmgr', 'QueryDeviceInformation', i % 2 === 1 ? 0x207 : 0x299),
            site('mountmgr', 'QueryPointsFromMemory', 0x57),
            site('mountmgr', 'MountMgrQueryPoints', 0x36a),
            site('mountmgr', 'MountMgrDeviceControl', 0xe9),
            nt('IovCallDriver', 0x566),
            site('fltmgr', 'FltGetVolumeGuidName', 0x1ac),
          ],
          driverFrames: 3,
          criticalRegions: 1,
        };
      }),
  },
  ZwReadFile: {
    module: 'nt',
    fn: 'ZwReadFile',
    irps: (count) =>
      Array.from(
        { length: count },
        (): IssuedIrp => ({
          major: IRP_MJ.READ,
          device: VOLUME,
          size: 0x3a0,
          callers: [nt('NtReadFile', 0x2b2), nt('KiSystemServiceCopyEnd', 0x13), nt('KiServiceLinkage')],
          driverFrames: 4,
          criticalRegions: 0,
        }),
      ),
  },
};
