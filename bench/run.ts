/**
 * `npm run bench [name …]`: runs every `bench/*.bench.ts` (or those whose name contains one of the
 * arguments) in file-name order. A bench module exports `run({ print })`, which measures something
 * and prints its figures through `print`; add a bench by adding such a file (a module without
 * `run` is taken as a script that measured while it was imported). Benches print figures; they
 * never fail a build on timing.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchContext {
  /** Prints one line of results. */
  print: (line: string) => void;
}

interface BenchModule {
  /** Absent in a bench written as a script: it measured and printed while it was imported. */
  run?: (context: BenchContext) => Promise<void>;
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
  await mod.run?.({ print: (line) => console.log(line) });
}
