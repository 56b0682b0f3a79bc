/**
 * The simulated debugger starts from a startup snapshot where this Node can make one
 * (lab/sim/launch.ts): started that way it must read its own command line and console exactly as
 * when started from its bundle, and a snapshot made by another Node is made again.
 */
import { strict as expect } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { embeddedDebuggerCommand, ensureKdSnapshot, ensureSimBundle } from '../launch.js';

/**
 * Runs the debugger until it ends by itself; its standard input stays open meanwhile, as kd's does
 * under driverlab (an input that closed first would be a quit racing what kd does on its own).
 */
function run(
  leadingArgs: readonly string[],
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...leadingArgs, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe("the simulated debugger's startup snapshot", () => {
  it('is how the embedded lab starts its debugger, which reads its arguments as from its bundle', async () => {
    const blob = ensureKdSnapshot();
    expect.ok(blob, 'Node 20 and later make startup snapshots');
    expect.deepEqual(embeddedDebuggerCommand().leadingArgs, ['--snapshot-blob', blob, '--']);
    const snapshot = ['--snapshot-blob', blob, '--'];
    const bundle = [ensureSimBundle('kd')];
    // kd's own options (-k, -z, -y) come after `--`, so Node does not take them for its own: a
    // dump kd cannot open is said as kd says it, and kd ends with 1.
    const dump = ['-z', '/nonexistent/driverlab/MEMORY.DMP', '-y', 'srv*'];
    const fromSnapshot = await run(snapshot, dump);
    expect.match(fromSnapshot.stdout, /Loading Dump File \[\/nonexistent\/driverlab\/MEMORY\.DMP\]/);
    expect.match(fromSnapshot.stdout, /Could not open dump file/);
    expect.equal(fromSnapshot.status, 1);
    expect.deepEqual(fromSnapshot, await run(bundle, dump));
    // A port kd refuses is refused in kd's words, before anything listens.
    const badPort = ['-k', 'net:port=notaport,key=1.2.3.4'];
    const refused = await run(snapshot, badPort);
    expect.match(refused.stderr, /^kd: -k net: needs port=<49152-65535>; usage: kd /);
    expect.equal(refused.status, 1);
    expect.deepEqual(refused, await run(bundle, badPort));
  });

  it('is made again when another Node made it', () => {
    const blob = ensureKdSnapshot();
    expect.ok(blob);
    const inputsFile = blob.replace(/kd\.blob$/, 'kd-snapshot.inputs.json');
    const inputs = JSON.parse(readFileSync(inputsFile, 'utf8')) as { node: string };
    const before = statSync(blob).mtimeMs;
    writeFileSync(inputsFile, JSON.stringify({ ...inputs, node: 'v0.0.0' }));
    expect.equal(ensureKdSnapshot(), blob);
    expect.ok(statSync(blob).mtimeMs > before, 'a snapshot runs only in the Node that made it');
    expect.equal(JSON.parse(readFileSync(inputsFile, 'utf8')).node, process.version);
  });
});
