/**
 * `driverlab agent`: serves one lab host's VMs to the fleet (lab/fleet/agent.ts).
 */
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { parseDbUrl } from '../../fleet/db.js';
import { parseDuration } from '../../params/duration.js';
import { paths } from '../../paths.js';
import { type CliIo, type Command, parseCommandArgs, UsageError } from '../command.js';

const HELP = `Usage: driverlab agent --db URL [--lab FILE] [--name NAME] [--heartbeat DURATION] [--dead-after DURATION]

Serves this host's VMs to the fleet: takes the scenarios its VMs can serve from the PostgreSQL
queue that 'driverlab run --db URL' fills, runs each on this host's lab, and stores the outcome and
the evidence in the database. Stop it with Ctrl-C: it finishes the scenarios it runs, then exits.

Options:
  --db URL              the fleet's PostgreSQL database (postgres://user@host:port/database)
  --lab FILE            this host's lab file (default: $DRIVERLAB_LAB, else the embedded lab)
  --name NAME           the agent's name in the fleet (default: this machine's host name)
  --heartbeat DURATION  how often it tells the fleet it is alive (default: 5 s)
  --dead-after DURATION how long without the database before it stops taking work (default: 30 s)
  -h, --help            this text

Exit code: 0 when stopped, 1 when it lost the database, 2 for a wrong command line or lab file.`;

async function agent(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('agent', args, {
    db: { type: 'string' },
    lab: { type: 'string' },
    name: { type: 'string' },
    heartbeat: { type: 'string' },
    'dead-after': { type: 'string' },
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `'driverlab agent' takes no argument '${positionals[0]}'; run 'driverlab agent --help'.`,
    );
  }
  const db = values.db ?? io.env.DRIVERLAB_DB;
  if (!db)
    throw new UsageError(
      "'driverlab agent' needs the fleet's database: give --db postgres://user@host:port/database.",
    );
  const labArg = values.lab ?? io.env.DRIVERLAB_LAB;
  const lab = labArg ? (isAbsolute(labArg) ? labArg : resolve(io.cwd, labArg)) : paths.embeddedLab;
  const name = values.name ?? hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new UsageError(
      `The agent name '${name}' is not a name of letters, digits, _ . - (at most 64); give one with --name.`,
    );
  }
  const heartbeatMs = values.heartbeat ? parseDuration(values.heartbeat) : 5000;
  const deadAfterMs = values['dead-after'] ? parseDuration(values['dead-after']) : 30_000;
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const { runAgent } = await import('../../fleet/agent.js');
  try {
    return await runAgent({
      db: parseDbUrl(db),
      lab,
      name,
      heartbeatMs,
      deadAfterMs,
      pollMs: Math.min(1000, heartbeatMs),
      log: (line) => io.stdout(`${line}\n`),
      signal: stop.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const agentCommand: Command = {
  name: 'agent',
  summary: "serve this host's VMs to a fleet run on PostgreSQL",
  help: HELP,
  run: agent,
};
