/**
 * `driverlab buckets`: the crash buckets the run store keeps, across runs: first seen, last seen,
 * how many crashes, which scenarios and drivers.
 */
import { resolve } from 'node:path';
import { ConfigurationError } from '../../errors.js';
import { gatePaths } from '../../gate/gate.js';
import { RunStore } from '../../store/store.js';
import { type CliIo, type Command, EXIT, parseCommandArgs, UsageError } from '../command.js';

const HELP = `Usage: driverlab buckets [--format text|json] [--runs] [--db URL | --store DIR]

Lists the crash buckets of the runs the run store keeps (newest first): the bucket, its bug
check, first and last seen, how many crashes (and how many no scenario expected), the scenarios
and the drivers.

Options:
  --format FMT   text (default) or json
  --runs         list the kept runs instead (their ids are what 'driverlab gate --baseline' takes)
  --db URL       a PostgreSQL run store (default: the embedded store in reports/run-store; also $DRIVERLAB_DB)
  --store DIR    the embedded run store's folder (default reports/run-store)
  -h, --help     this text`;

async function buckets(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('buckets', args, {
    format: { type: 'string', default: 'text' },
    runs: { type: 'boolean', default: false },
    db: { type: 'string' },
    store: { type: 'string' },
  });
  if (positionals.length > 0)
    throw new UsageError(
      `'driverlab buckets' takes no argument '${positionals[0]}'; run 'driverlab buckets --help' to see its usage.`,
    );
  if (values.format !== 'text' && values.format !== 'json')
    throw new UsageError(`'driverlab buckets' has no format '${values.format}'; choose text or json.`);
  let store: RunStore;
  try {
    store = await RunStore.open({
      url: values.db ?? (io.env.DRIVERLAB_DB || undefined),
      dir: values.store ? resolve(io.cwd, values.store) : gatePaths.store,
    });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`driverlab buckets: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  try {
    if (values.runs) {
      const runs = await store.runs();
      if (values.format === 'json') io.stdout(`${JSON.stringify(runs, null, 2)}\n`);
      else if (runs.length === 0) io.stdout('The run store keeps no run yet; run driverlab run first.\n');
      else
        for (const r of runs)
          io.stdout(
            `${r.id}\t${r.finishedAt}\t${r.profile}${r.complete ? '' : ' (partial)'}\t${r.failingBuckets.length} failing bucket(s)\n`,
          );
      return EXIT.ok;
    }
    const list = await store.buckets();
    if (values.format === 'json') {
      io.stdout(`${JSON.stringify(list, null, 2)}\n`);
      return EXIT.ok;
    }
    if (list.length === 0) {
      io.stdout('No crash bucket in the kept runs.\n');
      return EXIT.ok;
    }
    for (const b of list) {
      io.stdout(
        `${b.id}${b.bugcheck ? ` (${b.bugcheck})` : ''}\n  first seen ${b.firstSeen}, last seen ${b.lastSeen}, ${b.count} crash(es), ${b.unexpected} unexpected\n  scenarios: ${b.scenarios.join('; ')}\n  drivers: ${b.drivers.join(', ') || 'none named'}\n`,
      );
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export const bucketsCommand: Command = {
  name: 'buckets',
  summary: 'the crash buckets across the kept runs: first and last seen, count, scenarios, drivers',
  help: HELP,
  run: buckets,
};
