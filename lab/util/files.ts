/** Writing files that a reader, or another process, may look at while they are written. */
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes a file whole or not at all: a temporary file (named by this process) renamed over it. */
export function writeAtomically(path: string, contents: string | Uint8Array): void {
  const temp = join(dirname(path), `${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temp, contents);
  renameSync(temp, path);
}
