/**
 * The embedded lab's one lab time, shared by its processes through a small file: the harness
 * (whose waits move it), and the embedded lab host (whose VMs take lab time to boot, restore and
 * run commands, and which adopts the harness's time at every operation). The file holds one
 * little-endian float64; time only moves forward, so whoever writes keeps the later of the two.
 * See docs/adr/0004-virtual-lab-time.md for who moves the time when.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TimeStore } from '../clock.js';

/** A lab time kept in a file that several processes read and move forward. */
export class TimeFile implements TimeStore {
  private fd: number | null;
  private readonly buffer = Buffer.alloc(8);
  /** The latest time this process has read or written. */
  private latest = 0;
  /** What the file held at the last read (0 when it held no time). */
  private inFile = 0;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    // 'a+' would append; 'r+' needs the file: create it empty if missing, then open for update.
    closeSync(openSync(path, 'a'));
    this.fd = openSync(path, 'r+');
  }

  read(): number {
    if (this.fd === null) return this.latest;
    const n = readSync(this.fd, this.buffer, 0, 8, 0);
    const value = n < 8 ? 0 : this.buffer.readDoubleLE(0);
    this.inFile = Number.isFinite(value) && value > 0 ? value : 0;
    if (this.inFile > this.latest) this.latest = this.inFile;
    return this.latest;
  }

  /** Moves the time to `labMs` (or keeps a later one) and returns it; the file gets it too. */
  advanceTo(labMs: number): number {
    const now = this.read();
    const to = Math.max(labMs, now);
    this.latest = to;
    // Also when the file holds less than this process has seen: another's write went back.
    if (to > this.inFile && this.fd !== null) {
      const out = Buffer.alloc(8);
      out.writeDoubleLE(to, 0);
      writeSync(this.fd, out, 0, 8, 0);
      this.inFile = to;
    }
    return to;
  }

  /** Closes the file (and removes it when `remove`). */
  close(remove = false): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (remove) rmSync(this.path, { force: true });
  }
}
