/**
 * What kd prints when the target stops: the `*** Fatal System Error: 0x…` banner with its four
 * parameters (a bug check), or `Break instruction exception` alone (a breakpoint, not a crash).
 * Also reads `.bugcheck` (`Bugcheck code 0000000a` / `Arguments …`).
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull, StopCode, stopCodeOrNull } from './hex.js';
import { filled, prepare, Reader } from './text.js';

export const BugcheckBannerResult = z.object({
  /** True for a bug check; false when the text shows only a break instruction exception. */
  isBugcheck: z.boolean(),
  /** The stop code (`0xd1`, see README.md), null for a breakpoint. */
  code: StopCode.nullable(),
  /** The four parameters; a parameter the text elides (`0x...`) is null. */
  args: z.array(Hex.nullable()),
  driverAtFault: z.string().nullable(),
  /** False for "Bugcheck callbacks have not been invoked", true when they have, null if not said. */
  callbacksInvoked: z.boolean().nullable(),
  breakInstruction: z.boolean(),
});
export type BugcheckBannerResult = z.infer<typeof BugcheckBannerResult>;

/** Parses the bug check banner, a break-in message, or `.bugcheck` output. */
export function parseBugcheckBanner(text: string): BugcheckBannerResult {
  const reader = new Reader('bugcheck-banner', 'the kd bug check banner (or .bugcheck)', text);
  const lines = filled(prepare(text));
  let code: string | null = null;
  let args: (string | null)[] = [];
  let driver: string | null = null;
  let callbacks: boolean | null = null;
  let breakInstruction = false;
  for (let i = 0; i < lines.length; i += 1) {
    const t = lines[i]?.text.trim() ?? '';
    const fatal = /^\*\*\* Fatal System Error: (0x[0-9a-fA-F]{8})$/.exec(t);
    if (fatal) {
      code = stopCodeOrNull(fatal[1] ?? '');
      const next = lines[i + 1]?.text.trim() ?? '';
      const p = /^\(([^,()]+),([^,()]+),([^,()]+),([^,()]+)\)$/.exec(next);
      if (p) {
        args = [p[1], p[2], p[3], p[4]].map((a) => hexOrNull((a ?? '').trim()));
        i += 1;
      }
      continue;
    }
    const dot = /^Bugcheck code ([0-9a-fA-F]+)$/.exec(t);
    if (dot) {
      code = stopCodeOrNull(dot[1] ?? '');
      continue;
    }
    const dotArgs = /^Arguments ((?:[0-9a-fA-F`]+\s*){4})$/.exec(t);
    if (dotArgs && code !== null) {
      args = (dotArgs[1] ?? '')
        .trim()
        .split(/\s+/)
        .map((a) => hexOrNull(a));
      continue;
    }
    const d = /^Driver at fault:\s*(.*)$/.exec(t);
    if (d) driver = (d[1] ?? '').trim() || null;
    if (/Bugcheck callbacks have not been invoked/.test(t)) callbacks = false;
    else if (/Bugcheck callbacks have been invoked/.test(t)) callbacks = true;
    if (/^Break instruction exception - code 80000003/.test(t)) breakInstruction = true;
  }
  if (code === null && !breakInstruction) {
    throw reader.fail(
      'it has neither "*** Fatal System Error: 0x…", ".bugcheck" output nor "Break instruction exception"',
      lines[0],
    );
  }
  if (code !== null && args.length !== 4) args = [null, null, null, null];
  return built(BugcheckBannerResult, {
    isBugcheck: code !== null,
    code,
    args,
    driverAtFault: driver,
    callbacksInvoked: callbacks,
    breakInstruction,
  });
}
