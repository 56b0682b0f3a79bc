/**
 * Every contract file of this folder in one process: how the suite runs against an embedded lab
 * (see run.ts), where each file's lab is a simulated host of its own, so one test process serves
 * them all and the suite costs one process start instead of one per file.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.contract.ts'))
  .sort()) {
  await import(pathToFileURL(`${dir}${file}`).href);
}
