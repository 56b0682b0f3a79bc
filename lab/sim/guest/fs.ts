/**
 * The simulated guest's file system: drives of directories and files, plain JSON so a checkpoint
 * or the host's state file can carry it. Windows rules: paths are case-insensitive, `\` or `/`
 * separate components, environment variables such as %SystemRoot% expand.
 *
 * Scenarios create tens of thousands of empty files (the VSS System Writer case), so a directory
 * keeps files made in bulk as ranges (`prefix1` … `prefixN`) instead of one node each.
 */

export interface FsFile {
  kind: 'file';
  /** The name as created (case kept). */
  name: string;
  /** Contents, base64. */
  data: string;
  size: number;
  modified: string;
}

/** Empty files `${prefix}0000001`-style names (`itemName`) from `start` to `start + count - 1`, made by New-GuestItems. */
export interface GeneratedRange {
  prefix: string;
  start: number;
  count: number;
  modified: string;
}

export interface FsDir {
  kind: 'dir';
  name: string;
  children: Record<string, FsNode>;
  generated: GeneratedRange[];
}

export type FsNode = FsFile | FsDir;

/** All drives, by lower-case letter and colon ('c:'). */
export interface FileSystemState {
  drives: Record<string, FsDir>;
}

/** Thrown for a path that cannot be used; `code` is the Win32 error the real call would give. */
export class GuestPathError extends Error {
  constructor(
    message: string,
    readonly code: 'not-found' | 'invalid' | 'not-a-directory' | 'is-a-directory',
  ) {
    super(message);
  }
}

/** The guest's system environment variables, by lower-case name. */
export const GUEST_ENVIRONMENT: Readonly<Record<string, string>> = {
  systemroot: 'C:\\Windows',
  windir: 'C:\\Windows',
  systemdrive: 'C:',
  programdata: 'C:\\ProgramData',
  programfiles: 'C:\\Program Files',
  temp: 'C:\\Windows\\Temp',
  tmp: 'C:\\Windows\\Temp',
};

/** A guest path split into its drive and components, with %VARIABLES% expanded. */
export interface GuestPath {
  drive: string;
  parts: string[];
}

export function parseGuestPath(path: string): GuestPath {
  let text = path
    .trim()
    .replace(/%([A-Za-z_]+)%/g, (all, name: string) => GUEST_ENVIRONMENT[name.toLowerCase()] ?? all);
  text = text.replace(/^\\\\\?\\/, '').replace(/\//g, '\\');
  if (/^\\SystemRoot(\\|$)/i.test(text)) text = `C:\\Windows${text.slice('\\SystemRoot'.length)}`;
  const drive = /^([A-Za-z]):(\\|$)/.exec(text);
  if (!drive) {
    throw new GuestPathError(
      `The path '${path}' is not an absolute guest path such as C:\\Tools.`,
      'invalid',
    );
  }
  const parts = text
    .slice(2)
    .split('\\')
    .filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  for (const part of parts) {
    if (part === '..') resolved.pop();
    else if (/[<>:"|?*]/.test(part)) {
      throw new GuestPathError(
        `The filename, directory name, or volume label syntax is incorrect: '${path}'.`,
        'invalid',
      );
    } else resolved.push(part);
  }
  return { drive: `${(drive[1] as string).toLowerCase()}:`, parts: resolved };
}

/** The canonical display form: C:\Windows\MEMORY.DMP (drive upper-case, names as given). */
export function formatGuestPath(path: GuestPath): string {
  return `${path.drive.toUpperCase()}\\${path.parts.join('\\')}`;
}

export function emptyDir(name: string): FsDir {
  return { kind: 'dir', name, children: {}, generated: [] };
}

/** The name New-GuestItems gives its n-th item: the prefix and n in at least seven digits ('{0}{1:D7}'). */
export function itemName(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(7, '0')}`;
}

function generatedIndex(dir: FsDir, name: string): { range: GeneratedRange; index: number } | undefined {
  const lower = name.toLowerCase();
  for (const range of dir.generated) {
    const prefix = range.prefix.toLowerCase();
    if (!lower.startsWith(prefix)) continue;
    const rest = lower.slice(prefix.length);
    if (!/^\d{7,}$/.test(rest) || (rest.length > 7 && rest.startsWith('0'))) continue;
    const index = Number(rest);
    if (index >= range.start && index < range.start + range.count) return { range, index };
  }
  return undefined;
}

/** What a path names: a node, a bulk-made empty file, or nothing. */
export type Lookup =
  | { kind: 'dir'; dir: FsDir }
  | { kind: 'file'; file: FsFile }
  | { kind: 'generated'; parent: FsDir; name: string; modified: string }
  | { kind: 'missing' };

export class GuestFileSystem {
  constructor(readonly state: FileSystemState) {}

  static create(now: string): GuestFileSystem {
    const fs = new GuestFileSystem({ drives: { 'c:': emptyDir('C:') } });
    for (const dir of [
      'C:\\Windows\\System32\\drivers',
      'C:\\Windows\\Minidump',
      'C:\\Windows\\Temp',
      'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319',
      'C:\\Windows\\Microsoft.NET\\assembly',
      'C:\\Windows\\INF',
      'C:\\Tools',
      'C:\\ProgramData',
    ]) {
      fs.mkdir(dir, now);
    }
    return fs;
  }

  lookup(path: string | GuestPath): Lookup {
    const p = typeof path === 'string' ? parseGuestPath(path) : path;
    let dir = this.state.drives[p.drive];
    if (!dir) return { kind: 'missing' };
    for (let i = 0; i < p.parts.length; i += 1) {
      const name = p.parts[i] as string;
      const child: FsNode | undefined = dir.children[name.toLowerCase()];
      const last = i === p.parts.length - 1;
      if (child?.kind === 'dir') {
        dir = child;
        continue;
      }
      if (child?.kind === 'file') return last ? { kind: 'file', file: child } : { kind: 'missing' };
      const generated = generatedIndex(dir, name);
      if (generated && last)
        return { kind: 'generated', parent: dir, name, modified: generated.range.modified };
      return { kind: 'missing' };
    }
    return { kind: 'dir', dir };
  }

  exists(path: string): boolean {
    return this.lookup(path).kind !== 'missing';
  }

  /** Creates a directory and its parents (like New-Item -ItemType Directory -Force); returns it. */
  mkdir(path: string | GuestPath, _now: string): FsDir {
    const p = typeof path === 'string' ? parseGuestPath(path) : path;
    let dir = this.state.drives[p.drive];
    if (!dir) {
      throw new GuestPathError(
        `The system cannot find the drive specified: '${formatGuestPath(p)}'.`,
        'not-found',
      );
    }
    for (const name of p.parts) {
      const child: FsNode | undefined = dir.children[name.toLowerCase()];
      if (child?.kind === 'file' || generatedIndex(dir, name)) {
        throw new GuestPathError(
          `A file named '${name}' already exists where a directory is needed.`,
          'not-a-directory',
        );
      }
      if (child?.kind === 'dir') {
        dir = child;
        continue;
      }
      const created = emptyDir(name);
      dir.children[name.toLowerCase()] = created;
      dir = created;
    }
    return dir;
  }

  /** Writes a file, creating its directory; replaces an existing file. */
  writeFile(path: string, bytes: Uint8Array, now: string): FsFile {
    const p = parseGuestPath(path);
    const name = p.parts[p.parts.length - 1];
    if (name === undefined) throw new GuestPathError(`'${path}' names a drive, not a file.`, 'invalid');
    const dir = this.mkdir({ drive: p.drive, parts: p.parts.slice(0, -1) }, now);
    const existing = dir.children[name.toLowerCase()];
    if (existing?.kind === 'dir') throw new GuestPathError(`'${path}' is a directory.`, 'is-a-directory');
    this.removeGenerated(dir, name);
    const file: FsFile = {
      kind: 'file',
      name,
      data: Buffer.from(bytes).toString('base64'),
      size: bytes.byteLength,
      modified: now,
    };
    dir.children[name.toLowerCase()] = file;
    return file;
  }

  readFile(path: string): Uint8Array {
    const found = this.lookup(path);
    if (found.kind === 'file') return Buffer.from(found.file.data, 'base64');
    if (found.kind === 'generated') return new Uint8Array(0);
    if (found.kind === 'dir') throw new GuestPathError(`'${path}' is a directory.`, 'is-a-directory');
    throw new GuestPathError(`Cannot find path '${path}' because it does not exist.`, 'not-found');
  }

  readText(path: string): string {
    return Buffer.from(this.readFile(path)).toString('utf8');
  }

  /**
   * New-GuestItems: makes `count` new empty files, or folders, named `itemName(prefix, n)` in a
   * directory (created when missing), taking the lowest numbers whose names are free, as the
   * operation's script does; returns how many it made and how many files (or folders) the
   * directory then holds. Two calls add up: 6,000 then 5,000 files make 11,000.
   */
  createItems(
    directory: string,
    prefix: string,
    count: number,
    kind: 'file' | 'folder',
    now: string,
  ): { created: number; total: number } {
    const dir = this.mkdir(directory, now);
    const ranges = dir.generated
      .filter((r) => r.prefix.toLowerCase() === prefix.toLowerCase())
      .sort((a, b) => a.start - b.start);
    const runs: GeneratedRange[] = [];
    let made = 0;
    for (let i = 1; made < count; ) {
      const range = ranges.find((r) => i >= r.start && i < r.start + r.count);
      if (range) {
        i = range.start + range.count;
        continue;
      }
      const name = itemName(prefix, i);
      if (dir.children[name.toLowerCase()] === undefined) {
        if (kind === 'folder') dir.children[name.toLowerCase()] = emptyDir(name);
        else {
          const last = runs[runs.length - 1];
          if (last && last.start + last.count === i) last.count += 1;
          else runs.push({ prefix, start: i, count: 1, modified: now });
        }
        made += 1;
      }
      i += 1;
    }
    if (runs.length > 0) {
      const same = (r: GeneratedRange) => r.prefix.toLowerCase() === prefix.toLowerCase();
      dir.generated = [...dir.generated.filter((r) => !same(r)), ...mergeRanges([...ranges, ...runs])];
    }
    return { created: made, total: kind === 'folder' ? this.folderCount(dir) : this.fileCount(dir) };
  }

  /** Makes `count` new empty files (createItems); returns how many are new. */
  generate(directory: string, prefix: string, count: number, now: string): number {
    return this.createItems(directory, prefix, count, 'file', now).created;
  }

  /** Removes a file or a directory tree; false when nothing was there. */
  remove(path: string): boolean {
    const p = parseGuestPath(path);
    if (p.parts.length === 0)
      throw new GuestPathError(`Removing the drive '${path}' is not allowed.`, 'invalid');
    const parent = this.lookup({ drive: p.drive, parts: p.parts.slice(0, -1) });
    if (parent.kind !== 'dir') return false;
    const name = p.parts[p.parts.length - 1] as string;
    if (parent.dir.children[name.toLowerCase()]) {
      delete parent.dir.children[name.toLowerCase()];
      return true;
    }
    return this.removeGenerated(parent.dir, name);
  }

  private removeGenerated(dir: FsDir, name: string): boolean {
    const found = generatedIndex(dir, name);
    if (!found) return false;
    const { range, index } = found;
    const before = { ...range, count: index - range.start };
    const after = { ...range, start: index + 1, count: range.start + range.count - index - 1 };
    dir.generated = dir.generated.flatMap((r) =>
      r === range ? [before, after].filter((x) => x.count > 0) : [r],
    );
    return true;
  }

  fileCount(dir: FsDir): number {
    const explicit = Object.values(dir.children).filter((c) => c.kind === 'file').length;
    return explicit + dir.generated.reduce((n, r) => n + r.count, 0);
  }

  folderCount(dir: FsDir): number {
    return Object.values(dir.children).filter((c) => c.kind === 'dir').length;
  }

  /** Every directory under `path` (itself included) with its full path. */
  *walk(path: string): Generator<{ path: string; dir: FsDir }> {
    const found = this.lookup(path);
    if (found.kind !== 'dir') return;
    const stack: { path: string; dir: FsDir }[] = [
      { path: formatGuestPath(parseGuestPath(path)), dir: found.dir },
    ];
    while (stack.length > 0) {
      const next = stack.pop() as { path: string; dir: FsDir };
      yield next;
      for (const child of Object.values(next.dir.children)) {
        if (child.kind === 'dir') stack.push({ path: `${next.path}\\${child.name}`, dir: child });
      }
    }
  }

  /** The names in a directory (files made in bulk excluded), for listings. */
  list(path: string): FsNode[] {
    const found = this.lookup(path);
    return found.kind === 'dir' ? Object.values(found.dir.children) : [];
  }
}

function mergeRanges(ranges: GeneratedRange[]): GeneratedRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: GeneratedRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.start + last.count) {
      const end = Math.max(last.start + last.count, r.start + r.count);
      last.count = end - last.start;
      last.modified = r.modified;
    } else {
      out.push({ ...r });
    }
  }
  return out;
}
