/**
 * `!thread [address [flags]]`: the thread, its process, its IRP list and its stack.
 */
import * as z from 'zod';
import { built } from './built.js';
import { Frame } from './frame.js';
import { Hex, hexOrNull } from './hex.js';
import { isStackHeader, readFrames } from './stack.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const ThreadIrp = z.object({
  address: Hex,
  /** `(0006,03a0)` as printed: the IRP's type and size. */
  typeSize: z.string().nullable(),
  flags: Hex.nullable(),
  mdl: Hex.nullable(),
});

export const ThreadResult = z.object({
  address: Hex,
  /** Client id `process.thread` as printed (`0200.0204`). */
  cid: z.string().nullable(),
  teb: Hex.nullable(),
  win32Thread: Hex.nullable(),
  /** What follows Win32Thread on the first line: `RUNNING on processor 1`, `WAIT: (Executive) KernelMode Non-Alertable`. */
  state: z.string().nullable(),
  /** Objects the thread waits on, as printed under the first line (`fffff88002b0f118  SynchronizationEvent`). */
  waitObjects: z.array(z.object({ address: Hex, type: z.string() })),
  irps: z.array(ThreadIrp),
  /** The owning process. */
  process: Hex.nullable(),
  image: z.string().nullable(),
  attachedProcess: Hex.nullable(),
  stack: z.array(Frame),
  truncated: z.boolean(),
});
export type ThreadResult = z.infer<typeof ThreadResult>;

const HEAD =
  /^THREAD ([0-9a-fA-F`]+)\s+Cid ([0-9a-fA-F]+\.[0-9a-fA-F]+)\s+Teb: ([0-9a-fA-F`]+)\s+Win32Thread: ([0-9a-fA-F`]+)\s*(.*)$/;
const IRP =
  /^([0-9a-fA-F`]{8,17}): (\([0-9a-fA-F]+,[0-9a-fA-F]+\))\s+Flags: ([0-9a-fA-F]+)\s+Mdl: ([0-9a-fA-F`]+)$/;

/** Parses `!thread` output. */
export function parseThread(text: string): ThreadResult {
  const reader = new Reader('thread', '!thread', text);
  const lines = prepare(text);
  const all = filled(lines);
  const first = all[0];
  if (!first) throw reader.fail('it is empty');
  const head = HEAD.exec(first.text.trim());
  if (!head) throw reader.fail('it does not start with "THREAD <address> Cid …"', first);
  const waitObjects: { address: string; type: string }[] = [];
  const irps: z.infer<typeof ThreadIrp>[] = [];
  let process: string | null = null;
  let image: string | null = null;
  let attached: string | null = null;
  let inIrps = false;
  let stackAt = -1;
  const start = lines.indexOf(first) + 1;
  for (let i = start; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    if (t === '') continue;
    if (isStackHeader(t)) {
      stackAt = i;
      break;
    }
    if (t === 'IRP List:') {
      inIrps = true;
      continue;
    }
    const irp = inIrps ? IRP.exec(t) : null;
    if (irp) {
      irps.push({
        address: hexOrNull(irp[1] ?? '') as string,
        typeSize: irp[2] ?? null,
        flags: hexOrNull(irp[3] ?? ''),
        mdl: hexOrNull(irp[4] ?? ''),
      });
      continue;
    }
    inIrps = false;
    const wait = irps.length === 0 && process === null ? /^([0-9a-fA-F`]{8,17})\s+(\w+)$/.exec(t) : null;
    if (wait) {
      waitObjects.push({ address: hexOrNull(wait[1] ?? '') as string, type: wait[2] ?? '' });
      continue;
    }
    const owning = t.startsWith('Owning Process')
      ? /^Owning Process\s+([0-9a-fA-F`]+)(?:\s+Image:\s+(.*))?$/.exec(t)
      : null;
    if (owning) {
      process = hexOrNull(owning[1] ?? '');
      image = owning[2]?.trim() || null;
      continue;
    }
    const att = t.startsWith('Attached Process') ? /^Attached Process\s+(\S+)/.exec(t) : null;
    if (att) attached = hexOrNull(att[1] ?? '');
    // The remaining header lines (DeviceMap, Wait Start TickCount, Priority …) carry no field here.
  }
  let stack: Frame[] = [];
  let truncated = false;
  if (stackAt >= 0) {
    const block = readFrames(lines, stackAt, reader, true);
    const rest = filled(lines.slice(block.end));
    if (rest.length > 0) throw reader.fail('a line after the stack is not a stack frame', rest[0]);
    stack = block.frames;
    truncated = block.truncated;
  }
  return built(ThreadResult, {
    address: hexOrNull(head[1] ?? '') as string,
    cid: head[2] ?? null,
    teb: hexOrNull(head[3] ?? ''),
    win32Thread: hexOrNull(head[4] ?? ''),
    state: head[5]?.trim() || null,
    waitObjects,
    irps,
    process,
    image,
    attachedProcess: attached,
    stack,
    truncated,
  });
}
