/**
 * A CliIo that records what a command printed, for tests of commands run through main().
 */
import type { CliIo } from '../../../lab/cli/command.js';

export interface CapturedIo extends CliIo {
  out: string;
  err: string;
}

export function captureIo(
  options: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CapturedIo {
  const io: CapturedIo = {
    out: '',
    err: '',
    stdout: (t) => {
      io.out += t;
    },
    stderr: (t) => {
      io.err += t;
    },
    readStdin: async (maxBytes = Number.POSITIVE_INFINITY) => {
      const text = options.stdin ?? '';
      return Buffer.byteLength(text) > maxBytes ? null : text;
    },
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
  };
  return io;
}
