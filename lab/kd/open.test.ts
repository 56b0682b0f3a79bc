import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { virtualClock } from '../clock.js';
import { debuggerCommand } from '../compose.js';
import { type LabFile, parseLabFile, Timeouts } from '../config/lab-file.js';
import { Redactor } from '../config/secrets.js';
import { withChosenPorts } from '../endpoints.js';
import { ConfigurationError, HarnessLogicError } from '../errors.js';
import { paths } from '../paths.js';
import { debuggerOptions } from './open.js';

const asWritten = parseLabFile(readFileSync(paths.embeddedLab, 'utf8'), paths.embeddedLab);
// The embedded lab's ports are `auto`: the composition root chooses them (lab/endpoints.ts).
const chosen = (file: LabFile) => withChosenPorts(file, { 'win11-a': 50011, 'win11-b': 50012 });
const embedded = chosen(asWritten);

function labOf(file = embedded) {
  return {
    file,
    clock: virtualClock(),
    redactor: new Redactor(),
    timeouts: Timeouts.parse({}),
    debuggerExecutable: () => debuggerCommand(file),
  };
}

function vmOf(name: string, file = embedded) {
  const config = file.data.vms.find((v) => v.name === name);
  if (!config) throw new Error(`no VM ${name}`);
  const nmis: string[] = [];
  return { vm: { name, config, injectNmi: async () => void nmis.push(name) }, nmis };
}

describe('a debugger as the lab file says', () => {
  it('starts the simulated debugger on the VM’s KDNET endpoint with the lab’s timeouts', async () => {
    const lab = labOf();
    const { vm, nmis } = vmOf('win11-a');
    const options = debuggerOptions(lab, vm, { verifierPolicy: () => 'b', key: '1.2.3.4' });
    expect.deepEqual(options.connection, { kind: 'net', hostIp: '127.0.0.11', port: 50011, key: '1.2.3.4' });
    expect.equal(options.subject, "VM 'win11-a'");
    // The simulated debugger: its startup snapshot where this Node makes one, else its bundle.
    expect.match(options.executable.leadingArgs.join(' '), /^--snapshot-blob \S+kd\.blob --$|kd\.mjs$/);
    expect.deepEqual(options.timeouts, {
      connectMs: 120_000,
      commandMs: 60_000,
      stopMs: 300_000,
      breakInMs: 10_000,
    });
    expect.deepEqual(
      options.breakIn?.map((s) => s.kind),
      ['break-byte', 'nmi'],
    );
    const nmi = options.breakIn?.[1];
    if (nmi?.kind === 'nmi') await nmi.inject();
    expect.deepEqual(nmis, ['win11-a']);
    expect.equal(lab.redactor.redact('key=1.2.3.4'), "key=«redacted: the KDNET key of VM 'win11-a'»");
  });

  it('breaks in with the lab file’s strategies, in its order, and answers the verifier as it says', async () => {
    const text = readFileSync(paths.embeddedLab, 'utf8').replace(
      'executable: embedded',
      [
        'executable: embedded',
        '  breakIn:',
        '    strategies: [nmi, console-ctrl, break-byte]',
        '    consoleHelper: { file: tools/ctrlc.exe, args: [--quiet] }',
        '  verifierAnswer: i',
      ].join('\n'),
    );
    const file = chosen(parseLabFile(text, paths.embeddedLab));
    const { vm, nmis } = vmOf('win11-a', file);
    const options = debuggerOptions(labOf(file), vm, { key: '1.2.3.4' });
    expect.deepEqual(
      options.breakIn?.map((s) => s.kind),
      ['nmi', 'console-ctrl', 'break-byte'],
    );
    const [nmi, console] = options.breakIn ?? [];
    if (nmi?.kind === 'nmi') await nmi.inject();
    expect.deepEqual(nmis, ['win11-a']);
    expect.deepEqual(console?.kind === 'console-ctrl' ? console.helper : null, {
      file: join(dirname(paths.embeddedLab), 'tools', 'ctrlc.exe'),
      args: ['--quiet'],
    });
    expect.equal(options.verifierPolicy({ text: '(bizrd)? ', choices: ['b', 'i', 'z', 'r', 'd'] }), 'i');
    const withoutNmi = debuggerOptions(labOf(file), vm, { key: '1.2.3.4', nmiFallback: false });
    expect.deepEqual(
      withoutNmi.breakIn?.map((s) => s.kind),
      ['console-ctrl', 'break-byte'],
    );
    const policy = debuggerOptions(labOf(file), vm, { key: '1.2.3.4', verifierPolicy: () => 'z' });
    expect.equal(policy.verifierPolicy({ text: '', choices: ['b', 'i', 'z', 'r', 'd'] }), 'z');
  });

  it('needs a KDNET key from the lab file or the scenario', () => {
    const { vm } = vmOf('win11-b');
    expect.throws(
      () => debuggerOptions(labOf(), vm, { verifierPolicy: () => 'b' }),
      (e: unknown) => {
        expect.ok(e instanceof ConfigurationError, 'a ConfigurationError');
        expect.equal(
          e.message,
          `VM 'win11-b' debugs over KDNET but no key is known: give vms.1.debug.key in the lab file '${paths.embeddedLab}', or let the scenario capture it from bcdedit /dbgsettings.`,
        );
        return true;
      },
    );
  });

  it('refuses a kd.exe that is not there before anything starts', () => {
    const text = readFileSync(paths.embeddedLab, 'utf8').replace(
      'executable: embedded',
      'executable: C:\\Debuggers\\x64\\kd.exe',
    );
    const file = chosen(parseLabFile(text, paths.embeddedLab));
    const { vm } = vmOf('win11-a', file);
    expect.throws(
      () => debuggerOptions(labOf(file), vm, { verifierPolicy: () => 'b', key: '1.2.3.4' }),
      /names the debugger '.*kd\.exe' \(debugger\.executable\), which does not exist; install the Debugging Tools for Windows or correct the path/,
    );
  });

  it('never starts a debugger on an `auto` port nobody chose (the composition root chooses it)', () => {
    const { vm } = vmOf('win11-a', asWritten);
    expect.throws(
      () => debuggerOptions(labOf(asWritten), vm, { verifierPolicy: () => 'b', key: '1.2.3.4' }),
      (e: unknown) => {
        expect.ok(e instanceof HarnessLogicError, 'a HarnessLogicError');
        expect.equal(
          e.message,
          "The KDNET port of VM 'win11-a' is 'auto' and was never chosen; a lab is opened through composeLab (lab/compose.ts), which chooses it.",
        );
        return true;
      },
    );
  });
});
