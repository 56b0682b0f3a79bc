/** Runs `driverlab` in-process, as tests of its commands need: argv in, exit code and output back. */

import type { CliIo } from '../../../lab/cli/command.js';
import { main } from '../../../lab/cli/main.js';
import { paths } from '../../../lab/paths.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runDriverlab(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    readStdin: async () => '',
    cwd: paths.root,
    env,
  };
  const code = await main(argv, io);
  return { code, ...out };
}
