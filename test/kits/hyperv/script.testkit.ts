/** What the adapter's tests share: where operations run, example parameters, embedded lab files. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as z from 'zod';
import { type OperationName, operations } from '../../../lab/hyperv/ops/operations.js';
import type { ScriptTarget } from '../../../lab/hyperv/script.js';
import { paths } from '../../../lab/paths.js';

/** Every kind of place an operation can run: the local shell, a remote host as the current identity, with a credential. */
export const TARGETS: Record<string, ScriptTarget> = {
  local: { computerName: null, credential: null },
  remote: { computerName: 'hv-02.lab.example', credential: null },
  'remote with credential': {
    computerName: 'hv-02.lab.example',
    credential: { user: 'LAB\\runner', password: 'example-host-password' },
  },
};

/** The operation's example parameters, as the adapter passes them (validated, defaults filled in). */
export function exampleParams(name: OperationName): unknown {
  return (operations[name].params as z.ZodType).parse(operations[name].example);
}

/** The data document inside the text of a script's here-string node. */
export function dataOf(hereString: string): unknown {
  const m = /^@'\r?\n([\s\S]*)\r?\n'@$/.exec(hereString);
  if (!m) throw new Error(`not a verbatim here-string: ${hereString.slice(0, 40)}`);
  return JSON.parse(m[1] as string);
}

/**
 * The embedded lab file with its host paced at wall speed (a guest shutdown then takes its real
 * 10 s), written into `dir`; secret files are referenced by absolute path.
 */
export function wallSpeedLab(dir: string): string {
  const text = readFileSync(paths.embeddedLab, 'utf8')
    .replace(/wallBudget: .*/, 'wallBudget: 30 s\n  pace: 1')
    .replaceAll(
      'embedded.secrets/guest-password',
      join(paths.root, 'lab', 'labs', 'embedded.secrets', 'guest-password'),
    );
  const file = join(dir, 'wall-speed.yaml');
  writeFileSync(file, text);
  return file;
}
