import { strict as expect } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../errors.js';
import { paths } from '../paths.js';
import { type DriverConfig, loadLabFile, parseLabFile } from './lab-file.js';

const FILE = 'lab/labs/nightly.yaml';

function featureFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return featureFiles(full);
    return name.endsWith('.feature') ? [full] : [];
  });
}

/** A small valid real-lab file; each test changes one thing in it. */
const valid = `kind: hyperv
name: nightly
hosts:
  - name: hv-01
vms:
  - name: win10-a
    baseline: baseline
    guestCredential: { user: Administrator, password: { env: WIN10_A_PASSWORD } }
    debug: { transport: net, hostIp: 192.168.50.1, port: 50000 }
  - name: win10-b
    baseline: baseline
    guestCredential: { user: Administrator, password: { env: WIN10_B_PASSWORD } }
    debug: { transport: pipe, name: win10-b_com1 }
drivers:
  - { name: baddriver, binary: baddriver.sys, service: baddriver, package: drivers/baddriver, fixedBy: baddriver-fixed }
  - { name: baddriver-fixed, binary: baddriver.sys, service: baddriver, package: drivers/baddriver-fixed }
debugger:
  executable: C:\\Debuggers\\kd.exe
`;

function problem(text: string): string {
  try {
    parseLabFile(text, FILE);
  } catch (error) {
    expect.ok(error instanceof ConfigurationError, `expected a ConfigurationError, got ${String(error)}`);
    return error.message;
  }
  throw new Error('the lab file was accepted');
}

const PREFIX = `The lab file '${FILE}' is not valid: `;
const SUFFIX = '; see lab/labs/README.md for every key.';

describe('a lab file', () => {
  it('is accepted when valid, with defaults filled in', () => {
    const lab = parseLabFile(valid, FILE);
    expect.equal(lab.data.kind, 'hyperv');
    expect.equal(lab.data.hosts[0]?.computerName, 'localhost');
    expect.equal(lab.data.hosts[0]?.shell, 'powershell');
    expect.equal(lab.data.timeouts.boot, 180_000, 'the default 180 s, in lab milliseconds');
    expect.deepEqual(lab.data.vms[1]?.debug, { transport: 'pipe', name: 'win10-b_com1', comPort: 1 });
    expect.equal(lab.dir, 'lab/labs');
  });

  it('shipped as example-hyperv.yaml validates and references every secret by environment variable', async () => {
    const lab = await loadLabFile(join(paths.root, 'lab', 'labs', 'example-hyperv.yaml'));
    expect.equal(lab.data.kind, 'hyperv');
    expect.equal(lab.data.vms.length, 2);
    expect.deepEqual(
      lab.data.vms.map((v) => v.debug?.transport),
      ['net', 'pipe'],
    );
    // The seed features run on it unchanged: every driver they name is in its drivers list with the
    // triggers the embedded lab file gives it, and it has every kind of test program the embedded lab has.
    const embedded = await loadLabFile(paths.embeddedLab);
    const named = new Set<string>();
    for (const file of featureFiles(join(paths.root, 'features'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\b([a-z][a-z0-9-]*)\.sys\b/gi)) {
        named.add((m[1] as string).toLowerCase());
      }
    }
    expect.ok(named.size >= 8, `the features name the seed drivers: ${[...named].join(', ')}`);
    for (const name of named) {
      const real: DriverConfig | undefined = lab.data.drivers.find((d) => d.name.toLowerCase() === name);
      const simulated = embedded.data.drivers.find((d) => d.name.toLowerCase() === name);
      expect.ok(real, `the example lab file's drivers have ${name}, which a feature names`);
      expect.ok(simulated, `the embedded lab file's drivers have ${name}`);
      expect.deepEqual(
        Object.keys(real.triggers).sort(),
        Object.keys(simulated.triggers).sort(),
        `${name}'s triggers`,
      );
      // A minifilter's altitude and instance come from its INF: sc create cannot install one.
      const kind =
        embedded.data.kind === 'embedded'
          ? embedded.data.embedded.drivers[simulated.name]?.filter?.kind
          : undefined;
      if (kind === 'minifilter') expect.ok(real.inf, `the minifilter ${name} is installed from its INF`);
    }
    expect.deepEqual(
      [...new Set(Object.values(lab.data.tools).map((t) => t.kind))].sort(),
      [...new Set(Object.values(embedded.data.tools).map((t) => t.kind))].sort(),
    );
    expect.equal(lab.data.drivers.find((d) => d.name === 'baddriver')?.fixedBy, 'baddriver-fixed');
    const refs = lab.data.vms.flatMap((v) => [
      ...('password' in v.guestCredential ? [v.guestCredential.password] : []),
      ...(v.debug?.transport === 'net' && v.debug.key ? [v.debug.key] : []),
    ]);
    expect.ok(refs.length >= 3 && refs.every((r) => 'env' in r));
  });

  it('shipped as embedded.yaml validates', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    expect.equal(lab.data.kind, 'embedded');
  });

  it('that cannot be read says so and where the path came from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-lab-'));
    try {
      const missing = join(dir, 'nope.yaml');
      await expect.rejects(loadLabFile(missing), {
        name: 'ConfigurationError',
        message: `The lab file '${missing}' cannot be read (ENOENT); check the path given with --lab or DRIVERLAB_LAB.`,
      });
      writeFileSync(join(dir, 'ok.yaml'), valid);
      expect.equal((await loadLabFile(join(dir, 'ok.yaml'))).data.name, 'nightly');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('that is not YAML names the line and column', () => {
    expect.equal(
      problem(valid.replace('hosts:\n', 'hosts: [\n')),
      `The lab file '${FILE}' is not valid YAML at line 4, column 3 (Block collections are not allowed within flow collections); fix the syntax and run again.`,
    );
    expect.equal(
      problem(`${valid}name: again\n`),
      `The lab file '${FILE}' is not valid YAML at line 19, column 1 (Map keys must be unique); fix the syntax and run again.`,
    );
  });

  it('with an unknown key names the dotted path and the keys allowed there', () => {
    expect.equal(
      problem(valid.replace('  - name: hv-01\n', '  - name: hv-01\n    shel: pwsh\n')),
      `${PREFIX}hosts.0 has an unknown key 'shel' (allowed: name, computerName, credential, shell)${SUFFIX}`,
    );
    expect.equal(
      problem(`${valid}timeouts: { bot: 3 }\n`),
      `${PREFIX}timeouts has an unknown key 'bot' (allowed: boot, shutdown, restore, readiness, guestCommand, hostOperation, kdConnect, kdCommand, kdBreakIn, bugcheck, scenario)${SUFFIX}`,
    );
  });

  it('with a missing, empty or mistyped value says what is required', () => {
    expect.equal(
      problem(valid.replace('    baseline: baseline\n', '')),
      `${PREFIX}vms.0.baseline is missing (a string is required)${SUFFIX}`,
    );
    expect.equal(
      problem(valid.replace('baseline: baseline', "baseline: ''")),
      `${PREFIX}vms.0.baseline must not be empty${SUFFIX}`,
    );
    expect.equal(
      problem(valid.replace('port: 50000', 'port: "50000"')),
      `${PREFIX}vms.0.debug.port must be a port from 49152 to 65535, or auto on the embedded lab (a free one chosen at run start) (got "50000")${SUFFIX}`,
    );
  });

  it('with a value outside the allowed set lists the values allowed', () => {
    expect.equal(
      problem(valid.replace('kind: hyperv', 'kind: vmware')),
      `${PREFIX}kind must be one of "hyperv", "embedded" (got "vmware")${SUFFIX}`,
    );
    expect.equal(
      problem(valid.replace('kind: hyperv\n', '')),
      `${PREFIX}kind is missing (one of "hyperv", "embedded" is required)${SUFFIX}`,
    );
    expect.equal(
      problem(valid.replace('transport: pipe', 'transport: usb')),
      `${PREFIX}vms.1.debug.transport must be one of "net", "pipe" (got "usb")${SUFFIX}`,
    );
    expect.equal(
      problem(valid.replace('name: win10-b_com1 }', 'name: win10-b_com1, comPort: 3 }')),
      `${PREFIX}vms.1.debug.comPort must be one of 1, 2 (got 3)${SUFFIX}`,
    );
  });

  it('with a number out of range or a value of the wrong form says the bound or the form', () => {
    expect.equal(
      problem(valid.replace('port: 50000', 'port: 70000')),
      `${PREFIX}vms.0.debug.port must be at most 65535 (got 70000)${SUFFIX}`,
    );
    expect.equal(
      problem(`${valid}timeouts: { boot: 240 }\n`),
      `${PREFIX}timeouts.boot: 240 has no unit; write a duration with its unit, such as "300 ms", "40 s" or "2 min" (for example "240 s")${SUFFIX}`,
    );
    expect.equal(
      problem(`${valid}timeouts: { boot: 4 fortnights }\n`),
      `${PREFIX}timeouts.boot: '4 fortnights' is not a duration with its unit, such as "300 ms", "40 s" or "2 min"${SUFFIX}`,
    );
    expect.equal(
      parseLabFile(`${valid}timeouts: { boot: 4 min, kdCommand: 1.5 s }\n`, FILE).data.timeouts.kdCommand,
      1500,
    );
    expect.equal(
      problem(valid.replace('192.168.50.1', '192.168.50')),
      `${PREFIX}vms.0.debug.hostIp must be an IPv4 address such as 192.168.0.2 (got "192.168.50")${SUFFIX}`,
    );
    expect.equal(
      problem(valid.replace('port: 50000 }', 'port: 50000, busparams: 0:25:0 }')),
      `${PREFIX}vms.0.debug.busparams must be b.d.f in decimal, such as 0.25.0 (got "0:25:0")${SUFFIX}`,
    );
    expect.equal(
      problem(
        valid.replace(
          'binary: baddriver.sys, service: baddriver, package: drivers/baddriver,',
          'binary: baddriver.exe, service: baddriver, package: drivers/baddriver,',
        ),
      ),
      `${PREFIX}drivers.0.binary must be a file name ending in .sys (got "baddriver.exe")${SUFFIX}`,
    );
  });

  it('with a secret written into it refuses it and says how to reference one', () => {
    const form =
      'a secret reference, { env: VARIABLE } or { file: path relative to the lab file }, since a lab file never holds a secret itself';
    expect.equal(
      problem(valid.replace('{ env: WIN10_A_PASSWORD }', 'hunter2')),
      `${PREFIX}vms.0.guestCredential.password must be ${form} (got "hunter2")${SUFFIX}`,
    );
    expect.equal(
      problem(valid.replace('port: 50000 }', 'port: 50000, key: { value: 1.2.3.4 } }')),
      `${PREFIX}vms.0.debug.key must be ${form} (got an object)${SUFFIX}`,
    );
  });

  it('reports every problem it finds, not only the first', () => {
    const message = problem(
      valid.replace('port: 50000', 'port: 70000').replace('baseline: baseline', "baseline: ''"),
    );
    expect.match(
      message,
      /vms\.0\.baseline must not be empty; vms\.0\.debug\.port must be at most 65535 \(got 70000\)/,
    );
  });

  it('whose parts do not fit together says which parts and how to fix them', () => {
    const cross = (text: string) => problem(text).replace(PREFIX, '');
    expect.equal(
      cross(valid.replace('  - name: win10-b\n', '  - name: win10-b\n    host: hv-02\n')),
      "vms.1.host names 'hv-02', which is not one of the hosts ('hv-01').",
    );
    expect.equal(
      cross(valid.replace('  - name: hv-01\n', '  - name: hv-01\n  - name: hv-02\n')),
      "vms.0.host is missing; with 2 hosts each VM must name its host (one of 'hv-01', 'hv-02'); vms.1.host is missing; with 2 hosts each VM must name its host (one of 'hv-01', 'hv-02').",
    );
    expect.equal(
      cross(valid.replace('  - name: win10-b\n', '  - name: WIN10-A\n')),
      "vms.1: the VM name 'WIN10-A' is used twice.",
    );
    expect.equal(
      cross(
        valid.replace(
          'debug: { transport: pipe, name: win10-b_com1 }',
          'debug: { transport: net, hostIp: 192.168.50.1, port: 50000 }',
        ),
      ),
      "vms.1.debug: VMs 'win10-a' and 'win10-b' both debug to 192.168.50.1:50000, but KDNET needs one port per target; give each VM its own port.",
    );
    expect.equal(
      cross(valid.replace('port: 50000 }', 'port: auto }')),
      "vms.0.debug.port is 'auto', but a Hyper-V guest's boot settings (bcdedit /dbgsettings) fix the port its KDNET sends to, so driverlab cannot choose one; give the port the guest's debug settings name (Microsoft recommends 50000–50039).",
    );
    expect.equal(
      cross(
        valid.replace(
          'debug: { transport: net, hostIp: 192.168.50.1, port: 50000 }',
          'debug: { transport: pipe, name: WIN10-B_COM1 }',
        ),
      ),
      "vms.1.debug: VMs 'win10-a' and 'win10-b' both use the pipe 'win10-b_com1' on one host, but each COM port needs its own pipe; give each VM its own pipe name.",
    );
    expect.equal(
      cross(valid.replace('fixedBy: baddriver-fixed', 'fixedBy: baddriver-v2')),
      "drivers.0.fixedBy names 'baddriver-v2', which is not in the drivers list ('baddriver', 'baddriver-fixed').",
    );
    expect.equal(
      cross(valid.replace('fixedBy: baddriver-fixed', 'fixedBy: baddriver')),
      'drivers.0.fixedBy names the driver itself; name the entry of its fixed build under drivers.',
    );
    expect.equal(
      cross(
        valid.replace(
          '  - name: hv-01\n',
          '  - name: hv-01\n    credential: { user: LAB\\\\runner, password: { env: HV01_PASSWORD } }\n',
        ),
      ),
      "hosts.0.credential is set, but host 'hv-01' is this computer (computerName localhost), where the current identity is used; remove the credential or name the remote computer.",
    );
    expect.equal(
      cross(valid.replace('executable: C:\\Debuggers\\kd.exe', 'executable: embedded')),
      "debugger.executable is 'embedded', which only an embedded lab has; give the full path of kd.exe (Windows Kits\\10\\Debuggers\\x64\\kd.exe).",
    );
  });

  it('says how to break in and how to answer Driver Verifier, checked strictly', () => {
    const withDebugger = (lines: string[]) =>
      valid.replace(
        '  executable: C:\\Debuggers\\kd.exe\n',
        ['  executable: C:\\Debuggers\\kd.exe', ...lines, ''].join('\n'),
      );
    const lab = parseLabFile(
      withDebugger([
        '  breakIn:',
        '    strategies: [console-ctrl, nmi]',
        '    consoleHelper: { file: tools\\kdctrlc.exe }',
        '  verifierAnswer: i',
      ]),
      FILE,
    );
    expect.deepEqual(lab.data.debugger.breakIn, {
      strategies: ['console-ctrl', 'nmi'],
      consoleHelper: { file: 'tools\\kdctrlc.exe', args: [] },
    });
    expect.equal(lab.data.debugger.verifierAnswer, 'i');
    expect.equal(parseLabFile(valid, FILE).data.debugger.verifierAnswer, 'b', 'b (break) by default');
    expect.equal(
      problem(withDebugger(['  breakIn: { strategies: [ctrl-c] }'])),
      `${PREFIX}debugger.breakIn.strategies.0 must be one of "break-byte", "console-ctrl", "nmi" (got "ctrl-c")${SUFFIX}`,
    );
    expect.equal(
      problem(withDebugger(['  breakIn: { strategies: [nmi, break-byte, nmi] }'])),
      `${PREFIX}debugger.breakIn.strategies: lists 'nmi' twice; name each strategy once, in the order to try them${SUFFIX}`,
    );
    expect.equal(
      problem(withDebugger(['  breakIn: { strategies: [] }'])),
      `${PREFIX}debugger.breakIn.strategies must hold at least 1 item (got an empty list)${SUFFIX}`,
    );
    expect.equal(
      problem(withDebugger(['  breakIn: { strategies: [nmi], helper: x.exe }'])),
      `${PREFIX}debugger.breakIn has an unknown key 'helper' (allowed: strategies, consoleHelper)${SUFFIX}`,
    );
    expect.equal(
      problem(withDebugger(['  verifierAnswer: break'])),
      `${PREFIX}debugger.verifierAnswer must be one of "b", "i", "z", "r", "d" (got "break")${SUFFIX}`,
    );
    expect.equal(
      problem(withDebugger(['  breakIn: { strategies: [console-ctrl] }'])).replace(
        `The lab file '${FILE}' is not valid: `,
        '',
      ),
      "debugger.breakIn.strategies names 'console-ctrl', but kd.exe runs on Windows, where Node cannot raise a console CTRL+C itself; give debugger.breakIn.consoleHelper (a program that attaches to kd's console and raises CTRL+C, see lab/kd/README.md) or use another strategy.",
    );
    expect.equal(
      problem(withDebugger(['  breakIn: { strategies: [nmi], consoleHelper: { file: c.exe } }'])).replace(
        `The lab file '${FILE}' is not valid: `,
        '',
      ),
      "debugger.breakIn.consoleHelper is set, but debugger.breakIn.strategies does not name 'console-ctrl', so it would never run; add 'console-ctrl' to the strategies or remove the helper.",
    );
  });

  it('of the embedded lab must declare a guest for each VM and nothing for VMs it lacks', () => {
    const embedded = `kind: embedded
name: e
hosts: [{ name: lab-01 }]
vms:
  - { name: win11-a, baseline: baseline, guestCredential: { user: Administrator, password: { file: pw } } }
debugger: { executable: embedded }
embedded:
  guests:
    win11-b: { accounts: [{ user: Administrator, password: { file: pw } }] }
  faults:
    win11-c: [{ kind: heartbeat-never }]
`;
    expect.equal(
      problem(embedded).replace(PREFIX, ''),
      "embedded.guests has no guest for VM 'win11-a'; declare one (its OS, accounts, timings); embedded.guests.win11-b names no VM of this lab (there are: 'win11-a'); embedded.faults.win11-c names no VM of this lab (there are: 'win11-a').",
    );
  });
});
