/**
 * The crash-dump files the simulated guest writes when it bugchecks (C:\Windows\MEMORY.DMP and
 * C:\Windows\Minidump\*.dmp), and the dump-mode debug target the simulated kd opens with `-z`.
 *
 * Layout: a 0x2000-byte header that begins like a real x64 kernel dump (DUMP_HEADER64: "PAGE"
 * "DU64", version, PsLoadedModuleList, machine type 0x8664, processor count, bug check code and its
 * four parameters, DumpType at 0xf98: 1 full, 2 kernel, 4 small), then at 0x1000 a driverlab
 * marker, the format version, the length and SHA-256 of the kernel state JSON that follows at
 * 0x2000. Real kernel minidumps start with the same signature (user-mode minidumps are "MDMP").
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { LabCompromisedError } from '../../errors.js';
import type { DebugTarget, TargetIdentity } from './contract.js';
import { addr } from './hex.js';
import { promptProcessorOf } from './index.js';
import { type RenderContext, renderCommand } from './render/index.js';
import { type KernelState, parseKernelState } from './state.js';
import { lookupSymbol } from './symbols.js';
import { identityOf } from './target.js';

export type DumpKind = 'full' | 'kernel' | 'mini';

const HEADER_BYTES = 0x2000;
const MARKER = 'DRIVERLAB-KERNEL-STATE';
const FORMAT_VERSION = 1;
const DUMP_TYPES: Record<DumpKind, number> = { full: 1, kernel: 2, mini: 4 };

/** The bytes of a dump file holding the kernel state. */
export function writeDump(state: KernelState, kind: DumpKind): Buffer {
  const json = Buffer.from(JSON.stringify(state), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.write('PAGEDU64', 0, 'latin1');
  header.writeUInt32LE(0xf, 0x08);
  header.writeUInt32LE(state.boot.os.build, 0x0c);
  header.writeBigUInt64LE(lookupSymbol(state, 'nt!PsLoadedModuleList') ?? 0n, 0x20);
  header.writeUInt32LE(0x8664, 0x30);
  header.writeUInt32LE(state.boot.os.processors, 0x34);
  header.writeUInt32LE(state.crash?.code ?? 0, 0x38);
  (state.crash?.args ?? []).forEach((a, i) => {
    header.writeBigUInt64LE(addr(a), 0x40 + i * 8);
  });
  header.writeUInt32LE(DUMP_TYPES[kind], 0xf98);
  header.write(MARKER, 0x1000, 'latin1');
  header.writeUInt32LE(FORMAT_VERSION, 0x1020);
  header.writeUInt32LE(json.length, 0x1024);
  createHash('sha256').update(json).digest().copy(header, 0x1028);
  return Buffer.concat([header, json]);
}

function refuse(name: string, why: string): LabCompromisedError {
  return new LabCompromisedError(
    `The dump file '${name}' cannot be opened, because ${why}; copy the dump the embedded lab wrote again (a partial copy or another file is not a driverlab dump).`,
  );
}

/** The kernel state inside a dump file; a damaged or foreign file gets one clear sentence. */
export function readDump(buffer: Buffer, name = 'dump'): { state: KernelState; kind: DumpKind } {
  if (buffer.length < 8 || buffer.toString('latin1', 0, 8) !== 'PAGEDU64')
    return fail(refuse(name, 'it does not start with the PAGEDU64 signature of an x64 kernel dump'));
  if (buffer.length < HEADER_BYTES || buffer.toString('latin1', 0x1000, 0x1000 + MARKER.length) !== MARKER)
    return fail(
      refuse(name, 'it is a kernel dump that no simulated guest wrote (no driverlab state inside)'),
    );
  const version = buffer.readUInt32LE(0x1020);
  if (version !== FORMAT_VERSION)
    return fail(refuse(name, `its state format version ${version} is not ${FORMAT_VERSION}`));
  const length = buffer.readUInt32LE(0x1024);
  const json = buffer.subarray(HEADER_BYTES, HEADER_BYTES + length);
  if (json.length !== length)
    return fail(refuse(name, `it is truncated (${json.length} of ${length} state bytes)`));
  const digest = createHash('sha256').update(json).digest();
  if (!digest.equals(buffer.subarray(0x1028, 0x1048)))
    return fail(refuse(name, 'its state does not match its checksum'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (cause) {
    throw new LabCompromisedError(
      `The dump file '${name}' cannot be opened, because its state is not JSON; copy the dump again.`,
      { cause },
    );
  }
  let state: KernelState;
  try {
    state = parseKernelState(parsed);
  } catch (cause) {
    throw new LabCompromisedError(
      `The dump file '${name}' cannot be opened, because its state is not a kernel state this version reads; write it again with this driverlab version.`,
      { cause },
    );
  }
  const type = buffer.readUInt32LE(0xf98);
  const kind = (Object.entries(DUMP_TYPES).find(([, v]) => v === type)?.[0] ?? 'kernel') as DumpKind;
  return { state, kind };
}

function fail(error: Error): never {
  throw error;
}

/** A crash dump opened in KD: always stopped, answers commands, cannot run. */
export class DumpDebugTarget implements DebugTarget {
  private context: RenderContext;

  constructor(
    private readonly state: KernelState,
    file: string,
  ) {
    this.context = { processor: promptProcessorOf(state), source: 'dump', dumpFile: file, cxr: null };
  }

  identity(): TargetIdentity {
    return identityOf(this.state, 0);
  }

  isStopped(): boolean {
    return true;
  }

  async breakIn(): Promise<string> {
    return '';
  }

  /** Renders from the dump's state; `g` and `.reboot` get KD's answer on a dump. */
  async execute(command: string): Promise<string> {
    const rendered = renderCommand(command, this.state, this.context);
    this.context = rendered.context;
    return rendered.text;
  }

  currentProcessor(): number | null {
    return this.context.processor;
  }

  /** Nothing runs on a dump; `execute('g')` returns what KD prints instead. */
  async resume(): Promise<void> {}

  async reboot(): Promise<void> {}

  async answerVerifier(): Promise<string> {
    return '';
  }
}

/** Opens a dump file for the simulated kd's `-z` mode. */
export async function openDumpTarget(path: string): Promise<DebugTarget> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (cause) {
    throw new LabCompromisedError(
      `The dump file '${path}' cannot be read; check that the dump was copied out of the guest.`,
      { cause },
    );
  }
  const { state } = readDump(buffer, path);
  return new DumpDebugTarget(
    state,
    basename(path.replace(/\\/g, '/')).toUpperCase() === 'MEMORY.DMP' ? 'MEMORY.DMP' : basename(path),
  );
}
