/** Writing files that a reader, or another process, may look at while they are written. */
import {
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file whole or not at all: a temporary file (named by this process) renamed over it.
 * `mode` is the file's permission from its first byte on (0o600 for a file that holds a secret).
 */
export function writeAtomically(path: string, contents: string | Uint8Array, mode?: number): void {
  const temp = join(dirname(path), `${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temp, contents, mode === undefined ? undefined : { mode });
  renameSync(temp, path);
}

/**
 * How many bytes driverlab reads of a file a user hands it, by kind: far more than any real one
 * holds, so that a wrong file (a dump, an archive, random bytes) is refused by its size, unread,
 * instead of being held whole in memory by a parser.
 */
export const INPUT_LIMITS = {
  /** A lab file, a gate policy, the waivers: hand-written YAML. */
  config: 4 * 1024 * 1024,
  /** A secret file: one password or key. */
  secret: 64 * 1024,
  /** One Allure result or container file of a run. */
  result: 16 * 1024 * 1024,
} as const;

/**
 * Why a file or folder could not be read, to follow "because", from the error's own code: a
 * missing folder is not said to be unreadable, nor a forbidden one missing.
 */
export function whyUnreadable(error: unknown, kind: 'file' | 'folder'): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `there is no such ${kind}`;
    case 'ENOTDIR':
      return kind === 'folder' ? 'it is not a folder' : 'a part of its path is not a folder';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return `this user may not read it (${code})`;
    default:
      return `it cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
  }
}

/** The size of a file, said the way the refusals say it. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KB`;
  return `${n} bytes`;
}

/** A file larger than driverlab reads for its kind; the caller says what it was for. */
export class InputTooLargeError extends Error {
  constructor(
    readonly path: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`'${path}' holds ${formatBytes(size)}, more than the ${formatBytes(limit)} driverlab reads of it`);
  }
}

/**
 * Reads a text file of at most `limit` bytes; a larger one throws InputTooLargeError before a byte
 * is read (the size is taken from the open file, so a file growing meanwhile is cut at the limit).
 * Other errors (ENOENT, EACCES) are thrown as they come.
 */
export async function readTextWithin(path: string, limit: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > limit) throw new InputTooLargeError(path, size, limit);
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(buffer, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** readTextWithin, synchronously (a secret resolved while a lab is composed). */
export function readTextWithinSync(path: string, limit: number): string {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > limit) throw new InputTooLargeError(path, size, limit);
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const bytesRead = readSync(fd, buffer, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Where replaceOften writes the next version of a file before it takes the file's name. */
export function nextVersionPath(path: string): string {
  return `${path}.next`;
}

/**
 * Replaces a file that one process rewrites often (the embedded lab host's state, after every
 * operation), whole or not at all, and cheaply: renaming a file over another makes ext4 write the
 * new file's data to disk at once (its auto_da_alloc safeguard, ~1-2 ms on a busy disk), so the new
 * version is written beside the file (`<path>.next`), the old file removed and the new one moved
 * into the free name. Whatever moment the writer dies at, one whole version is there for
 * readReplaced: the file, or — between the removal and the move — its whole next version. `mode`
 * is the file's permission from its first byte on, as for writeAtomically.
 */
export function replaceOften(path: string, contents: string, mode?: number): void {
  const next = nextVersionPath(path);
  writeFileSync(next, contents, mode === undefined ? undefined : { mode });
  rmSync(path, { force: true });
  renameSync(next, path);
}

/** The text of a file replaceOften keeps: the file, else its next version (its writer died between the two). */
export function readReplaced(path: string): string {
  return throughReplace(path, (at) => readFileSync(at, 'utf8'));
}

/**
 * `read` applied to a file replaceOften keeps, whatever its writer is doing: the file, else its
 * next version (the writer is between the removal and the move, or died there). When neither is
 * there at the moment it is looked at, a live writer may have moved the next version into place in
 * between, so both are looked at again; only when they are missing twice in a row is the file
 * missing (ENOENT).
 */
export function throughReplace<T>(path: string, read: (at: string) => T): T {
  let missing: unknown;
  for (let round = 0; round < 2; round += 1) {
    for (const at of [path, nextVersionPath(path)]) {
      try {
        return read(at);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        missing = error;
      }
    }
  }
  throw missing;
}
