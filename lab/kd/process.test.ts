/** How kd is started and its output decoded, without starting it. */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../errors.js';
import { JOB_LAUNCHER, launchPlan, outputDecoder } from './process.js';
import { decodeLog, kdArguments } from './session.js';

const kd = { file: 'C:\\Debuggers\\x64\\kd.exe', leadingArgs: [] };

describe("kd's process", () => {
  it('on Windows with a console break-in, is started by the Job launcher with its own console', () => {
    const plan = launchPlan(
      { executable: kd, args: ['-k', 'net:port=50000,key=a.b.c.d'], ownConsole: true },
      'win32',
      4242,
    );
    expect.equal(plan.file, 'powershell.exe');
    expect.deepEqual(plan.args.slice(-7, -1), [
      JOB_LAUNCHER,
      '-ParentPid',
      '4242',
      '-Kd',
      kd.file,
      '-KdArguments',
    ]);
    // kd's own arguments travel as data (base64 JSON): '-k' is never read as one of the script's parameters.
    expect.deepEqual(JSON.parse(Buffer.from(plan.args.at(-1) ?? '', 'base64').toString('utf8')), [
      '-k',
      'net:port=50000,key=a.b.c.d',
    ]);
    expect.equal(plan.group, false);
  });

  it('elsewhere, is the leader of a process group of its own', () => {
    const plan = launchPlan(
      { executable: { file: 'node', leadingArgs: ['kd.mjs'] }, args: ['-z', 'x.dmp'], ownConsole: false },
      'linux',
      1,
    );
    expect.deepEqual([plan.file, plan.args, plan.group], ['node', ['kd.mjs', '-z', 'x.dmp'], true]);
  });

  it("decodes the console code page kd writes, so a module path's accents survive", () => {
    const bytes = Buffer.from('C:\\Treiber\\\u00fcber.sys', 'latin1');
    expect.equal(outputDecoder('windows-1252').decode(bytes), 'C:\\Treiber\\\u00fcber.sys');
    expect.equal(outputDecoder(undefined).decode(bytes), 'C:\\Treiber\\\ufffdber.sys');
    expect.throws(
      () => outputDecoder('cp-nonsense'),
      (e: unknown) =>
        e instanceof ConfigurationError &&
        e.message ===
          "The debugger's output encoding 'cp-nonsense' (debugger.outputEncoding) is not an encoding driverlab can decode; give a WHATWG label such as 'utf-8', 'windows-1252' or 'ibm866', or switch kd's console to UTF-8 (code page 65001).",
    );
  });

  it('reads a -logou log as UTF-16 and asks kd for one when told', () => {
    const text = 'Opened log file \u00e9t\u00e9.log\n';
    const unicode = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect.equal(decodeLog(unicode), text);
    expect.equal(decodeLog(Buffer.from(text, 'utf8')), text);
    expect.deepEqual(kdArguments({ kind: 'dump', path: 'm.dmp' }, undefined, 'kd.log', true), [
      '-z',
      'm.dmp',
      '-logou',
      'kd.log',
    ]);
  });
});
