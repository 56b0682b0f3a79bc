/** The recording format and the player, in process: what a recording must say, and how it answers. */
import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Player } from './player.js';
import { parseRecording } from './recording.js';

const wow64 = readFileSync(new URL('./corpus/wow64-gn-single-step.txt', import.meta.url), 'utf8');

describe('a kd recording', () => {
  it('is cut at the prompts, WoW64 ones included, into commands and their output', () => {
    const recording = parseRecording(wow64, 'wow64-gn-single-step.txt');
    expect.deepEqual(
      recording.steps.map((s) => [s.prompt, s.command, s.closed]),
      [
        ['32.0: kd:x86> ', 'gn', true],
        ['32.0: kd:x86> ', 'ub', false],
      ],
    );
    expect.equal(recording.steps[0]?.output[1], 'WOW64 single step exception - code 4000001e (first chance)');
  });

  it('is refused without its provenance, with a sentence naming what is missing', () => {
    const unsourced = wow64.replace(/^# source: .*\n/m, '');
    expect.throws(
      () => parseRecording(unsourced, 'x.txt'),
      /^Error: The recording 'x.txt' lacks or misstates source in its header; every recording names its title, source, retrieved date, edits and attach/,
    );
    expect.throws(() => parseRecording('kd> k\n', 'y.txt'), /does not start with '# kd-replay: 1'/);
  });

  it('is played back: the recorded command gets its output and the next prompt, .echo its text', async () => {
    const recording = parseRecording(wow64, 'wow64-gn-single-step.txt');
    const out: string[] = [];
    const failures: string[] = [];
    const player = new Player(recording, 'wow64.txt', {
      write: (t) => out.push(t),
      fail: (m) => failures.push(m),
      exit: () => {},
    });
    await player.start();
    expect.equal(out.join(''), '32.0: kd:x86> ');
    await player.input('gn\n.echo "@@S@@"\n');
    const text = out.join('');
    expect.match(text, /\r\n00000000`008fa074 90 {14}nop\r\n32\.0: kd:x86> @@S@@\r\n32\.0: kd:x86> $/);
    await player.input('k\n');
    expect.deepEqual(failures, [
      "replay: the recording 'wow64.txt' has no answer for 'k' at its prompt 2 (it expected 'ub').",
    ]);
  });
});
