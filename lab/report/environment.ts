/**
 * What the report's environment widget shows, and what the run store records of a run's context:
 * the lab, host and guest OS builds, the drivers under test with their versions (the INF's
 * DriverVer) and SHA-256, the debugger, the commits of the features and of the lab file, and the
 * executor (CI name and build link, when the environment says). Written into the Allure results as
 * environment.properties and executor.json (Allure reads both), and as reports/run-context.json.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import * as z from 'zod';
import { type LabFile, resolveLabPath } from '../config/lab-file.js';
import { paths } from '../paths.js';

export const RunContext = z.object({
  lab: z.string(),
  labFile: z.string(),
  profile: z.string(),
  tags: z.string().nullable(),
  /** Every feature of the profile ran (no tag subset, no named paths, no dry run). */
  complete: z.boolean(),
  featuresCommit: z.string().nullable(),
  labCommit: z.string().nullable(),
  executor: z.object({ name: z.string().nullable(), buildUrl: z.string().nullable() }).nullable(),
  environment: z.record(z.string(), z.string()),
});
export type RunContext = z.infer<typeof RunContext>;

async function git(args: string[]): Promise<string | null> {
  const r = await execa('git', args, { cwd: paths.root, reject: false });
  return r.exitCode === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

/** The commit that last changed a path, with "+changes" when the working tree differs from it. */
async function commitOf(path: string): Promise<string | null> {
  const commit = await git(['log', '-1', '--format=%h', '--', path]);
  if (commit === null) return null;
  const dirty = await git(['status', '--porcelain', '--', path]);
  return dirty ? `${commit}+changes` : commit;
}

/** The CI that runs driverlab, from what CI systems put in the environment. */
export function executorOf(env: NodeJS.ProcessEnv): RunContext['executor'] {
  const github =
    env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : null;
  const name =
    env.DRIVERLAB_CI_NAME ||
    (env.GITHUB_ACTIONS === 'true' ? 'GitHub Actions' : '') ||
    (env.GITLAB_CI ? 'GitLab CI' : '') ||
    (env.JENKINS_URL ? 'Jenkins' : '') ||
    (env.TF_BUILD ? 'Azure Pipelines' : '') ||
    (env.CI === 'true' ? 'CI' : '');
  const buildUrl = env.DRIVERLAB_BUILD_URL || github || env.CI_JOB_URL || env.BUILD_URL || null;
  return name || buildUrl ? { name: name || null, buildUrl } : null;
}

/** "1.0.0.0 (01/15/2013)" from an INF's DriverVer line, or null. */
function driverVer(inf: string): string | null {
  const m = /^\s*DriverVer\s*=\s*([^,\s]+)\s*,\s*([\d.]+)/im.exec(inf);
  return m ? `${m[2]} (${m[1]})` : null;
}

/** The run's context: read from the lab file, the driver packages, git and the environment. */
export async function runContext(
  lab: LabFile,
  run: { profile: string; tags: string | null; complete: boolean },
  env: NodeJS.ProcessEnv,
): Promise<RunContext> {
  const data = lab.data;
  const environment: Record<string, string> = {};
  environment.Lab = `${data.name} (${relative(paths.root, lab.path).split('\\').join('/')})`;
  if (data.kind === 'embedded') {
    environment['Host OS'] =
      `embedded simulated Hyper-V host on ${process.platform} (Node ${process.versions.node})`;
    for (const vm of data.vms) {
      const os = data.embedded.guests[vm.name]?.os;
      if (os) environment[`Guest OS: ${vm.name}`] = `${os.product} build ${os.build} (simulated)`;
    }
  } else {
    for (const host of data.hosts) environment[`Host: ${host.name}`] = host.computerName;
    for (const vm of data.vms) environment[`Guest: ${vm.name}`] = `baseline checkpoint '${vm.baseline}'`;
  }
  for (const d of data.drivers) {
    const dir = resolveLabPath(lab, d.package);
    const binary = await readFile(join(dir, d.binary)).catch(() => null);
    const inf = d.inf ? await readFile(join(dir, d.inf), 'utf8').catch(() => null) : null;
    const version = inf ? driverVer(inf) : null;
    const hash = binary
      ? `sha256 ${createHash('sha256').update(binary).digest('hex').slice(0, 16)}…`
      : 'binary not found';
    environment[`Driver: ${d.binary}`] = `${version ?? 'no DriverVer'}, ${hash}`;
  }
  environment.Debugger =
    data.debugger.executable === 'embedded'
      ? `embedded simulated kd (driverlab-kd ${packageVersion()})`
      : data.debugger.executable;
  const featuresCommit = await commitOf('features');
  const labCommit = await commitOf(lab.path);
  environment['Features commit'] = featuresCommit ?? 'not in a git repository';
  environment['Lab file commit'] = labCommit ?? 'not in a git repository';
  environment.Profile = run.tags ? `${run.profile}, tags ${run.tags}` : run.profile;
  const executor = executorOf(env);
  if (executor?.name) environment.Executor = executor.name;
  if (executor?.buildUrl) environment.Build = executor.buildUrl;
  return {
    lab: data.name,
    labFile: lab.path,
    profile: run.profile,
    tags: run.tags,
    complete: run.complete,
    featuresCommit,
    labCommit,
    executor,
    environment,
  };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(paths.root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** One `key=value` line of a .properties file, escaped as java.util.Properties reads it. */
function property(key: string, value: string): string {
  const esc = (s: string, isKey: boolean) =>
    s
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(isKey ? /([=: ])/g : /^( )/g, '\\$1')
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${esc(key, true)}=${esc(value, false)}`;
}

/** Writes environment.properties and executor.json into the results, and reports/run-context.json. */
export async function writeRunContext(
  context: RunContext,
  resultsDir: string,
  contextFile: string,
): Promise<void> {
  const env = context.environment;
  await writeFile(
    join(resultsDir, 'environment.properties'),
    `${Object.entries(env)
      .map(([k, v]) => property(k, v))
      .join('\n')}\n`,
  );
  if (context.executor) {
    await writeFile(
      join(resultsDir, 'executor.json'),
      JSON.stringify({
        name: context.executor.name ?? 'CI',
        type: 'ci',
        buildUrl: context.executor.buildUrl ?? undefined,
        buildName: context.executor.buildUrl ?? undefined,
      }),
    );
  }
  await writeFile(contextFile, `${JSON.stringify(context, null, 2)}\n`);
}

/** reports/run-context.json as written by the last run, or null. */
export async function readRunContext(file: string): Promise<RunContext | null> {
  try {
    return RunContext.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return null;
  }
}
