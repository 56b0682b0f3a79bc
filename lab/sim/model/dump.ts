/**
 * The crash dumps a simulated guest writes (%SystemRoot%\MEMORY.DMP and a minidump under
 * %SystemRoot%\Minidump): the real 64-bit kernel dump signature, then the simulated kernel's state
 * at the crash as JSON, so the simulated debugger opened with `-z <dump>` renders from it.
 *
 * Layout: "PAGEDU64" (8 bytes) · JSON length, UInt32 LE (4 bytes) · UTF-8 JSON (DumpContent).
 */
import { z } from 'zod';
import type { JsonValue } from './kernel.js';

export const DUMP_SIGNATURE = 'PAGEDU64';

export interface DumpContent {
  kind: 'kernel' | 'mini';
  vmName: string;
  /** ISO time of the crash. */
  crashTime: string;
  bugcheck: { code: number; name: string; args: string[] };
  /** The kernel's serialise() at the crash, or null when no kernel was plugged in. */
  kernel: JsonValue;
}

const JsonSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    z.number(),
    z.string(),
    z.array(JsonSchema),
    z.record(z.string(), JsonSchema),
  ]),
);

const DumpContentSchema = z.object({
  kind: z.enum(['kernel', 'mini']),
  vmName: z.string(),
  crashTime: z.string(),
  bugcheck: z.object({ code: z.number().int(), name: z.string(), args: z.array(z.string()).length(4) }),
  kernel: JsonSchema,
});

export function renderDump(content: DumpContent): Uint8Array {
  const json = Buffer.from(JSON.stringify(content), 'utf8');
  const header = Buffer.alloc(12);
  header.write(DUMP_SIGNATURE, 0, 'ascii');
  header.writeUInt32LE(json.length, 8);
  return Buffer.concat([header, json]);
}

export class DumpFormatError extends Error {}

/** Reads a dump written by renderDump; a DumpFormatError says what is wrong with it. */
export function readDump(bytes: Uint8Array): DumpContent {
  const buffer = Buffer.from(bytes);
  if (buffer.length < 12 || buffer.toString('ascii', 0, 8) !== DUMP_SIGNATURE) {
    throw new DumpFormatError('the file does not start with the PAGEDU64 signature of a 64-bit kernel dump');
  }
  const length = buffer.readUInt32LE(8);
  if (buffer.length < 12 + length)
    throw new DumpFormatError('the file is shorter than its header says (truncated dump)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(buffer.toString('utf8', 12, 12 + length));
  } catch (error) {
    throw new DumpFormatError(`the dump's content is not JSON (${String(error)})`);
  }
  const result = DumpContentSchema.safeParse(parsed);
  if (!result.success)
    throw new DumpFormatError(`the dump's content has an unexpected shape (${result.error.message})`);
  return result.data as DumpContent;
}
