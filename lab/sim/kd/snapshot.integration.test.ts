/**
 * The simulated debugger starts from a startup snapshot where this Node can make one
 * (lab/sim/launch.ts): started that way it must read its own command line and console exactly as
 * when started from its bundle, and a snapshot made by another Node is made again.
 */
import { strict as expect } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { embeddedDebuggerCommand, ensureKdSnapshot, ensureSimBundle } from '../launch.js';

function run(leadingArgs: readonly string[], args: readonly string[], input: string) {
  const r = spawnSync(process.execPath, [...leadingArgs, ...args], {
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the simulated debugger's startup snapshot", () => {
  it('is how the embedded lab starts its debugger, which reads its arguments as from its bundle', () => {
    const blob = ensureKdSnapshot();
    expect.ok(blob, 'Node 20 and later make startup snapshots');
    expect.deepEqual(embeddedDebuggerCommand().leadingArgs, ['--snapshot-blob', blob, '--']);
    // kd's own options (-z, -y) come after `--`, so Node does not take them for its own, and a dump
    // kd cannot open is said as kd says it, then `q` ends the session.
    const args = ['-z', '/nonexistent/driverlab/MEMORY.DMP', '-y', 'srv*'];
    const fromSnapshot = run(['--snapshot-blob', blob, '--'], args, 'q\n');
    const fromBundle = run([ensureSimBundle('kd')], args, 'q\n');
    expect.match(fromSnapshot.stdout, /Loading Dump File \[\/nonexistent\/driverlab\/MEMORY\.DMP\]/);
    expect.match(fromSnapshot.stdout, /Could not open dump file/);
    expect.deepEqual(fromSnapshot, fromBundle);
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
