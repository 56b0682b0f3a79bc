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

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    // 'a+' would append; 'r+' needs the file: create it empty if missing, then open for update.
    closeSync(openSync(path, 'a'));
    this.fd = openSync(path, 'r+');
  }

  read(): number {
    if (this.fd === null) return 0;
    const n = readSync(this.fd, this.buffer, 0, 8, 0);
    if (n < 8) return 0;
    const value = this.buffer.readDoubleLE(0);
    return Number.isFinite(value) && value >= 0 ? value : 0;
  }

  advanceTo(labMs: number): number {
    const now = this.read();
    if (labMs <= now || this.fd === null) return now;
    const out = Buffer.alloc(8);
    out.writeDoubleLE(labMs, 0);
    writeSync(this.fd, out, 0, 8, 0);
    return labMs;
  }

  /** Closes the file (and removes it when `remove`). */
  close(remove = false): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (remove) rmSync(this.path, { force: true });
  }
}
