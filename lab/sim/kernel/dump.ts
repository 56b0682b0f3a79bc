/**
 * The crash-dump files the simulated guest writes when it bugchecks (C:\Windows\MEMORY.DMP and
 * C:\Windows\Minidump\*.dmp), and the dump-mode debug target the simulated kd opens with `-z`.
 *
 * Layout: a 0x2000-byte header laid out like a real x64 kernel dump's DUMP_HEADER64, unused fields
 * filled with "PAGE" as Windows fills them: "PAGE" "DU64", version (0xF, build), PsLoadedModuleList
 * at 0x20, machine type 0x8664 at 0x30, processor count at 0x34, bug check code and its four
 * parameters at 0x38/0x40, DumpType at 0xF98 (1 full, 2 kernel, 4 small), SystemTime (FILETIME of
 * the crash) at 0xFA8, Comment at 0xFB0, SystemUpTime (100 ns units) at 0x1030. In the reserved
 * space at 0x1100: a driverlab marker, the format version, the length and SHA-256 of the kernel
 * state JSON that follows at 0x2000. Real kernel minidumps start with the same signature
 * (user-mode minidumps are "MDMP").
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { LabCompromisedError } from '../../errors.js';
import type { DebugTarget, TargetIdentity } from '../ports.js';
import { addr } from './hex.js';
import { promptProcessorOf } from './index.js';
import { type RenderContext, renderCommand } from './render/index.js';
import { type KernelState, parseKernelState } from './state.js';
import { lookupSymbol } from './symbols.js';
import { identityOf } from './target.js';

export type DumpKind = 'full' | 'kernel' | 'mini';

const HEADER_BYTES = 0x2000;
/** Where DUMP_HEADER64 keeps what a dump reader needs first. */
const AT = {
  moduleList: 0x20,
  machine: 0x30,
  processors: 0x34,
  code: 0x38,
  args: 0x40,
  dumpType: 0xf98,
  systemTime: 0xfa8,
  comment: 0xfb0,
  upTime: 0x1030,
  marker: 0x1100,
  version: 0x1120,
  length: 0x1124,
  digest: 0x1128,
} as const;
const MARKER = 'DRIVERLAB-KERNEL-STATE';
const FORMAT_VERSION = 1;
const DUMP_TYPES: Record<DumpKind, number> = { full: 1, kernel: 2, mini: 4 };
/** Milliseconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01. */
const FILETIME_EPOCH_MS = 11_644_473_600_000n;

/** When the dump was written: the crash's calendar time and how long the guest had been up. */
export interface DumpMoment {
  crashTime: Date;
  uptimeSeconds: number;
}

/** The bytes of a dump file holding the kernel state. */
export function writeDump(state: KernelState, kind: DumpKind, moment?: DumpMoment): Buffer {
  const json = Buffer.from(JSON.stringify(state), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES, 'PAGE', 'latin1');
  header.write('PAGEDU64', 0, 'latin1');
  header.writeUInt32LE(0xf, 0x08);
  header.writeUInt32LE(state.boot.os.build, 0x0c);
  header.writeBigUInt64LE(lookupSymbol(state, 'nt!PsLoadedModuleList') ?? 0n, AT.moduleList);
  header.writeUInt32LE(0x8664, AT.machine);
  header.writeUInt32LE(state.boot.os.processors, AT.processors);
  header.writeUInt32LE(state.crash?.code ?? 0, AT.code);
  header.writeUInt32LE(0, AT.code + 4);
  for (let i = 0; i < 4; i += 1)
    header.writeBigUInt64LE(addr(state.crash?.args[i] ?? '0000000000000000'), AT.args + i * 8);
  header.writeUInt32LE(DUMP_TYPES[kind], AT.dumpType);
  if (moment) {
    const filetime = (BigInt(moment.crashTime.getTime()) + FILETIME_EPOCH_MS) * 10_000n;
    header.writeBigUInt64LE(filetime, AT.systemTime);
    header.writeBigUInt64LE(BigInt(Math.round(moment.uptimeSeconds * 1e7)), AT.upTime);
  }
  header.fill(0, AT.comment, AT.comment + 0x80);
  header.write(`driverlab simulated guest ${state.boot.vmName}`.slice(0, 0x7f), AT.comment, 'latin1');
  header.fill(0, AT.marker, AT.digest + 32);
  header.write(MARKER, AT.marker, 'latin1');
  header.writeUInt32LE(FORMAT_VERSION, AT.version);
  header.writeUInt32LE(json.length, AT.length);
  createHash('sha256').update(json).digest().copy(header, AT.digest);
  return Buffer.concat([header, json]);
}

/** What a dump file holds. */
export interface DumpContent {
  state: KernelState;
  kind: DumpKind;
  /** The crash's calendar time, or null when the writer did not record one. */
  crashTime: Date | null;
  /** Seconds the guest had been up at the crash (0 when not recorded). */
  uptimeSeconds: number;
}

function refuse(name: string, why: string): LabCompromisedError {
  return new LabCompromisedError(
    `The dump file '${name}' cannot be opened, because ${why}; copy the dump the embedded lab wrote again (a partial copy or another file is not a driverlab dump).`,
  );
}

/** The kernel state inside a dump file; a damaged or foreign file gets one clear sentence. */
export function readDump(buffer: Buffer, name = 'dump'): DumpContent {
  if (buffer.length < 8 || buffer.toString('latin1', 0, 8) !== 'PAGEDU64')
    return fail(refuse(name, 'it does not start with the PAGEDU64 signature of an x64 kernel dump'));
  if (
    buffer.length < HEADER_BYTES ||
    buffer.toString('latin1', AT.marker, AT.marker + MARKER.length) !== MARKER
  )
    return fail(
      refuse(name, 'it is a kernel dump that no simulated guest wrote (no driverlab state inside)'),
    );
  const version = buffer.readUInt32LE(AT.version);
  if (version !== FORMAT_VERSION)
    return fail(refuse(name, `its state format version ${version} is not ${FORMAT_VERSION}`));
  const length = buffer.readUInt32LE(AT.length);
  const json = buffer.subarray(HEADER_BYTES, HEADER_BYTES + length);
  if (json.length !== length)
    return fail(refuse(name, `it is truncated (${json.length} of ${length} state bytes)`));
  const digest = createHash('sha256').update(json).digest();
  if (!digest.equals(buffer.subarray(AT.digest, AT.digest + 32)))
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
  const type = buffer.readUInt32LE(AT.dumpType);
  const kind = (Object.entries(DUMP_TYPES).find(([, v]) => v === type)?.[0] ?? 'kernel') as DumpKind;
  const unset = buffer.toString('latin1', AT.systemTime, AT.systemTime + 4) === 'PAGE';
  const filetime = buffer.readBigUInt64LE(AT.systemTime);
  const upTime = buffer.readBigUInt64LE(AT.upTime);
  return {
    state,
    kind,
    crashTime: unset ? null : new Date(Number(filetime / 10_000n - FILETIME_EPOCH_MS)),
    uptimeSeconds: unset ? 0 : Number(upTime) / 1e7,
  };
}

function fail(error: Error): never {
  throw error;
}

/** A crash dump opened in KD: always stopped, answers commands, cannot run. */
export class DumpDebugTarget implements DebugTarget {
  private context: RenderContext;

  private readonly state: KernelState;
  private readonly uptimeSeconds: number;

  constructor(dump: Pick<DumpContent, 'state' | 'uptimeSeconds'>, file: string) {
    this.state = dump.state;
    this.uptimeSeconds = dump.uptimeSeconds;
    this.context = { processor: promptProcessorOf(dump.state), source: 'dump', dumpFile: file, cxr: null };
  }

  identity(): TargetIdentity {
    return identityOf(this.state, this.uptimeSeconds);
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
  return new DumpDebugTarget(
    readDump(buffer, path),
    basename(path.replace(/\\/g, '/')).toUpperCase() === 'MEMORY.DMP' ? 'MEMORY.DMP' : basename(path),
  );
}
