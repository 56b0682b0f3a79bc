/**
 * `npm run test:contract`: the lab contract suite (every `*.contract.ts` here) with node's test
 * runner. Against a real lab (DRIVERLAB_LAB names a hyperv lab file) each file runs in a process
 * of its own, one after the other, since they all work on the lab's first VM. Against an embedded
 * lab each file's lab is a simulated host of its own, so all files share one test process
 * (together.ts): the suite then costs one process start instead of one per file.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLabFile } from '../config/lab-file.js';
import { contractLabPath } from './lab-under-test.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
let lab: Awaited<ReturnType<typeof loadLabFile>>;
try {
  lab = await loadLabFile(contractLabPath());
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const files =
  lab.data.kind === 'embedded'
    ? [join(dir, 'together.ts')]
    : readdirSync(dir)
        .filter((f) => f.endsWith('.contract.ts'))
        .sort()
        .map((f) => join(dir, f));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(2), ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
