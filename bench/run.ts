/**
 * `npm run bench [name …]`: runs every `bench/*.bench.ts` (or those whose name contains one of the
 * arguments) in file-name order. A bench module exports `run({ print })`, which measures something
 * and prints its figures through `print`; add a bench by adding such a file. Benches print
 * figures; they never fail a build on timing.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchContext {
  /** Prints one line of results. */
  print: (line: string) => void;
}

interface BenchModule {
  run: (context: BenchContext) => Promise<void>;
}

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
for (const file of files) {
  console.log(`# ${file}`);
  const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as BenchModule;
  if (typeof mod.run !== 'function') {
    throw new Error(`bench/${file} exports no run({ print }) function; every bench module must.`);
  }
  await mod.run({ print: (line) => console.log(line) });
}
