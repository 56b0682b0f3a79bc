/**
 * A host entry for tests (DRIVERLAB_SIM_HOST_ENTRY): the embedded lab host with a kernel double
 * that bugchecks on an NMI, so a test can drive a crash through the real adapter.
 */
import { readFileSync } from 'node:fs';
import { parseLabFile } from '../../../config/lab-file.js';
import { runHost } from '../run.js';
import { kernelDoubles, NMI_BUGCHECK } from './kernel-double.js';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const labPath = arg('lab') as string;
const lab = parseLabFile(readFileSync(labPath, 'utf8'), labPath);
const kernels = kernelDoubles((action) => (action.kind === 'nmi' ? NMI_BUGCHECK : { kind: 'none' }));
void runHost({ lab, statePath: arg('state') ?? null, kernels: kernels.factory });
