/**
 * KdSession against what real kd printed: every recording in corpus/ is played back by the replay
 * executable (started as `node replay.mjs <recording>` in place of kd), and the session must read
 * it as a kd user would — each command's output exactly as recorded, the stops, the connects and
 * KDNET refreshes, the prompt's processor and machine as the recording's header says.
 */
import { strict as expect } from 'node:assert';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { debuggerChildren, noProc } from '../../../test/kits/kd/kd.testkit.js';
import { virtualClock } from '../../clock.js';
import { Redactor } from '../../config/secrets.js';
import { commandWord, resumingCommand } from '../kd-text.js';
import type { KdEvent } from '../port.js';
import { type KdConnection, KdSession, type KdSessionOptions } from '../session.js';
import { type Expectation, parseRecording, type Recording } from './recording.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const corpus = join(here, 'corpus');
const recordings = readdirSync(corpus)
  .filter((name) => name.endsWith('.txt'))
  .sort();

/** The replay executable, bundled once (as the simulated debugger is) so it starts as `node <script>`. */
function replayBundle(): string {
  const dir = join(tmpdir(), 'driverlab-replay');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `replay-${process.pid}.mjs`);
  buildSync({
    entryPoints: [join(here, 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

const bundle = replayBundle();
const sessions: KdSession[] = [];
after(async () => {
  await Promise.all(sessions.map((s) => s.close()));
});

function connectionFor(recording: Recording): KdConnection {
  switch (recording.attach) {
    case 'dump':
      return { kind: 'dump', path: join(tmpdir(), 'replay.dmp') };
    case 'com':
      return { kind: 'pipe', pipe: 'replay' };
    default:
      return { kind: 'net', hostIp: '127.0.0.1', port: 50_000, key: '1.2.3.4' };
  }
}

function holds(kd: KdSession, e: Expectation): string | null {
  const events = kd.events();
  const count = (kind: KdEvent['kind']) => events.filter((x) => x.kind === kind).length;
  switch (e.kind) {
    case 'established':
    case 'refresh': {
      const seen = count(e.kind);
      return seen === e.count ? null : `${seen} ${e.kind} events, not ${e.count}`;
    }
    case 'stop': {
      const last = [...events].reverse().find((x) => x.kind === 'stopped');
      if (last?.kind !== 'stopped') return 'no stop';
      if (last.stop.kind !== e.stop) return `a ${last.stop.kind} stop, not a ${e.stop}`;
      if (e.code !== null && (last.stop.kind !== 'bugcheck' || last.stop.bugcheck.code !== e.code)) {
        return `a stop without bug check 0x${e.code.toString(16)}`;
      }
      return null;
    }
    case 'processor':
      return kd.promptProcessor === e.processor
        ? null
        : `processor ${kd.promptProcessor}, not ${e.processor}`;
    case 'machine':
      return kd.promptMachine === e.machine ? null : `machine ${kd.promptMachine}, not ${e.machine}`;
  }
}

/** Waits (a few wall seconds at most) until the recording's expectations hold, then asserts them. */
async function expectAll(kd: KdSession, recording: Recording, name: string): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (recording.expect.every((e) => holds(kd, e) === null)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const failed = recording.expect
    .map((e) => [e, holds(kd, e)] as const)
    .filter(([, why]) => why !== null)
    .map(([e, why]) => `${JSON.stringify(e)}: ${why}`);
  expect.deepEqual(failed, [], `the recording '${name}' was not read as its header says`);
}

describe('KdSession replays real kd sessions', () => {
  it('has at least twenty recordings, each with its provenance', () => {
    expect.ok(recordings.length >= 20, `${recordings.length} recordings`);
    for (const name of recordings) {
      const recording = parseRecording(readFileSync(join(corpus, name), 'utf8'), name);
      expect.ok(recording.source.length > 20, `${name} names its source`);
    }
  });

  for (const name of recordings) {
    it(`reads ${basename(name, '.txt')}`, async () => {
      const file = join(corpus, name);
      const recording = parseRecording(readFileSync(file, 'utf8'), name);
      const options: KdSessionOptions = {
        subject: `the recording '${name}'`,
        executable: { file: process.execPath, leadingArgs: [bundle, file] },
        connection: connectionFor(recording),
        clock: virtualClock({ wallBudgetMs: 5000 }),
        redactor: new Redactor(),
        verifierPolicy: () => 'b',
        timeouts: { noTargetMs: 1e12 },
      };
      const kd = KdSession.start(options);
      sessions.push(kd);
      if (recording.attach === 'dump') await kd.waitUntilConnected();
      else if (recording.attach === 'excerpt')
        expect.ok(await kd.waitForStop(), 'the first prompt is a stop');
      for (const step of recording.steps) {
        if (step.command === '') break;
        const closed = step.closed;
        const resuming = resumingCommand(step.command);
        if (resuming && commandWord(resuming) === '.reboot') {
          await kd.reboot();
          await kd.waitUntilConnected();
          if (closed) expect.ok(await kd.waitForStop(), `a stop after '${step.command}'`);
        } else if (resuming) {
          await kd.go(step.command);
          if (closed) expect.ok(await kd.waitForStop(), `a stop after '${step.command}'`);
        } else if (closed) {
          const result = await kd.execute(step.command);
          const recorded = step.output.map((line) => `${line}\n`).join('');
          expect.equal(result.output, recorded, `the output of '${step.command}' in '${name}'`);
        }
        if (!closed) break;
      }
      await expectAll(kd, recording, name);
      await kd.close();
      const exit = kd.events().at(-1);
      expect.ok(exit?.kind === 'exited' && exit.code === 0, `the replay of '${name}' ended cleanly`);
    });
  }

  it('leaves no replaying process behind', { skip: noProc }, async () => {
    await Promise.all(sessions.map((s) => s.close()));
    expect.deepEqual(debuggerChildren(), []);
  });
});
