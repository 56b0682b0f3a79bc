/**
 * Writes the simulator's reference renders of the guest tools to fixtures/rendered/: what bcdedit,
 * verifier, fltmc and vssadmin print in the states the features and the seed cases use, and the
 * events as Get-GuestEvents answers them (JSON). They are output of this code, never hand-edited;
 * a unit test (rendered.test.ts) fails when they are out of date, and the parsers' round-trip
 * tests read them.
 *
 * Usage: node --import tsx lab/sim/guest/render-fixtures.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type GuestUnderTest,
  guestUnderTest,
  seedFilterGuest,
} from '../../../test/kits/sim/guest/guest.testkit.js';
import { inProcessVm, type LabVm } from '../../../test/kits/sim/host/host.testkit.js';
import { virtualClock } from '../../clock.js';
import { paths } from '../../paths.js';

export const RENDERED_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'rendered');

const FAULTS_LAB = join(paths.root, 'lab', 'labs', 'embedded-faults.yaml');
/** The KDNET settings the kdnet renders are made with (a key given, so no random one is printed). */
export const RENDERED_KDNET = {
  hostip: '127.0.0.11',
  port: 50011,
  key: '2steg4fzbj2sz.23418vzkd4ko3.1g34ou07z4pev.1sp3yo9yz874p',
  busparams: '0.25.0',
} as const;
const CALENDAR = Date.parse('2024-03-01T10:00:00Z');

async function stdout(g: GuestUnderTest, ...command: [string, ...string[]]): Promise<string> {
  const [file, ...args] = command;
  return (await g.run(file, ...args)).stdout;
}

async function installed(g: GuestUnderTest, ...drivers: string[]): Promise<void> {
  for (const driver of drivers) {
    const folder = g.copyPackage(driver);
    const inf = g.lab.data.drivers.find((d) => d.name === driver)?.inf ?? `${driver}.inf`;
    const r = await g.run('pnputil', '/add-driver', `${folder}\\${inf}`, '/install');
    if (r.exitCode !== 0) throw new Error(`pnputil could not install ${driver}: ${r.stdout}`);
  }
}

/** A VM of the embedded lab on a clock that moves only when the host waits: the same JSON every run. */
function fixtureVm(lab: string, vm: string): Promise<LabVm> {
  return inProcessVm(lab, vm, { clock: virtualClock(), calendarOrigin: CALENDAR });
}

async function events(vm: LabVm, logName: string, ids: number[]): Promise<string> {
  return `${JSON.stringify({ events: await vm.events(logName, ids) }, null, 2)}\n`;
}

/** Every reference render, by file name (`<command>.<case>.txt`, events `get-guestevents.<case>.json`). */
export async function renderedFixtures(): Promise<Map<string, string>> {
  const files = new Map<string, string>();

  // bcdedit and verifier: the baseline, then KDNET and verifier set up as the features do.
  const g = await guestUnderTest();
  files.set('bcdedit-enum.baseline.txt', await stdout(g, 'bcdedit', '/enum'));
  files.set('bcdedit-dbgsettings.baseline.txt', await stdout(g, 'bcdedit', '/dbgsettings'));
  files.set('verifier-querysettings.none.txt', await stdout(g, 'verifier', '/querysettings'));
  files.set('verifier-query.none.txt', await stdout(g, 'verifier', '/query'));
  await stdout(
    g,
    'bcdedit',
    '/dbgsettings',
    'NET',
    `HOSTIP:${RENDERED_KDNET.hostip}`,
    `PORT:${RENDERED_KDNET.port}`,
    `KEY:${RENDERED_KDNET.key}`,
    `busparams:${RENDERED_KDNET.busparams}`,
  );
  await stdout(g, 'bcdedit', '/debug', 'on');
  await stdout(g, 'bcdedit', '/set', 'loadoptions', 'NO_KDNIC');
  files.set('bcdedit-enum.kdnet.txt', await stdout(g, 'bcdedit', '/enum'));
  files.set('bcdedit-dbgsettings.kdnet.txt', await stdout(g, 'bcdedit', '/dbgsettings'));
  await installed(g, 'myfault');
  await stdout(g, 'verifier', '/flags', '1', '/driver', 'myfault.sys');
  files.set('verifier-querysettings.special-pool.txt', await stdout(g, 'verifier', '/querysettings'));
  g.reboot();
  await stdout(g, 'sc', 'start', 'myfault');
  files.set('verifier-query.special-pool.txt', await stdout(g, 'verifier', '/query'));
  await stdout(g, 'verifier', '/flags', '0x410', '/all');
  files.set('verifier-querysettings.irp-logging.txt', await stdout(g, 'verifier', '/querysettings'));
  g.reboot();
  files.set('verifier-query.irp-logging.txt', await stdout(g, 'verifier', '/query'));

  // fltmc: the seed's load-order case, and its fix with NullFilter.
  for (const [name, drivers] of [
    ['seed-load-order', ['avlegacy', 'encryptionlegacy', 'avminifilter']],
    ['seed-nullfilter', ['avlegacy', 'encryptionlegacy', 'avminifilter', 'nullfilter']],
  ] as const) {
    const f = await guestUnderTest({ declaration: seedFilterGuest });
    await installed(f, ...drivers);
    f.reboot();
    files.set(`fltmc-filters.${name}.txt`, await stdout(f, 'fltmc', 'filters'));
    files.set(`fltmc-instances.${name}.txt`, await stdout(f, 'fltmc', 'instances'));
  }

  // vssadmin: healthy, and with the System Writer gone (a folder under Microsoft.NET too big).
  const v = await guestUnderTest();
  files.set('vssadmin-list-writers.healthy.txt', await stdout(v, 'vssadmin', 'list', 'writers'));
  v.guest.fs.generate('C:\\Windows\\Microsoft.NET\\bloat', 'f', 10_001, '2024-03-01T10:00:00.000Z');
  files.set(
    'vssadmin-list-writers.system-writer-missing.txt',
    await stdout(v, 'vssadmin', 'list', 'writers'),
  );

  // The events, as Get-GuestEvents answers them.
  const crash = await fixtureVm(paths.embeddedLab, 'win11-a');
  await crash.copyIn(
    join(paths.root, 'lab', 'labs', 'drivers', 'myfault', 'myfault.inf'),
    'C:\\Drivers\\myfault\\myfault.inf',
  );
  await crash.copyIn(
    join(paths.root, 'lab', 'labs', 'drivers', 'myfault', 'myfault.sys'),
    'C:\\Drivers\\myfault\\myfault.sys',
  );
  await crash.run(['pnputil', '/add-driver', 'C:\\Drivers\\myfault\\myfault.inf', '/install']);
  await crash.run(['verifier', '/flags', '1', '/driver', 'myfault.sys']);
  await crash.reboot();
  await crash.run(['sc', 'start', 'myfault']);
  await crash.run(['C:\\Tools\\notmyfault64.exe', '/accepteula', '/crash', 'overrun']).catch(() => null);
  await crash.waitUntilReady();
  files.set('get-guestevents.bugcheck-d6.json', await events(crash, 'System', [41, 1001]));
  const full = await fixtureVm(FAULTS_LAB, 'disk-full');
  await full.injectNmi();
  await full.waitUntilReady();
  files.set('get-guestevents.dump-not-saved.json', await events(full, 'System', [41, 1001]));
  const storage = await fixtureVm(paths.embeddedLab, 'win11-b');
  for (const file of ['mystor.inf', 'mystor.sys'])
    await storage.copyIn(
      join(paths.root, 'lab', 'labs', 'drivers', 'mystor', file),
      `C:\\Drivers\\mystor\\${file}`,
    );
  await storage.run(['pnputil', '/add-driver', 'C:\\Drivers\\mystor\\mystor.inf', '/install']);
  await storage.run(['C:\\Tools\\diskspd.exe', '-c1G', '-d10', 'D:\\io.dat']);
  files.set('get-guestevents.storage-timeouts.json', await events(storage, 'System', [129, 153]));
  const vss = await fixtureVm(paths.embeddedLab, 'win11-b');
  await vss.createFiles('C:\\Windows\\Microsoft.NET\\bloat', 10_001);
  await vss.run(['vssadmin', 'list', 'writers']);
  files.set('get-guestevents.vss-8193.json', await events(vss, 'Application', [8193]));
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(RENDERED_DIR, { recursive: true });
  const files = await renderedFixtures();
  for (const [name, text] of files) writeFileSync(join(RENDERED_DIR, name), text);
  console.log(`Wrote ${files.size} reference renders to ${RENDERED_DIR}.`);
}
