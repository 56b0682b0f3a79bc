/** Runs `driverlab` in-process, as tests of its commands need: argv in, exit code and output back. */
import { paths } from '../paths.js';
import type { CliIo } from './command.js';
import { main } from './main.js';

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
