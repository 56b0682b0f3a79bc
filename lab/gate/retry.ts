/**
 * Honest retries (`driverlab run --retry N`): only a broken scenario — the lab could not do its
 * job — is run again, never a failed one (the driver misbehaved: running it again until it passes
 * would hide the bug). Each retry is a new Cucumber run of the broken scenarios by file:line, into
 * the same results (every attempt's evidence stays), on the next VM of the lab when there is one
 * (DRIVERLAB_ATTEMPT moves each worker's lease on by one VM). A scenario that was broken and then
 * passed is marked flaky in its last result, so the report and the gate say so; AutoHCK's retry
 * that makes a retried test look passed "without any indication that it was failed" is what this
 * refuses to be.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { paths } from '../paths.js';
import { readAttempts, scenariosOf } from './record.js';

/**
 * The env a retry run gets (into the same run folder, so the earlier attempts' results stay): for each scenario the VMs
 * its earlier attempts ran on (DRIVERLAB_RETRY_AVOID, `file:line` → VMs), which its lease avoids
 * when the lab has another; without a pool the worker's lease moves on by one VM per attempt.
 */
export function retryEnv(attempt: number, avoid: Record<string, string[]> = {}): Record<string, string> {
  return {
    DRIVERLAB_ATTEMPT: String(attempt),
    DRIVERLAB_RETRY_AVOID: JSON.stringify(avoid),
  };
}

/** The VMs each broken scenario's attempts ran on, by `file:line`. */
export async function vmsTried(resultsDir: string): Promise<Record<string, string[]>> {
  const tried: Record<string, string[]> = {};
  for (const s of scenariosOf(await readAttempts(resultsDir))) {
    if (s.status !== 'broken' || s.location === null) continue;
    tried[s.location] = [...new Set(s.attempts.map((a) => a.vm).filter((vm): vm is string => vm !== null))];
  }
  return tried;
}

/** `features/x.feature:12` of every scenario whose last attempt is broken (and that says where it is). */
export async function brokenLocations(resultsDir: string): Promise<string[]> {
  const scenarios = scenariosOf(await readAttempts(resultsDir));
  return scenarios
    .filter((s) => s.status === 'broken' && s.location !== null)
    .map((s) => s.location as string)
    .sort();
}

/**
 * Marks the last attempt of every broken-then-passed scenario flaky (Allure's statusDetails.flaky)
 * and returns their titles.
 */
export async function markFlaky(resultsDir: string): Promise<string[]> {
  const flaky = scenariosOf(await readAttempts(resultsDir)).filter((s) => s.flaky);
  for (const s of flaky) {
    const last = s.attempts[s.attempts.length - 1];
    if (!last) continue;
    const file = join(resultsDir, `${last.uuid}-result.json`);
    const result = JSON.parse(await readFile(file, 'utf8')) as { statusDetails?: Record<string, unknown> };
    const before = s.attempts
      .slice(0, -1)
      .map((a) => `${a.status} on ${a.vm ?? 'no VM'}`)
      .join(', then ');
    result.statusDetails = {
      ...(result.statusDetails ?? {}),
      flaky: true,
      message: `Flaky: passed on attempt ${last.attempt} on ${last.vm ?? 'no VM'} after ${before}; the earlier attempts are under Retries.`,
    };
    await writeFile(file, JSON.stringify(result));
  }
  return flaky.map((s) => s.title);
}

export interface RetryOptions {
  retries: number;
  resultsDir: string;
  /** The node arguments of a Cucumber run of these `file:line` locations (cucumber's bin first). */
  argsFor: (locations: string[]) => string[];
  env: NodeJS.ProcessEnv;
  say: (line: string) => void;
  /** How Cucumber's output is shown: inherited by a run, piped by a test. */
  stdio?: 'inherit' | 'pipe';
}

/**
 * Runs the broken scenarios again, up to `retries` times, then marks the broken-then-passed ones
 * flaky. Returns the last retry's exit code, or null when nothing was broken.
 */
export async function retryBroken(options: RetryOptions): Promise<number | null> {
  let last: number | null = null;
  for (let attempt = 2; attempt <= options.retries + 1; attempt += 1) {
    const broken = await brokenLocations(options.resultsDir);
    if (broken.length === 0) break;
    options.say(`attempt ${attempt} of ${broken.length} broken scenario(s): ${broken.join(' ')}`);
    const retry = await execa(process.execPath, options.argsFor(broken), {
      cwd: paths.root,
      env: { ...options.env, ...retryEnv(attempt, await vmsTried(options.resultsDir)) },
      stdio: options.stdio ?? 'inherit',
      reject: false,
    });
    last = retry.exitCode ?? 1;
  }
  const flaky = await markFlaky(options.resultsDir);
  if (flaky.length > 0) options.say(`flaky (broken, then passed on a retry): ${flaky.join('; ')}`);
  return last;
}
