/**
 * `!irp <address>`: the header (stack count, current location, MDL, thread) and the stack
 * locations it shows, in the Windows 10 layout (`>[IRP_MJ_READ(3), N/A(0)]` then a values
 * line) and the older one (`>[  3,34]  40 e1 …` on one line).
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull } from './hex.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const IrpFunction = z.object({ name: z.string().nullable(), code: Hex });

export const IrpStackLocation = z.object({
  current: z.boolean(),
  major: IrpFunction,
  minor: IrpFunction,
  flags: Hex,
  control: Hex,
  device: Hex,
  file: Hex,
  completionRoutine: Hex,
  context: Hex,
  /** When the completion routine runs: any of Success, Error, Cancel. */
  invokeOn: z.array(z.enum(['Success', 'Error', 'Cancel'])),
  pending: z.boolean(),
  /** The driver line under the location (`\Driver\disk`), null if empty. */
  driver: z.string().nullable(),
  completionSymbol: z.string().nullable(),
  args: z.array(Hex),
});
export type IrpStackLocation = z.infer<typeof IrpStackLocation>;

export const IrpResult = z.object({
  /** The IRP address when the text starts with the `!irp <address>` command, else null. */
  address: Hex.nullable(),
  active: z.boolean(),
  /** The stack count from the header ("with 8 stacks"). */
  stackCount: z.number().int(),
  currentLocation: z.number().int().nullable(),
  currentLocationAddress: Hex.nullable(),
  mdl: Hex.nullable(),
  systemBuffer: Hex.nullable(),
  thread: Hex.nullable(),
  stackLocations: z.array(IrpStackLocation),
  truncated: z.boolean(),
});
export type IrpResult = z.infer<typeof IrpResult>;

const HEADER =
  /^Irp is (active|not active|.+?) with (\d+) stacks?(?: (\d+) is current \(= (0x[0-9a-fA-F`]+)\))?/;
const NEW_LOC = /^(>)?\[(\w+|N\/A)\(([0-9a-fA-F]+)\), (\S+)\(([0-9a-fA-F]+)\)\]$/;
const OLD_LOC = /^(>)?\[\s*([0-9a-fA-F]+),\s*([0-9a-fA-F]+)\]\s+(.*)$/;
const VALUES =
  /^([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F`]+)\s+([0-9a-fA-F`]+)\s+([0-9a-fA-F`]+)-([0-9a-fA-F`]+)((?:\s+(?:Success|Error|Cancel))*)(\s+pending)?$/;
const ARGS = /^Args:((?:\s+(?:0x)?[0-9a-fA-F`]+){1,4})$/;

/** Parses `!irp` output. */
export function parseIrp(text: string): IrpResult {
  const reader = new Reader('irp', '!irp <address>', text);
  const raw = filled(prepare(text, { keepPrompt: true }));
  let address: string | null = null;
  const command = /^(?:(?:\d+: )?l?kd> ?)?!irp\s+(\S+)/.exec(raw[0]?.text.trim() ?? '');
  let lines = raw;
  if (command) {
    address = hexOrNull(command[1] ?? '');
    lines = raw.slice(1);
  } else if (/^(?:(?:\d+: )?l?kd> ?)/.test(raw[0]?.text ?? '')) lines = raw.slice(1);
  const head = lines[0];
  const h = HEADER.exec(head?.text.trim() ?? '');
  if (!head || !h) throw reader.fail('it does not start with "Irp is active with N stacks"', head);
  let mdl: string | null = null;
  let systemBuffer: string | null = null;
  let thread: string | null = null;
  const locations: IrpStackLocation[] = [];
  let truncated = false;
  let pending: Partial<IrpStackLocation> | null = null;
  let stage: 'values' | 'driver' | 'args' | null = null;
  const finish = () => {
    if (pending && stage === null) locations.push(complete(pending));
    pending = null;
  };
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    const isLast = i === lines.length - 1;
    if (t.endsWith('Irp stack trace') || t.endsWith('Irp stack trace.') || /^(?:No Mdl|Mdl ?=)/.test(t)) {
      const m = /Mdl ?= ?([0-9a-fA-F`]+)/.exec(t);
      if (m) mdl = hexOrNull(m[1] ?? '');
      const sb = /System buffer = ([0-9a-fA-F`]+)/i.exec(t);
      if (sb) systemBuffer = hexOrNull(sb[1] ?? '');
      const th = /Thread ([0-9a-fA-F`]+):/.exec(t);
      if (th) thread = hexOrNull(th[1] ?? '');
      continue;
    }
    if (t.startsWith('cmd') && /^cmd\s+flg\s+cl\s+Device\s+File\s+Completion-Context$/.test(t)) continue;
    // A stack location line starts with '[' or '>['.
    const opens = t.charCodeAt(0) === 91 || t.charCodeAt(0) === 62;
    const fresh = opens ? NEW_LOC.exec(t) : null;
    if (fresh) {
      if (stage !== null && pending !== null)
        throw reader.fail('a stack location ends before its Args line', line);
      finish();
      pending = {
        current: fresh[1] === '>',
        major: {
          name: fresh[2] === 'N/A' ? null : (fresh[2] ?? null),
          code: hexOrNull(fresh[3] ?? '') as string,
        },
        minor: {
          name: fresh[4] === 'N/A' ? null : (fresh[4] ?? null),
          code: hexOrNull(fresh[5] ?? '') as string,
        },
      };
      stage = 'values';
      continue;
    }
    const old = opens ? OLD_LOC.exec(t) : null;
    if (old) {
      if (stage !== null && pending !== null)
        throw reader.fail('a stack location ends before its Args line', line);
      finish();
      pending = {
        current: old[1] === '>',
        major: { name: null, code: hexOrNull(old[2] ?? '') as string },
        minor: { name: null, code: hexOrNull(old[3] ?? '') as string },
      };
      stage = 'values';
      if (!applyValues(pending, old[4] ?? '')) {
        if (isLast) {
          truncated = true;
          pending = null;
          stage = null;
          break;
        }
        throw reader.fail('a stack location has no flags, device, file and completion values', line);
      }
      stage = 'driver';
      continue;
    }
    if (pending !== null && stage === 'values') {
      if (applyValues(pending, t)) {
        stage = 'driver';
        continue;
      }
    }
    const args = t.startsWith('Args:') ? ARGS.exec(t) : null;
    if (pending !== null && (stage === 'driver' || stage === 'args') && args) {
      const p: Partial<IrpStackLocation> = pending;
      p.args = (args[1] ?? '')
        .trim()
        .split(/\s+/)
        .map((a) => hexOrNull(a) as string);
      if (p.driver === undefined) p.driver = null;
      if (p.completionSymbol === undefined) p.completionSymbol = null;
      stage = null;
      continue;
    }
    if (pending !== null && stage === 'driver') {
      const p: Partial<IrpStackLocation> = pending;
      const parts = t.split(/\s+/);
      const driver = parts[0]?.startsWith('\\') ? (parts.shift() ?? null) : null;
      p.driver = driver;
      p.completionSymbol = parts.length > 0 ? parts.join(' ') : null;
      stage = 'args';
      continue;
    }
    if (isLast && pending !== null) {
      truncated = true;
      pending = null;
      stage = null;
      break;
    }
    throw reader.fail('a line is not part of an IRP stack location', line);
  }
  if (pending !== null) {
    if (stage === null) finish();
    else {
      truncated = true;
      pending = null;
    }
  }
  return built(IrpResult, {
    address,
    active: h[1] === 'active',
    stackCount: Number(h[2]),
    currentLocation: h[3] === undefined ? null : Number(h[3]),
    currentLocationAddress: h[4] === undefined ? null : hexOrNull(h[4]),
    mdl,
    systemBuffer,
    thread,
    stackLocations: locations,
    truncated,
  });
}

/**
 * A stack location whose every field has been read (its Args line closes it), with the fields in
 * the schema's order. A field still missing is a defect of this parser, not of the input.
 */
function complete(p: Partial<IrpStackLocation>): IrpStackLocation {
  const { current, major, minor, flags, control, device, file, completionRoutine, context } = p;
  const { invokeOn, pending, driver, completionSymbol, args } = p;
  if (
    current === undefined ||
    major === undefined ||
    minor === undefined ||
    flags === undefined ||
    control === undefined ||
    device === undefined ||
    file === undefined ||
    completionRoutine === undefined ||
    context === undefined ||
    invokeOn === undefined ||
    pending === undefined ||
    driver === undefined ||
    completionSymbol === undefined ||
    args === undefined
  )
    return IrpStackLocation.parse(p);
  return {
    current,
    major,
    minor,
    flags,
    control,
    device,
    file,
    completionRoutine,
    context,
    invokeOn,
    pending,
    driver,
    completionSymbol,
    args,
  };
}

function applyValues(target: Partial<IrpStackLocation>, text: string): boolean {
  const v = VALUES.exec(text.trim());
  if (!v) return false;
  target.flags = hexOrNull(v[1] ?? '') as string;
  target.control = hexOrNull(v[2] ?? '') as string;
  target.device = hexOrNull(v[3] ?? '') as string;
  target.file = hexOrNull(v[4] ?? '') as string;
  target.completionRoutine = hexOrNull(v[5] ?? '') as string;
  target.context = hexOrNull(v[6] ?? '') as string;
  target.invokeOn = (v[7] ?? '')
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '') as ('Success' | 'Error' | 'Cancel')[];
  target.pending = v[8] !== undefined;
  return true;
}
