/**
 * How an engine test (`*.engine.test.ts`) finds its engine: the environment variable first
 * (DRIVERLAB_PG_URL, DRIVERLAB_CHROMIUM, DRIVERLAB_PWSH), then a program on PATH. A missing engine
 * prints one line saying the test did not run and how to enable it — and fails when CI=true, where
 * `.ci/run` has installed every engine (.ci/engines/README.md).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface EngineWanted {
  /** What the engine is, for the line printed when it is missing ("PostgreSQL"). */
  name: string;
  /** The variable that names it (a URL or an executable). */
  envVar: string;
  /** Programs on PATH that will do when the variable is not set (["pwsh"]). */
  programs?: readonly string[];
  /** How to get it, e.g. "run bash .ci/engines/postgres.sh install && bash .ci/engines/postgres.sh start". */
  enable: string;
}

export interface EngineContext {
  env?: NodeJS.ProcessEnv;
  /** Where the one line goes (default: stdout). */
  print?: (line: string) => void;
}

function onPath(program: string, env: NodeJS.ProcessEnv): string | null {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const candidate = join(dir, program + ext);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** The engine's URL or executable; null, after one printed line, when it is missing outside CI. */
export function findEngine(wanted: EngineWanted, context: EngineContext = {}): string | null {
  const env = context.env ?? process.env;
  const given = env[wanted.envVar];
  if (given !== undefined && given.trim() !== '') return given;
  for (const program of wanted.programs ?? []) {
    const found = onPath(program, env);
    if (found) return found;
  }
  const where = wanted.programs?.length
    ? `${wanted.envVar} is not set and ${wanted.programs.join(', ')} is not on PATH`
    : `${wanted.envVar} is not set`;
  if (env.CI === 'true') {
    throw new Error(
      `The ${wanted.name} engine tests cannot run in CI because ${where}; ${wanted.enable} (see .ci/engines/README.md).`,
    );
  }
  (context.print ?? console.log)(
    `engines: the ${wanted.name} tests did not run because ${where}; to run them, ${wanted.enable}.`,
  );
  return null;
}
