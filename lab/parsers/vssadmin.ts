/**
 * `vssadmin list writers`: one block per writer. Values are kept as printed; an inconsistent
 * state (`[1] Stable` with `Last error: Timed out`) is reported as it is, never "fixed".
 */
import * as z from 'zod';
import { built } from './built.js';
import { filled, type Line, prepare, Reader } from './text.js';

export const VssWriter = z.object({
  name: z.string(),
  id: z.string().nullable(),
  instanceId: z.string().nullable(),
  /** `VSS_WRITER_STATE` number and the text vssadmin printed for it. */
  state: z.object({ code: z.number().int(), text: z.string() }).nullable(),
  lastError: z.string().nullable(),
});
export type VssWriter = z.infer<typeof VssWriter>;

export const VssWritersResult = z.object({ writers: z.array(VssWriter), truncated: z.boolean() });
export type VssWritersResult = z.infer<typeof VssWritersResult>;

/** Parses `vssadmin list writers` output. */
export function parseVssadminWriters(text: string): VssWritersResult {
  const reader = new Reader('vssadmin-writers', 'vssadmin list writers', text);
  const lines = filled(prepare(text));
  const writers: VssWriter[] = [];
  let truncated = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as Line;
    const t = line.text.trim();
    if (
      /^vssadmin \d/.test(t) ||
      /^\(C\) Copyright/.test(t) ||
      /^Waiting for responses\./.test(t) ||
      /^These may be delayed/.test(t)
    )
      continue;
    // A markdown page marks each block with `>` (a blockquote whose other lines are lazy).
    const name = /^>?\s*Writer name: '(.*)'$/.exec(t);
    if (name) {
      writers.push({ name: name[1] ?? '', id: null, instanceId: null, state: null, lastError: null });
      continue;
    }
    const w = writers[writers.length - 1];
    const id = /^Writer Id: (\{[0-9a-fA-F-]{36}\})$/.exec(t);
    const inst = /^Writer Instance Id: (\{[0-9a-fA-F-]{36}\})$/.exec(t);
    const state = /^State: \[(\d+)\] (.+)$/.exec(t);
    const last = /^Last error: (.+)$/.exec(t);
    if (w && id && w.id === null) w.id = id[1] ?? null;
    else if (w && inst && w.instanceId === null) w.instanceId = inst[1] ?? null;
    else if (w && state && w.state === null)
      w.state = { code: Number(state[1]), text: (state[2] ?? '').trim() };
    else if (w && last && w.lastError === null) w.lastError = (last[1] ?? '').trim();
    else if (i === lines.length - 1 && w) truncated = true;
    else
      throw reader.fail(
        'a line is not a field of a writer block ("Writer name:", "Writer Id:", "State:", "Last error:")',
        line,
      );
  }
  if (writers.length === 0) throw reader.fail('it has no "Writer name: \'…\'" line', lines[0]);
  return built(VssWritersResult, { writers, truncated });
}
