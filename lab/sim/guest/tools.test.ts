/**
 * The simulated guest tools print what the real ones print: compared line for line with the real
 * samples in fixtures/ (domain brief and seed, see fixtures/SOURCES.md).
 */
import { deepStrictEqual, equal, match, ok, rejects } from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  fixture,
  guestUnderTest,
  seedFilterGuest,
  TRACK_NBL_OWNER,
} from '../../../test/kits/sim/guest/guest.testkit.js';
import { GuestProgramNotFound } from './guest.js';
import { KDNET_KEY } from './ids.js';

const lines = (text: string) => text.replace(/\r\n$/, '').split('\r\n');

describe('bcdedit', () => {
  test('a fresh store shows the default debugger settings', async () => {
    const g = await guestUnderTest();
    const r = await g.run('bcdedit', '/dbgsettings');
    equal(r.exitCode, 0);
    deepStrictEqual(lines(r.stdout), [
      'debugtype               Local',
      'debugstart              Active',
      'noumex                  Yes',
      'The operation completed successfully.',
    ]);
  });

  test('/dbgsettings NET shows the layout of Microsoft’s sample', async () => {
    const g = await guestUnderTest();
    await g.run(
      'bcdedit',
      '/dbgsettings',
      'NET',
      'HOSTIP:169.168.1.1',
      'PORT:50085',
      'KEY:2steg4fzbj2sz.23418vzkd4ko3.1g34ou07z4pev.1sp3yo9yz874p',
    );
    const r = await g.run('bcdedit', '/dbgsettings');
    const expected = fixture('bcdedit.dbgsettings.net.txt').replace(
      'XXXXXX.XXXXX.XXXXX.XXXXX',
      '2steg4fzbj2sz.23418vzkd4ko3.1g34ou07z4pev.1sp3yo9yz874p',
    );
    equal(r.stdout, expected);
  });

  test('without KEY it prints a generated four-part base-36 key, as in the captured session', async () => {
    const g = await guestUnderTest();
    const session = lines(fixture('bcdedit.dbgsettings.console-session.txt'));
    const set = await g.run('bcdedit', '/dbgsettings', 'NET', 'HOSTIP:192.168.0.2', 'PORT:60000');
    match(session[1] as string, /^Key=/);
    equal(lines(set.stdout).length, 1);
    const key = /^Key=(.+)$/.exec(lines(set.stdout)[0] as string)?.[1] ?? '';
    match(key, KDNET_KEY);
    equal(key.split('.').length, 4);
    const debug = await g.run('bcdedit', '/debug', '{current}', 'on');
    equal(debug.stdout, `${session[4]}\r\n`);
    // The key is kept until newkey asks for another.
    const again = await g.run('bcdedit', '/dbgsettings', 'NET', 'HOSTIP:192.168.0.2', 'PORT:60000');
    equal(again.stdout, `Key=${key}\r\n`);
    const fresh = await g.run('bcdedit', '/dbgsettings', 'NET', 'HOSTIP:192.168.0.2', 'PORT:60000', 'newkey');
    ok(fresh.stdout !== again.stdout);
  });

  test('busparams comes first, as Microsoft’s samples show it', async () => {
    const g = await guestUnderTest();
    await g.run('bcdedit', '/dbgsettings', 'NET', 'HOSTIP:127.0.0.11', 'PORT:50011', 'KEY:1.2.3.4');
    equal((await g.run('bcdedit', '/set', '{dbgsettings}', 'busparams', '0.25.0')).exitCode, 0);
    const shown = lines((await g.run('bcdedit', '/dbgsettings')).stdout);
    equal(shown[0], 'busparams               0.25.0');
    equal(shown[1], 'key                     1.2.3.4');
  });

  test('/enum {current} has the element order and 24-column layout of a real Windows 10 store', async () => {
    const g = await guestUnderTest();
    const ours = lines((await g.run('bcdedit', '/enum', '{current}')).stdout);
    const real = lines(fixture('bcdedit.enum-current.windows10.txt'));
    equal(ours[0], '');
    const names = (ls: string[]) => ls.slice(2).map((l) => l.slice(0, 24).trimEnd());
    const realNames = names(real);
    // The real store has no displaymessageoverride line; ours (a newer build) does, as other captures show.
    deepStrictEqual(
      names(ours.slice(1)).filter((n) => n !== 'displaymessageoverride'),
      realNames,
    );
    deepStrictEqual(ours.slice(1, 3), real.slice(0, 2));
    for (const l of ours.slice(3)) match(l, /^\S+ {1,}\S/);
    ok(ours.slice(3).every((l) => l.length > 24 && l[23] === ' ' && l[24] !== ' '));
  });

  test('/copy prints the new entry’s GUID; /debug on it and /default make the next boot debug', async () => {
    const g = await guestUnderTest();
    const copy = await g.run('bcdedit', '/copy', '{current}', '/d', 'DebugEntry');
    const guid = /^The entry was successfully copied to (\{[0-9a-f-]{36}\})\.\r\n$/.exec(copy.stdout)?.[1];
    ok(guid, copy.stdout);
    await g.run('bcdedit', '/dbgsettings', 'NET', 'HOSTIP:127.0.0.11', 'PORT:50011');
    equal((await g.run('bcdedit', '/debug', guid, 'on')).exitCode, 0);
    equal(g.guest.bcd.boot().debug, false, 'the default entry still boots without debugging');
    equal((await g.run('bcdedit', '/default', guid)).exitCode, 0);
    const boot = g.guest.bcd.boot();
    deepStrictEqual(
      [boot.debug, boot.debugtype, boot.hostip, boot.port, boot.entry],
      [true, 'NET', '127.0.0.11', 50011, 'DebugEntry'],
    );
    match((await g.run('bcdedit', '/enum')).stdout, /description {13}DebugEntry/);
  });

  test('loadoptions NO_KDNIC and /deletevalue', async () => {
    const g = await guestUnderTest();
    equal(
      (await g.run('bcdedit', '/set', '{current}', 'loadoptions', 'NO_KDNIC')).stdout,
      'The operation completed successfully.\r\n',
    );
    equal(g.guest.bcd.boot().loadoptions, 'NO_KDNIC');
    equal((await g.run('bcdedit', '/deletevalue', '{current}', 'loadoptions')).exitCode, 0);
    const again = await g.run('bcdedit', '/deletevalue', '{current}', 'loadoptions');
    deepStrictEqual(
      [again.exitCode, lines(again.stdout)],
      [1, ['An error occurred while attempting to delete the specified data element.', 'Element not found.']],
    );
  });

  test('bad input gets bcdedit’s error texts on stdout with exit code 1', async () => {
    const g = await guestUnderTest();
    const unknown = await g.run('bcdedit', '/get', 'hypervisorlaunchtype');
    deepStrictEqual(
      [unknown.exitCode, lines(unknown.stdout)],
      [1, ['An unknown command was specified.', 'Run "bcdedit /?" for command line assistance.']],
    );
    const port = await g.run('bcdedit', '/dbgsettings', 'NET', 'HOSTIP:1.2.3.4', 'PORT:abc');
    equal(lines(port.stdout)[0], 'The integer data is not valid as specified.');
    const element = await g.run('bcdedit', '/set', '{bootmgr}', 'path', '\\EFI\\ubuntu\\grubx64.efi');
    deepStrictEqual(lines(element.stdout), [
      'The element data type specified is not recognized, or does not apply to the',
      'specified entry.',
      'Run "bcdedit /?" for command line assistance.',
      'Element not found.',
    ]);
    equal(
      (await g.run('bcdedit', '/dbgsettings', 'NET', 'HOSTIP:1.2.3.4', 'PORT:50000', 'KEY:Not-A-Key'))
        .exitCode,
      1,
    );
  });
});

describe('verifier', () => {
  test('/querysettings prints the documented layout: the sample’s thirteen lines, then the verified drivers', async () => {
    const g = await guestUnderTest();
    const set = await g.run('verifier', '/flags', '0x4', '/driver', 'blah.sys');
    equal(set.exitCode, 2);
    const ours = lines((await g.run('verifier', '/querysettings')).stdout);
    const real = lines(fixture('verifier.querysettings.low-resources-doc.txt'));
    deepStrictEqual(ours.slice(0, 13), real.slice(0, 13));
    deepStrictEqual(ours.slice(-3), real.slice(-3));
    ok(ours.includes('Low Resources Simulation options:'));
  });

  test('/flags takes hex, decimal, 0o and 0b; settings wait for a reboot; /query shows what runs', async () => {
    const forms = ['0x410', '1040', '0o2020', '0b10000010000'];
    for (const form of forms) {
      const g = await guestUnderTest();
      const r = await g.run('verifier', '/flags', form, '/all');
      equal(r.exitCode, 2, form);
      match(r.stdout, /The system reboot is required for the changes to take effect\.\r\n$/);
      const q = lines((await g.run('verifier', '/querysettings')).stdout);
      ok(q.includes('I/O verification: Enabled') && q.includes('IRP Logging: Enabled'), form);
      equal((await g.run('verifier', '/query')).stdout, 'No drivers are currently verified.\r\n');
      g.reboot();
      match((await g.run('verifier', '/query')).stdout, /^Level: 00000410\r\n/);
      deepStrictEqual(g.guest.state.verifier.flags, 0x410);
    }
  });

  test('/standard is 0x209BB; /reset needs a reboot; unknown bits are refused', async () => {
    const g = await guestUnderTest();
    equal((await g.run('verifier', '/standard', '/driver', 'myfault.sys', 'baddriver.sys')).exitCode, 2);
    g.reboot();
    deepStrictEqual(g.guest.state.verifier, {
      flags: 0x209bb,
      drivers: ['myfault.sys', 'baddriver.sys'],
      counters: {},
    });
    equal((await g.run('verifier', '/reset')).exitCode, 2);
    equal((await g.run('verifier', '/reset')).stdout, 'No settings were changed.\r\n');
    equal((await g.run('verifier', '/flags', '0x1000', '/all')).exitCode, 1);
  });

  test('/volatile /flags changes the running settings at once, and only the volatile flags', async () => {
    const g = await guestUnderTest();
    await g.run('verifier', '/flags', '0x10', '/all');
    g.reboot();
    equal((await g.run('verifier', '/volatile', '/flags', '0x400')).exitCode, 0);
    equal(g.guest.state.verifier.flags, 0x410);
    equal((await g.run('verifier', '/volatile', '/flags', '0x1')).exitCode, 1);
    equal(g.guest.state.verifier.flags, 0x410);
    match((await g.run('verifier', '/querysettings')).stdout, /IRP Logging: Disabled/);
  });
});

describe('fltmc', () => {
  async function install(g: Awaited<ReturnType<typeof guestUnderTest>>, driver: string, inf: string) {
    const folder = g.copyPackage(driver);
    const r = await g.run('pnputil', '/add-driver', `${folder}\\${inf}`, '/install');
    equal(r.exitCode, 0, r.stdout);
  }

  test('the seed’s load-order case: legacy filters on top, every minifilter in frame 0 — exactly the seed’s table', async () => {
    const g = await guestUnderTest({ declaration: seedFilterGuest });
    await install(g, 'avlegacy', 'avlegacy.inf');
    await install(g, 'encryptionlegacy', 'encryptionlegacy.inf');
    await install(g, 'avminifilter', 'avminifilter.inf');
    g.reboot();
    const r = await g.run('fltmc', 'filters');
    equal(r.stdout, `\r\n${fixture('fltmc.filters.seed-load-order.txt')}`);
  });

  test('the seed’s fix: NullFilter at 160030 makes frame 1 above EncryptionLegacy, and AVMiniFilter joins it', async () => {
    const g = await guestUnderTest({ declaration: seedFilterGuest });
    for (const d of ['avlegacy', 'encryptionlegacy', 'avminifilter', 'nullfilter'])
      await install(g, d, `${d}.inf`);
    g.reboot();
    const rows = g.guest.stack.rows();
    deepStrictEqual(
      rows.map((r) => [r.name, r.frame ?? '<Legacy>']),
      [
        ['AVLegacy', '<Legacy>'],
        ['EncryptionLegacy', '<Legacy>'],
        ['AVMiniFilter', 1],
        ['NullFilter', 1],
        ['luafv', 0],
        ['FileInfo', 0],
      ],
    );
    // Frame 1 sits above EncryptionLegacy and below AVLegacy, covering 149998.99–389998.99.
    deepStrictEqual(
      g.guest.state.filters.items.map((i) =>
        i.kind === 'frame' ? `frame ${i.id} ${i.low}-${i.high}` : i.name,
      ),
      ['frame 0 0-149998.99', 'EncryptionLegacy', 'frame 1 149998.99-389998.99', 'AVLegacy'],
    );
  });

  test('a recent Windows prints the capture’s layout, and Microsoft’s sample’s legacy rows', async () => {
    const g = await guestUnderTest({
      declaration: (d) => ({
        ...d,
        filters: [
          {
            name: 'bindflt',
            kind: 'minifilter',
            altitude: '409800',
            loadOrderGroup: 'FSFilter Top',
            startType: 'boot',
            volumes: ['C:'],
          },
          {
            name: 'UCPD',
            kind: 'minifilter',
            altitude: '385250.5',
            loadOrderGroup: 'FSFilter Activity Monitor',
            startType: 'boot',
            volumes: ['C:', 'D:', 'E:', 'F:', 'G:'],
          },
          {
            name: 'WdFilter',
            kind: 'minifilter',
            altitude: '328010',
            loadOrderGroup: 'FSFilter Anti-Virus',
            startType: 'boot',
            volumes: ['C:', 'D:', 'E:', 'F:', 'G:'],
          },
          {
            name: 'FileInfo',
            kind: 'minifilter',
            altitude: '40500',
            loadOrderGroup: 'FSFilter Bottom',
            startType: 'boot',
            volumes: ['C:', 'D:', 'E:', 'F:', 'G:'],
          },
        ],
      }),
    });
    equal((await g.run('fltmc')).stdout, `\r\n${fixture('fltmc.filters.recent-windows.txt')}`);
    const doc = lines(fixture('fltmc.filters.microsoft-doc.txt'));
    await install(g, 'avlegacy', 'avlegacy.inf');
    await install(g, 'encryptionlegacy', 'encryptionlegacy.inf');
    g.reboot();
    const ours = lines((await g.run('fltmc', 'filters')).stdout);
    deepStrictEqual(ours.slice(1, 5), [...doc.slice(0, 2), ...doc.slice(2, 4)]);
  });

  test('fltmc instances prints the capture’s columns: empty volume names, instance names with spaces', async () => {
    const g = await guestUnderTest({ declaration: (d) => ({ ...d, filters: [] }) });
    const stack = g.guest.stack;
    stack.load({ name: 'CldFlt', kind: 'minifilter', altitude: '180451', volumes: ['C:'] });
    stack.load({ name: 'FileInfo', kind: 'minifilter', altitude: '40500', volumes: ['', '\\Device\\Mup'] });
    stack.load({
      name: 'UCPD',
      kind: 'minifilter',
      altitude: '385250.5',
      volumes: ['C:'],
      instance: 'UCPD - Top Instance',
    });
    stack.load({
      name: 'WdFilter',
      kind: 'minifilter',
      altitude: '328010',
      volumes: ['C:'],
      instance: 'WdFilter Instance',
    });
    stack.load({
      name: 'npsvctrig',
      kind: 'minifilter',
      altitude: '46000',
      volumes: ['\\Device\\NamedPipe'],
      supportedFeatures: 8,
    });
    equal((await g.run('fltmc', 'instances')).stdout, `\r\n${fixture('fltmc.instances.recent-windows.txt')}`);
  });

  test('legacy filters cannot be unloaded; minifilters can; an unknown command is refused', async () => {
    const g = await guestUnderTest();
    await install(g, 'avlegacy', 'avlegacy.inf');
    await install(g, 'avminifilter', 'avminifilter.inf');
    g.reboot();
    deepStrictEqual(lines((await g.run('fltmc', 'unload', 'AVLegacy')).stdout), [
      'Unload failed with error: 0x8007041c',
      'The requested control is not valid for this service.',
    ]);
    equal((await g.run('fltmc', 'unload', 'AVMiniFilter')).exitCode, 0);
    ok(!g.guest.stack.isLoaded('AVMiniFilter'));
    equal((await g.run('fltmc', 'load', 'AVMiniFilter')).exitCode, 0);
    ok(g.guest.stack.isLoaded('AVMiniFilter'));
    equal((await g.run('fltmc', 'bogus')).stdout, '** Invalid command\r\n');
  });
});

describe('vssadmin list writers', () => {
  test('prints the real header and writer blocks; the System Writer is listed on a healthy guest', async () => {
    const g = await guestUnderTest();
    const out = lines((await g.run('vssadmin', 'list', 'writers')).stdout);
    deepStrictEqual(out.slice(0, 3), [
      'vssadmin 1.1 - Volume Shadow Copy Service administrative command-line tool',
      '(C) Copyright 2001-2013 Microsoft Corp.',
      '',
    ]);
    const at = out.indexOf("Writer name: 'System Writer'");
    ok(at > 0);
    equal(out[at + 1], '   Writer Id: {e8132975-6f93-4464-a53e-1050253ae220}');
    match(out[at + 2] as string, /^ {3}Writer Instance Id: \{[0-9a-f-]{36}\}$/);
    // The line an Exchange pre-backup script compares against, character for character.
    equal(out[at + 3], '   State: [1] Stable');
    equal(out[at + 4], '   Last error: No error');
  });

  test('more than 10,000 files in a Microsoft.NET folder: System Writer missing, the seed’s two 8193 events; back when removed', async () => {
    const g = await guestUnderTest();
    const folder = 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\root';
    g.guest.fs.generate(folder, 'f', 10_000, '2024-03-01T10:00:00Z');
    match((await g.run('vssadmin', 'list', 'writers')).stdout, /'System Writer'/);
    g.guest.fs.generate(folder, 'g', 1, '2024-03-01T10:00:00Z');
    const broken = await g.run('vssadmin', 'list', 'writers');
    ok(!broken.stdout.includes("'System Writer'"));
    const events = g.guest.log.query({ logName: 'Application', ids: [8193] });
    equal(events.length, 2);
    const seed = lines(fixture('events.vss-8193.seed.txt'));
    const instance = /Writer Instance ID: (\{[0-9A-F-]{36}\})/.exec(events[0]?.message ?? '')?.[1] ?? '';
    deepStrictEqual(
      events.map((e) => e.message).reverse(),
      seed.map((l) => l.replace('{636923A0-89C2-4823-ADEF-023A739B2515}', instance)),
    );
    deepStrictEqual([events[0]?.provider, events[0]?.level], ['VSS', 'Error']);
    g.guest.fs.remove('C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files');
    match((await g.run('vssadmin', 'list', 'writers')).stdout, /'System Writer'/);
  });

  test('New-GuestItems adds up: 6,000 then 5,000 files make 11,000 and hide the System Writer; folders too; a gap is filled first', async () => {
    const g = await guestUnderTest();
    const fs = g.guest.fs;
    const folder =
      'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\root\\driverlab';
    const now = '2024-03-01T10:00:00Z';
    deepStrictEqual(fs.createItems(folder, 'file', 6000, 'file', now), { created: 6000, total: 6000 });
    match((await g.run('vssadmin', 'list', 'writers')).stdout, /'System Writer'/);
    deepStrictEqual(fs.createItems(folder, 'file', 5000, 'file', now), { created: 5000, total: 11000 });
    ok(!(await g.run('vssadmin', 'list', 'writers')).stdout.includes("'System Writer'"));
    // The names are the script's: file0000001 … file0011000; a removed one is the next made.
    equal(fs.lookup(`${folder}\\file0011000`).kind, 'generated');
    equal(fs.lookup(`${folder}\\file0011001`).kind, 'missing');
    equal(fs.remove(`${folder}\\file0000042`), true);
    deepStrictEqual(fs.createItems(folder, 'file', 2, 'file', now), { created: 2, total: 11001 });
    equal(fs.lookup(`${folder}\\file0000042`).kind, 'generated');
    equal(fs.lookup(`${folder}\\file0011001`).kind, 'generated');
    const folders = 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\dirs';
    deepStrictEqual(fs.createItems(folders, 'folder', 600, 'folder', now), { created: 600, total: 600 });
    deepStrictEqual(fs.createItems(folders, 'folder', 500, 'folder', now), { created: 500, total: 1100 });
    equal(fs.lookup(`${folders}\\folder0001100`).kind, 'dir');
  });

  test('more than 1,000 folders in a folder breaks it too', async () => {
    const g = await guestUnderTest();
    for (let i = 0; i <= 1000; i += 1)
      g.guest.fs.mkdir(`C:\\Windows\\Microsoft.NET\\assembly\\GAC_MSIL\\a${i}`, '');
    ok(!(await g.run('vssadmin', 'list', 'writers')).stdout.includes("'System Writer'"));
  });
});

describe('drivers: pnputil, sc', () => {
  test('pnputil /add-driver /install prints what Windows 10 prints and loads a PnP driver on its device', async () => {
    const g = await guestUnderTest();
    const folder = g.copyPackage('myminiport');
    const r = await g.run('pnputil', '/add-driver', `${folder}\\myminiport.inf`, '/install');
    const real = lines(fixture('pnputil.add-driver-install.txt'));
    const ours = lines(r.stdout);
    deepStrictEqual(ours.slice(0, 2), real.slice(0, 2));
    equal(ours[2], 'Adding driver package:  myminiport.inf');
    deepStrictEqual(ours.slice(3, 4), real.slice(3, 4));
    match(ours[4] as string, /^Published Name: {9}oem\d+\.inf$/);
    equal(
      ours[5],
      'Driver package installed on device: PCI\\VEN_1111&DEV_1111&SUBSYS_169D103C&REV_01\\4&2263a140&0&0010',
    );
    deepStrictEqual(ours.slice(-2), real.slice(-2));
    const loaded = g.actions.find((a) => a.kind === 'driver-loaded');
    deepStrictEqual(
      loaded?.kind === 'driver-loaded' && [
        loaded.driver.name,
        loaded.driver.service,
        loaded.driver.faults[0]?.kind,
      ],
      ['myminiport', 'MyMiniPortDriver', 'nbl-leak-on-remove'],
    );
  });

  test('a PnP remove of the adapter goes to the kernel as pnp-remove; a miniport that returns its NBLs lets it finish', async () => {
    // The same miniport without its declared NBL leak.
    const g = await guestUnderTest({
      drivers: (d) => ({ ...d, myminiport: { faults: [], version: '1.0.0.0' } }),
    });
    const folder = g.copyPackage('myminiport');
    await g.run('pnputil', '/add-driver', `${folder}\\myminiport.inf`, '/install');
    const id = 'PCI\\VEN_1111&DEV_1111&SUBSYS_169D103C&REV_01\\4&2263a140&0&0010';
    const r = await g.run('pnputil', '/remove-device', id);
    equal(lines(r.stdout).at(-1), 'Device removed successfully.');
    deepStrictEqual(g.actions.slice(-2), [
      { kind: 'pnp-remove', driver: 'myminiport' },
      { kind: 'driver-unloaded', driver: 'myminiport' },
    ]);
  });

  test('a miniport that never returns its NBLs: the PnP remove never completes', async () => {
    const g = await guestUnderTest();
    const folder = g.copyPackage('myminiport');
    await g.run('pnputil', '/add-driver', `${folder}\\myminiport.inf`, '/install');
    const id = 'PCI\\VEN_1111&DEV_1111&SUBSYS_169D103C&REV_01\\4&2263a140&0&0010';
    const remove = g.run('pnputil', '/remove-device', id);
    const later = new Promise((r) => setTimeout(() => r('still running'), 50));
    equal(await Promise.race([remove, later]), 'still running');
    equal(g.actions.at(-1)?.kind, 'pnp-remove');
    match(
      g.kernel().state.hang?.what ?? '',
      /PnP remove of 'My Ethernet 1Gb 4-port Adapter' waits for 1854 NBLs/,
    );
  });

  test('sc create/start/stop print what sc prints for a kernel driver', async () => {
    const g = await guestUnderTest();
    const folder = g.copyPackage('myfault');
    const real = lines(fixture('sc.kernel-driver.txt'));
    const create = await g.run(
      'sc',
      'create',
      'myfault',
      'type=',
      'kernel',
      'binPath=',
      `${folder}\\myfault.sys`,
    );
    equal(create.stdout, `${real[1]}\r\n`);
    const start = lines((await g.run('sc', 'start', 'myfault')).stdout);
    deepStrictEqual(
      start,
      real.slice(3, 14).map((l) => l.replace('Eagle', 'myfault')),
    );
    const stop = lines((await g.run('sc', 'stop', 'myfault')).stdout);
    deepStrictEqual(
      stop.slice(0, 5),
      real.slice(15, 20).map((l) => l.replace('Eagle', 'myfault')),
    );
    const again = await g.run('sc', 'stop', 'myfault');
    deepStrictEqual(
      [again.exitCode, lines(again.stdout)],
      [1062, ['[SC] ControlService FAILED 1062:', '', 'The service has not been started.', '']],
    );
    const missing = await g.run('sc', 'query', 'nosuch');
    deepStrictEqual(
      [missing.exitCode, lines(missing.stdout)[0]],
      [1060, '[SC] EnumQueryServicesStatus:OpenService FAILED 1060:'],
    );
    deepStrictEqual(
      g.actions.map((a) => a.kind).filter((k) => k !== 'image-load'),
      ['driver-loaded', 'driver-unloaded'],
    );
    deepStrictEqual(
      g.actions.filter((a) => a.kind === 'image-load').map((a) => a.kind === 'image-load' && a.image),
      ['sc.exe', 'sc.exe', 'sc.exe', 'sc.exe', 'sc.exe'],
      'every sc run started a process; the unknown service query too',
    );
  });

  test('the fixed build is told apart from the broken one by its image version', async () => {
    const g = await guestUnderTest();
    const folder = g.copyPackage('baddriver-fixed');
    await g.run('pnputil', '/add-driver', `${folder}\\baddriver.inf`, '/install');
    await g.run('sc', 'start', 'baddriver');
    const loaded = g.actions.find((a) => a.kind === 'driver-loaded');
    deepStrictEqual(
      loaded?.kind === 'driver-loaded' && [loaded.driver.name, loaded.driver.version, loaded.driver.faults],
      ['baddriver-fixed', '1.0.1.0', []],
    );
  });

  test('a driver trigger becomes a KernelAction; a storage timeout logs 129 and 153 without a kernel decision', async () => {
    const g = await guestUnderTest();
    const r = await g.run('C:\\Tools\\notmyfault64.exe', '/accepteula', '/crash', 'overrun');
    equal(r.exitCode, 0);
    deepStrictEqual(g.actions.slice(-2), [
      { kind: 'image-load', image: 'notmyfault64.exe' },
      { kind: 'trigger', driver: 'myfault', trigger: 'overrun', process: 'notmyfault64.exe' },
    ]);
    const folder = g.copyPackage('mystor');
    await g.run('pnputil', '/add-driver', `${folder}\\mystor.inf`, '/install');
    const before = g.actions.length;
    await g.run('C:\\Tools\\diskspd.exe', '-c1G', '-d10', 'D:\\io.dat');
    deepStrictEqual(g.actions.slice(before), [{ kind: 'image-load', image: 'diskspd.exe' }]);
    const [e153, e129] = g.guest.log.query({ logName: 'System', ids: [129, 153] });
    deepStrictEqual(
      [e129?.provider, e129?.level, e129?.message],
      ['mystor', 'Warning', 'Reset to device, \\Device\\RaidPort1, was issued.'],
    );
    deepStrictEqual([e153?.provider, e153?.level], ['Disk', 'Warning']);
    match(
      e153?.message ?? '',
      /^The IO operation at logical block address (0x[0-9a-fA-F]+|\d+) for Disk (\d+)(?: \(PDO name: ([^)]+)\))? was retried\.$/,
    );
    const bytes = Buffer.from(e153?.binaryHex ?? '', 'hex');
    // Zero-based offsets 29, 30, 31: SCSI status 00 (GOOD), SRB status 09 (TIMEOUT), opcode 28 (READ).
    deepStrictEqual([bytes[29], bytes[30], bytes[31]], [0x00, 0x09, 0x28]);
  });
});

describe('the rest of the guest', () => {
  test('a program the guest does not have is the Invoke-GuestCommand script’s Get-Command error', async () => {
    const g = await guestUnderTest();
    await rejects(g.run('frobnicate.exe', '/x'), (error: unknown) => {
      ok(error instanceof GuestProgramNotFound);
      equal(
        error.message,
        "The program 'frobnicate.exe' was not found in the guest (neither a path that exists nor a command on the guest's PATH).",
      );
      return true;
    });
  });

  test('through cmd /c, a program the guest does not have is cmd’s error 9009, named as typed', async () => {
    const g = await guestUnderTest();
    const r = await g.run('cmd.exe', '/c', 'frobnicate.exe', '/x');
    deepStrictEqual(
      [r.exitCode, r.stdout, lines(r.stderr)],
      [
        9009,
        '',
        [
          "'frobnicate.exe' is not recognized as an internal or external command,",
          'operable program or batch file.',
        ],
      ],
    );
  });

  test('cmd /c echo prints its text; 1>&2 moves it to standard error; exit sets the exit code', async () => {
    const g = await guestUnderTest();
    const plain = await g.run('cmd.exe', '/c', 'echo', 'driverlab');
    deepStrictEqual([plain.stdout, plain.stderr, plain.exitCode], ['driverlab\r\n', '', 0]);
    const moved = await g.run('cmd.exe', '/c', 'echo', 'oops', '1>&2', '&', 'exit', '3');
    // cmd keeps the spaces around a redirection in echo's text.
    deepStrictEqual([moved.stdout, moved.stderr, moved.exitCode], ['', 'oops  \r\n', 3]);
    deepStrictEqual(
      [(await g.run('cmd.exe', '/c', 'echo.')).stdout, (await g.run('cmd', '/c', 'echo')).stdout],
      ['\r\n', 'ECHO is on.\r\n'],
    );
  });

  test('cmd /c joins commands with &, && and ||, expands %VARIABLES% once, and runs guest programs', async () => {
    const g = await guestUnderTest();
    const r = await g.run('cmd.exe', '/c', 'hostname', '&&', 'echo', '%SystemRoot%', '||', 'echo', 'never');
    // echo's text runs up to the ||, the space before it included, as in cmd.
    deepStrictEqual([lines(r.stdout), r.exitCode], [['WIN11-A', 'C:\\Windows '], 0]);
    const failed = await g.run('cmd.exe', '/c', 'nothere', '||', 'echo', 'level', '%ERRORLEVEL%');
    // The line was expanded before it ran: %ERRORLEVEL% is the level from before 'nothere'.
    deepStrictEqual([lines(failed.stdout), failed.exitCode], [['level 0'], 0]);
    const piped = await g.run('cmd.exe', '/c', 'hostname', '|', 'more');
    deepStrictEqual([piped.exitCode, lines(piped.stderr)], [255, ['| was unexpected at this time.']]);
  });

  test('cmd /c writes a redirected output to a guest file, and dir /b /o-d lists newest first', async () => {
    const g = await guestUnderTest();
    await g.run('cmd.exe', '/c', 'echo', 'first>C:\\Work\\a.txt');
    await g.run('cmd.exe', '/c', 'echo', 'second>>C:\\Work\\a.txt');
    await g.run('cmd.exe', '/c', 'echo', 'other>C:\\Work\\b.txt');
    equal((await g.run('cmd.exe', '/c', 'type', 'C:\\Work\\a.txt')).stdout, 'first\r\nsecond\r\n');
    deepStrictEqual(lines((await g.run('cmd.exe', '/c', 'dir', '/b', '/o-d', 'C:\\Work\\*.txt')).stdout), [
      'b.txt',
      'a.txt',
    ]);
    const none = await g.run('cmd.exe', '/c', 'dir', '/b', 'C:\\Work\\*.dmp');
    deepStrictEqual([none.exitCode, none.stdout, lines(none.stderr)], [1, '', ['File Not Found']]);
  });

  test('ping prints one reply a second of lab time and its statistics; an unknown name is not found', async () => {
    const g = await guestUnderTest();
    const r = await g.run('ping.exe', '-n', '2', '127.0.0.1');
    deepStrictEqual(lines(r.stdout), [
      '',
      'Pinging 127.0.0.1 with 32 bytes of data:',
      'Reply from 127.0.0.1: bytes=32 time<1ms TTL=128',
      'Reply from 127.0.0.1: bytes=32 time<1ms TTL=128',
      '',
      'Ping statistics for 127.0.0.1:',
      '    Packets: Sent = 2, Received = 2, Lost = 0 (0% loss),',
      'Approximate round trip times in milli-seconds:',
      '    Minimum = 0ms, Maximum = 0ms, Average = 0ms',
    ]);
    const lost = await g.run('ping', '-n', '1', '10.9.9.9');
    deepStrictEqual([lost.exitCode, lines(lost.stdout)[2]], [1, 'Request timed out.']);
    const unknown = await g.run('ping', 'nowhere.example');
    deepStrictEqual(
      [unknown.exitCode, unknown.stdout],
      [1, 'Ping request could not find host nowhere.example. Please check the name and try again.\r\n'],
    );
  });

  test('shutdown /r /t 0 schedules a reboot; /a aborts; /a with nothing pending says so', async () => {
    const g = await guestUnderTest();
    equal((await g.run('shutdown', '/r', '/t', '0')).stdout, '');
    deepStrictEqual(g.shutdowns, [{ reboot: true, delaySeconds: 0 }]);
    equal((await g.run('shutdown', '/a')).exitCode, 0);
    const none = await g.run('shutdown', '/a');
    deepStrictEqual(
      [none.exitCode, none.stdout],
      [1116, 'Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n'],
    );
  });

  test('TrackNblOwner set with reg takes effect at the next boot', async () => {
    const g = await guestUnderTest();
    equal(g.guest.state.trackNblOwner, 0);
    const r = await g.run(...TRACK_NBL_OWNER);
    equal(r.stdout, 'The operation completed successfully.\r\n');
    equal(g.guest.state.trackNblOwner, 0);
    g.reboot();
    equal(g.guest.state.trackNblOwner, 1);
    match(
      (
        await g.run(
          'reg',
          'query',
          'HKLM\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters',
          '/v',
          'TrackNblOwner',
        )
      ).stdout,
      /TrackNblOwner {4}REG_DWORD {4}0x1/,
    );
  });

  test('commit: the kernel grows the page file to its maximum, then refuses commits beyond RAM + page file', async () => {
    const g = await guestUnderTest();
    const fits = await g.run('C:\\Tools\\commithog.exe', '4096');
    deepStrictEqual(
      [fits.exitCode, fits.stdout],
      [
        0,
        'commithog.exe: committed 4096 MB (commit charge 5324 MB, commit limit 8192 MB: 4096 MB RAM + 4096 MB page file).\r\n',
      ],
    );
    const fails = await g.run('C:\\Tools\\commithog.exe', '16384');
    deepStrictEqual(
      [fails.exitCode, lines(fails.stdout)],
      [
        1455,
        [
          'commithog.exe: could not commit 16384 MB (commit charge 1228 MB, commit limit 10240 MB: 4096 MB RAM + 6144 MB page file).',
          'The paging file is too small for this operation to complete.',
        ],
      ],
    );
    deepStrictEqual(g.actions.slice(-1), [{ kind: 'commit', megabytes: 16384, process: 'commithog.exe' }]);
    await g.run('C:\\Tools\\commithog.exe', '16384');
    // Growing the page file to its maximum did not make room: member 1 counts both (member 0 is for
    // a page file that could not be extended at all).
    deepStrictEqual(g.kernel().state.memory.failures, [0, 2, 0, 0]);
  });
});
