import { equal, match } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Redactor } from '../config/secrets.js';
import { KdTranscript } from './transcript.js';

// Microsoft's KDNET walkthrough banner (fixtures/SOURCES.md), and kd's prompt around a command as
// KdSession frames it: the command, then `.echo` of a sentinel that kd prints back.
const banner = readFileSync(join(import.meta.dirname, 'fixtures', 'banners.kdnet-walkthrough.txt'), 'utf8');
const KEY = '1.2.3.4';

function framed(transcript: KdTranscript, command: string, output: string, sentinel: string): void {
  transcript.input(command);
  transcript.input(`.echo "${sentinel}"`);
  transcript.output(`${output}kd> ${sentinel}\n`);
}

describe('a kd transcript read a scenario at a time', () => {
  it('hands out what was printed since the last take, without the sentinels', () => {
    const transcript = new KdTranscript(new Redactor());
    transcript.output(banner);
    const first = transcript.take();
    equal(first, banner);
    framed(transcript, 'lm', 'start             end                 module name\n', '@@DRIVERLAB:0a1b:END@@');
    const second = transcript.take();
    equal(second, 'lm\nstart             end                 module name\n');
    equal(transcript.take(), '');
  });

  it('redacts a secret registered after kd printed it', () => {
    const redactor = new Redactor();
    const transcript = new KdTranscript(redactor);
    transcript.output(`Using NET for debugging\nkey=${KEY}\n`);
    redactor.add(KEY, "KDNET key of VM 'win11-a'");
    const text = transcript.take();
    equal(text.includes(KEY), false);
    match(text, /«redacted: KDNET key of VM 'win11-a'»/);
  });

  it('counts its limit from the last take, so a long-lived session keeps every scenario', () => {
    const transcript = new KdTranscript(new Redactor(), 100);
    const line = 'Waiting to reconnect...\n';
    for (let scenario = 0; scenario < 20; scenario += 1) {
      transcript.output(line.repeat(3));
      equal(transcript.take(), line.repeat(3), `scenario ${scenario + 1}`);
    }
    // Past the limit within one take, what was cut is said, once.
    transcript.output(line.repeat(6));
    const cut = transcript.take();
    match(cut, /kd printed 44 more characters after these; a transcript keeps the first 100/);
    equal(transcript.take(), '');
  });

  it('reads as a whole after a take from where the take ended', () => {
    const transcript = new KdTranscript(new Redactor());
    transcript.output(banner);
    transcript.take();
    transcript.output('Waiting to reconnect...\n');
    equal(transcript.text(), 'Waiting to reconnect...\n');
  });
});
