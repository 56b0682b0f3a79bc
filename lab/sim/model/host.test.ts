/**
 * The simulated host keeps its VMs across host processes: a state file per lab session, read back
 * through a schema, lab time continued; files of sessions whose process is gone are removed.
 */
import { deepStrictEqual, equal, ok, rejects } from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { virtualClock } from '../../clock.js';
import { loadLabFile } from '../../config/lab-file.js';
import { paths } from '../../paths.js';
import type { DebugTarget } from '../ports.js';
import { SAVE_COALESCE_WALL_MS, SimHost } from './host.js';
import { DURATIONS } from './vm.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'driverlab-simhost-'));
  dirs.push(d);
  return d;
}

describe('the simulated host', () => {
  test('a second host process finds the VMs the first left, lab time continued', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    const statePath = join(tempDir(), `lab-${process.pid}-0123abcd.json`);
    const first = await SimHost.open({ lab, statePath, clock: virtualClock() });
    const vm = first.vm('win11-a');
    ok(vm);
    const credential = { user: 'Administrator', password: 'Embedded-Lab-Only-1' };
    await vm.invoke(credential, 'bcdedit', ['/set', '{current}', 'description', 'remembered']);
    await vm.stop(true);
    await vm.checkpoint('mine');
    await first.save();
    const leftAt = first.time.now();
    const second = await SimHost.open({ lab, statePath, clock: virtualClock() });
    const again = second.vm('WIN11-A');
    ok(again);
    equal(again.state.power, 'Off');
    deepStrictEqual(
      again.checkpoints().map((c) => c.name),
      ['baseline', 'mine'],
    );
    ok((await again.guest.bcd.enumerate('{current}')).stdout.includes('remembered'));
    ok(second.time.now() >= leftAt, 'lab time goes on from where the first process left it');
    equal(second.time.calendarOrigin, first.time.calendarOrigin);
    equal(second.vm('win11-b')?.state.power, 'Running');
    deepStrictEqual(
      second.vm('win11-b')?.state.kernel,
      first.vm('win11-b')?.state.kernel,
      'the running guest keeps its kernel',
    );
    await again.start();
    await again.restore('mine');
    equal(again.state.power, 'Off', 'a checkpoint read back from its own file restores');
  });

  test('saving writes a checkpoint once, to its own file, and the state file only when the VMs changed', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    const dir = tempDir();
    const statePath = join(dir, `lab-${process.pid}-5a7e5a7e.json`);
    const host = await SimHost.open({ lab, statePath, clock: virtualClock() });
    const folder = join(dir, `lab-${process.pid}-5a7e5a7e.checkpoints`);
    const vm = host.vm('win11-a');
    ok(vm);
    equal(readdirSync(folder).length, 2, 'the two baselines');
    const mine = await vm.checkpoint('mine');
    await host.save();
    const file = join(folder, `${mine.id}.json`);
    const written = statSync(file).mtimeMs;
    const state = statSync(statePath).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await vm.status();
    await host.save();
    deepStrictEqual(
      [statSync(file).mtimeMs, statSync(statePath).mtimeMs],
      [written, state],
      'nothing changed',
    );
    await vm.invoke({ user: 'Administrator', password: 'Embedded-Lab-Only-1' }, 'bcdedit', ['/debug', 'on']);
    await host.save();
    equal(statSync(file).mtimeMs, written, 'a checkpoint never changes');
    ok(statSync(statePath).mtimeMs > state, 'the VM changed, so the state file is written');
    ok(!readFileSync(statePath, 'utf8').includes('"snapshot"'), 'the state file holds no snapshot');
    await vm.removeCheckpoint('mine');
    await host.save();
    ok(!existsSync(file), 'a removed checkpoint’s file goes with it');
  });

  test('after operations it saves once, within a moment, and at once when a checkpoint is new', async (t) => {
    const lab = await loadLabFile(paths.embeddedLab);
    const statePath = join(tempDir(), `lab-${process.pid}-5a0e5a0e.json`);
    const errors: unknown[] = [];
    const host = await SimHost.open({
      lab,
      statePath,
      clock: virtualClock(),
      onSaveError: (e) => errors.push(e),
    });
    const vm = host.vm('win11-a');
    ok(vm);
    const credential = { user: 'Administrator', password: 'Embedded-Lab-Only-1' };
    const saved = () => readFileSync(statePath, 'utf8');
    await vm.invoke(credential, 'bcdedit', ['/set', '{current}', 'description', 'first-change']);
    await vm.invoke(credential, 'bcdedit', ['/set', '{current}', 'description', 'second-change']);
    t.mock.timers.enable({ apis: ['setTimeout'] });
    host.saveSoon();
    host.saveSoon();
    ok(!saved().includes('second-change'), 'not yet: the save waits for the operations that follow');
    t.mock.timers.tick(SAVE_COALESCE_WALL_MS);
    await new Promise((r) => setImmediate(r));
    ok(saved().includes('second-change'), 'saved once the moment has passed');
    t.mock.timers.reset();

    await vm.checkpoint('made-now');
    host.saveSoon();
    await new Promise((r) => setImmediate(r));
    ok(saved().includes('made-now'), 'a new checkpoint is saved at once: a host taking over must find it');
    const second = await SimHost.open({ lab, statePath, clock: virtualClock() });
    ok(
      second
        .vm('win11-a')
        ?.checkpoints()
        .some((c) => c.name === 'made-now'),
    );
    deepStrictEqual(errors, []);
  });

  test('a state file whose checkpoint file is missing is refused with a sentence naming both', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    const dir = tempDir();
    const statePath = join(dir, `lab-${process.pid}-0c0c0c0c.json`);
    await SimHost.open({ lab, statePath });
    const folder = join(dir, `lab-${process.pid}-0c0c0c0c.checkpoints`);
    const [first] = readdirSync(folder);
    rmSync(join(folder, first as string));
    await rejects(
      SimHost.open({ lab, statePath }),
      new RegExp(
        `names checkpoint ${(first as string).replace('.json', '')}, but its file '.*' cannot be read`,
      ),
    );
  });

  test('state files of lab sessions whose process has ended are removed; a live one is kept', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    const dir = tempDir();
    const dead = join(dir, 'lab-2147483646-deadbeef.json');
    const deadCheckpoints = join(dir, 'lab-2147483646-deadbeef.checkpoints');
    const live = join(dir, `lab-${process.pid}-feedface.json`);
    writeFileSync(dead, '{}');
    mkdirSync(deadCheckpoints);
    writeFileSync(join(deadCheckpoints, 'x.json'), '{}');
    writeFileSync(live, '{}');
    await SimHost.open({ lab, statePath: join(dir, `lab-${process.pid}-00000001.json`) });
    ok(!existsSync(dead));
    ok(!existsSync(deadCheckpoints));
    ok(existsSync(live));
  });

  test('a state file this host did not write is refused with a sentence', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    const statePath = join(tempDir(), `lab-${process.pid}-0badf11e.json`);
    writeFileSync(statePath, JSON.stringify({ version: 1, vms: 'no' }));
    await rejects(SimHost.open({ lab, statePath }), /is not one this host wrote/);
  });

  test('a state file that is there but cannot be read is refused with a sentence, not taken for a new session', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    // A folder where the state file should be: reading it fails with EISDIR, not ENOENT.
    const statePath = join(tempDir(), `lab-${process.pid}-d1d1d1d1.json`);
    mkdirSync(statePath);
    await rejects(SimHost.open({ lab, statePath }), (error: Error) =>
      error.message.startsWith(`the state file '${statePath}' could not be read (EISDIR`),
    );
  });

  test('checkpoint-missing: the baseline is not there from the start', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    if (lab.data.kind !== 'embedded') throw new Error('embedded');
    lab.data.embedded.faults['win11-b'] = [{ kind: 'checkpoint-missing' }];
    const host = await SimHost.open({ lab, statePath: null });
    deepStrictEqual(host.vm('win11-b')?.checkpoints(), []);
    deepStrictEqual(
      host
        .vm('win11-a')
        ?.checkpoints()
        .map((c) => c.name),
      ['baseline'],
    );
  });
});

/** How many there are (a count the assertions above must not narrow). */
const count = (list: readonly unknown[]): number => list.length;

describe('the simulated host with a debug link plugged in', () => {
  test('lets a VM whose debugger is attached go on by itself: after g on a crash the dump is written, the VM reboots and the link reopens, with no operation asked', async () => {
    const lab = await loadLabFile(paths.embeddedLab);
    const opened: DebugTarget[] = [];
    const told: string[] = [];
    const clock = virtualClock();
    const host = await SimHost.open({
      lab,
      statePath: null,
      clock,
      links: {
        open: (vm) => {
          opened.push(vm.target);
          return { attached: () => true, notify: (e) => told.push(e.kind), close: () => {} };
        },
      },
    });
    try {
      const vm = host.vm('win11-a');
      ok(vm);
      const run = (...args: string[]) =>
        vm.invoke({ user: 'Administrator', password: 'Embedded-Lab-Only-1' }, args[0] ?? '', args.slice(1));
      await run('bcdedit', '/dbgsettings', 'NET', 'HOSTIP:127.0.0.11', 'PORT:50011', 'KEY:1.2.3.4');
      await run('bcdedit', '/debug', 'on');
      await run('shutdown', '/r', '/t', '0');
      // Nobody is attached during the shutdown: the VM waits until lab time passes (the harness's wait).
      clock.advance(120_000);
      await vm.settle();
      equal(opened.length, 1, 'the boot with debugging on opened the link');
      equal(vm.state.phase, 'up');
      await vm.injectNmi();
      equal(vm.state.phase, 'frozen', 'the bugcheck stops in the attached debugger');
      const before = clock.now();
      await opened[0]?.execute('g');
      await host.save();
      // No operation follows: the host's own idle steps take it through the dump and the reboot.
      for (let i = 0; i < 5000 && !(count(opened) === 2 && vm.state.phase === 'up'); i += 1)
        await new Promise((r) => setTimeout(r, 2));
      equal(count(opened), 2, 'the reboot after the dump opened the link again');
      equal(vm.state.phase, 'up', 'the boot finished by itself');
      equal(
        clock.now() - before,
        DURATIONS.dump + 40_000,
        'lab time went on by the dump and the boot exactly',
      );
    } finally {
      host.stopWaking();
    }
  });
});
