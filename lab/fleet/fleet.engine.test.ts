/**
 * The fleet against a real PostgreSQL server (DRIVERLAB_PG_URL; `.ci/engines/postgres.sh start`
 * prints one): three agents with embedded lab hosts share one run, and one of them is killed with
 * SIGKILL, with everything it started, in the middle of a scenario.
 */
import { deepEqual, equal, ok } from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { findEngine } from '../../test/engines.testkit.js';
import { paths } from '../paths.js';
import { FleetDb } from './db.js';

const baseUrl = findEngine({
  name: 'PostgreSQL',
  envVar: 'DRIVERLAB_PG_URL',
  enable:
    'run bash .ci/engines/postgres.sh install && bash .ci/engines/postgres.sh start and set DRIVERLAB_PG_URL to the URL it prints',
});

const cli = join(paths.root, 'bin', 'driverlab.js');

/** The embedded lab, with its VMs renamed and their KDNET endpoints moved, as one agent's host. */
async function agentLab(dir: string, agent: number): Promise<string> {
  const source = join(paths.root, 'lab', 'labs', 'embedded.yaml');
  const data = parse(await readFile(source, 'utf8')) as Record<string, unknown> & {
    vms: Array<{
      name: string;
      debug?: { hostIp: string; port: number };
      guestCredential: { password: { file: string } };
    }>;
    drivers: Array<{ package: string }>;
    embedded: { guests: Record<string, unknown>; faults?: Record<string, unknown> };
  };
  const labDir = resolve(source, '..');
  data.name = `host-${agent}`;
  const guests: Record<string, unknown> = {};
  data.vms.forEach((vm, i) => {
    const renamed = `h${agent}-vm${i + 1}`;
    guests[renamed] = data.embedded.guests[vm.name];
    vm.name = renamed;
    vm.guestCredential.password.file = join(labDir, vm.guestCredential.password.file);
    if (vm.debug)
      vm.debug = { ...vm.debug, hostIp: `127.0.${agent}.${10 + i}`, port: 50100 + agent * 10 + i };
  });
  data.embedded.guests = guests;
  for (const guest of Object.values(guests) as Array<{ accounts?: Array<{ password: { file: string } }> }>) {
    for (const account of guest.accounts ?? []) account.password.file = join(labDir, account.password.file);
  }
  data.embedded.faults = {};
  for (const driver of data.drivers) driver.package = join(labDir, driver.package);
  const file = join(dir, `host-${agent}.yaml`);
  await writeFile(file, stringify(data, { aliasDuplicateObjects: false }));
  return file;
}

function start(
  args: string[],
  detached: boolean,
): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: paths.root,
    detached,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { child, output: () => text, exit };
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a run on three agents over PostgreSQL', { skip: !baseUrl }, () => {
  const database = `driverlab_fleet_${randomBytes(4).toString('hex')}`;
  let url = '';
  let dir = '';
  const admin = new pg.Client({ connectionString: baseUrl ?? undefined });

  before(async () => {
    await admin.connect();
    await admin.query(`create database ${database}`);
    const parsed = new URL(baseUrl as string);
    parsed.pathname = `/${database}`;
    url = parsed.toString();
    dir = await mkdtemp(join(tmpdir(), 'driverlab-fleet-'));
  });

  after(async () => {
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => {});
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets every host of a fleet create the tables at the same moment', async () => {
    // Agents started together all create the schema: PostgreSQL's "create schema if not exists"
    // races with itself (a duplicate key in pg_namespace), which stopped an agent at its start.
    const fresh = `driverlab_fleet_${randomBytes(4).toString('hex')}`;
    await admin.query(`create database ${fresh}`);
    const at = new URL(baseUrl as string);
    at.pathname = `/${fresh}`;
    try {
      const opened = await Promise.allSettled(Array.from({ length: 8 }, () => FleetDb.open(at.toString())));
      const refused = opened.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
      for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
      deepEqual(refused, []);
    } finally {
      await admin.query(`drop database if exists ${fresh} with (force)`).catch(() => {});
    }
  });

  it('finishes with exactly one result per scenario when an agent is killed mid-run', {
    timeout: 600_000,
  }, async () => {
    const labs = await Promise.all([1, 2, 3].map((n) => agentLab(dir, n)));
    const agents = labs.map((lab, i) =>
      start(
        [
          'agent',
          '--db',
          url,
          '--lab',
          lab,
          '--name',
          `agent-${i + 1}`,
          '--heartbeat',
          '500ms',
          '--dead-after',
          '2s',
        ],
        true,
      ),
    );
    const run = start(['run', '--db', url, '--agent-timeout', '2s', '--no-report'], false);
    const db = new pg.Client({ connectionString: url });
    let victimScenario = '';
    // What failed in the run, kept so that the agents' exit codes checked after it cannot hide it.
    let failure: unknown = null;
    const outputs = () =>
      agents.map((a, i) => `--- agent-${i + 1} ---\n${a.output().slice(-4000)}`).join('\n');
    try {
      // Wait until agent 2 is in the middle of a scenario, then kill it and all it started.
      await db.connect();
      for (let i = 0; i < 1200 && victimScenario === ''; i++) {
        const { rows } = await db
          .query(
            "select scenario from driverlab_fleet.attempts where agent = 'agent-2' and finished_at is null limit 1",
          )
          .catch(() => ({ rows: [] as Array<{ scenario: string }> }));
        if (rows[0]) victimScenario = rows[0].scenario;
        else await new Promise((r) => setTimeout(r, 100));
      }
      ok(victimScenario !== '', `agent 2 never took a scenario:\n${agents[1]?.output()}\n${run.output()}`);
      process.kill(-(agents[1]?.child.pid as number), 'SIGKILL');

      const code = await run.exit;
      equal(code, 0, run.output());

      const { rows: runs } = await db.query('select id, total, status from driverlab_fleet.runs');
      equal(runs.length, 1);
      equal(runs[0].status, 'finished');
      const { rows: outcomes } = await db.query(
        'select scenario, status, agent, job_id::text as job_id, attempt from driverlab_fleet.outcomes',
      );
      equal(outcomes.length, runs[0].total, 'every scenario has a final result');
      equal(new Set(outcomes.map((o) => o.scenario)).size, outcomes.length, 'no scenario has two');
      deepEqual(
        outcomes.filter((o) => o.status !== 'passed').map((o) => `${o.scenario}: ${o.status}`),
        [],
        `every scenario passed:\n${outputs()}`,
      );
      const victim = outcomes.find((o) => o.scenario === victimScenario);
      ok(
        victim && victim.agent !== 'agent-2',
        `the killed agent's scenario finished on another agent (${victim?.agent})`,
      );
      const { rows: lost } = await db.query(
        "select status from driverlab_fleet.attempts where agent = 'agent-2' and scenario = $1",
        [victimScenario],
      );
      deepEqual(
        lost.map((r) => r.status),
        ['agent-lost'],
      );
      // The report is built from every host's results: one result file per scenario, and nothing twice.
      const files = (await readdir(paths.allureResults)).filter((f) => f.endsWith('-result.json'));
      equal(files.length, runs[0].total);
      ok(!groupAlive(agents[1]?.child.pid as number), 'nothing the killed agent started is left');
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      await db.end().catch(() => {});
      for (const a of agents) {
        if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGINT');
      }
      const codes = await Promise.all(agents.map((a) => a.exit));
      for (const a of agents) {
        if (groupAlive(a.child.pid as number)) process.kill(-(a.child.pid as number), 'SIGKILL');
      }
      // The two agents stopped with Ctrl-C finish what they run and exit cleanly.
      if (failure === null) deepEqual([codes[0], codes[2]], [0, 0], `agents 1 and 3 exit 0:\n${outputs()}`);
    }
  });
});
