/**
 * The lab the contract suite runs against: the embedded lab by default, or the real Hyper-V lab a
 * lab file names in DRIVERLAB_LAB. The behaviours are written against the ports (Lab, Vm, Guest)
 * only, so the same suite judges the embedded host and a real one.
 *
 * On a real lab the suite changes the first VM of the file: it turns it off and on, takes and
 * removes a checkpoint named driverlab-contract-*, writes under C:\driverlab-contract and under
 * HKLM\SOFTWARE\driverlab-contract in its guest. Point it at a test VM.
 */
import { isAbsolute, resolve } from 'node:path';
import { composeLab } from '../compose.js';
import { type LabFile, loadLabFile } from '../config/lab-file.js';
import { paths } from '../paths.js';
import type { Lab, Vm } from '../ports.js';

/** The lab file the suite runs against. */
export function contractLabPath(): string {
  const named = process.env.DRIVERLAB_LAB;
  if (!named) return paths.embeddedLab;
  return isAbsolute(named) ? named : resolve(process.cwd(), named);
}

export interface LabUnderTest {
  lab: Lab;
  /** The VM the suite works on: the first of the lab file. */
  vm: Vm;
  file: LabFile;
  close(): Promise<void>;
}

export async function openLabUnderTest(): Promise<LabUnderTest> {
  const file = await loadLabFile(contractLabPath());
  const lab = composeLab(file);
  const vm = lab.vms()[0] as Vm;
  return { lab, vm, file, close: () => lab.close() };
}

/**
 * The same lab with one more VM in its file, which the host does not have: how a lab file that
 * names a VM the host lacks behaves. Only the in-memory lab file changes; the host is the same.
 */
export function labWithAbsentVm(file: LabFile, name: string): Lab {
  const template = file.data.vms[0];
  if (!template) throw new Error('the lab file has no VM');
  const { debug: _debug, ...rest } = template;
  return composeLab({ ...file, data: { ...file.data, vms: [...file.data.vms, { ...rest, name }] } });
}

/** Brings the VM to Running (starting it when it is not) and waits until its guest is ready. */
export async function runningAndReady(vm: Vm): Promise<void> {
  const status = await vm.status();
  if (status.state !== 'Running') await vm.start();
  await vm.waitUntilReady();
}

/** Brings the VM to Running without waiting for its guest (power behaviours need no guest). */
export async function running(vm: Vm): Promise<void> {
  if ((await vm.status()).state !== 'Running') await vm.start();
}
