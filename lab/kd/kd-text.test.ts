import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  classifyKdLine,
  promptAlone,
  promptLeading,
  resumingCommand,
  trailingPrompt,
  verifierQuestionChoices,
} from './kd-text.js';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
const lines = (name: string) => readFileSync(join(fixtures, name), 'utf8').split('\n');
const kinds = (name: string) =>
  lines(name)
    .map(classifyKdLine)
    .filter((k) => k !== null);

describe('what KdSession recognises in kd output', () => {
  it("reads Microsoft's KDNET walkthrough banners as waiting, reached, connected and established", () => {
    expect.deepEqual(kinds('banners.kdnet-walkthrough.txt'), [
      { kind: 'waiting' },
      { kind: 'target-reached', target: '169.182.1.1', port: 50005, local: '169.182.1.2' },
      { kind: 'connected', product: 'Windows 10', build: 16299, arch: 'x64', ptr64: true },
      { kind: 'established', initialBreak: true },
    ]);
  });

  it('reads the lost-link text of the KDNET-USB article, whatever the retry count', () => {
    expect.deepEqual(kinds('banners.lost-link.txt'), [
      { kind: 'retry', count: 128 },
      { kind: 'transport-lost' },
    ]);
    expect.deepEqual(classifyKdLine('... Retry sending the same data packet for 192 times.'), {
      kind: 'retry',
      count: 192,
    });
  });

  it('reads a bug check banner as the code, then the four parameters, then a break instruction', () => {
    expect.deepEqual(kinds('bugcheck.special-pool.txt'), [
      { kind: 'fatal', codeText: '0x000000d6', code: 0xd6 },
      {
        kind: 'fatal-params',
        args: ['0xfffff9800b5ff000', '0x0000000000000001', '0xfffff88004f834eb', '0x0000000000000000'],
      },
      { kind: 'break-instruction' },
    ]);
  });

  it('does not take elided parameters for parameters', () => {
    expect.deepEqual(kinds('bugcheck.doar-e.txt'), [
      { kind: 'refresh' },
      { kind: 'fatal', codeText: '0x000000d1', code: 0xd1 },
      { kind: 'break-instruction' },
    ]);
  });

  it('finds the prompt only when it stands alone at the end, with or without a processor', () => {
    expect.deepEqual(promptAlone('kd> '), { processor: null, machine: null });
    expect.deepEqual(promptAlone('13: kd> '), { processor: 13, machine: null });
    expect.equal(promptAlone('kd>'), null);
    expect.equal(promptAlone('kd> k'), null);
    expect.equal(promptAlone('0:kd> '), null);
    expect.deepEqual(promptLeading('8: kd> !locks'), {
      prompt: { processor: 8, machine: null },
      rest: '!locks',
    });
    expect.deepEqual(trailingPrompt('Child-SP\n1: kd> '), {
      before: 'Child-SP\n',
      prompt: { processor: 1, machine: null },
    });
    expect.equal(trailingPrompt('Child-SP\n'), null);
  });

  it('reads the prompt of a WoW64 thread, with its effective machine and processor', () => {
    // `32.2: kd:x86> x nt!ntwritefile;` — a public capture (lab/kd/replay/corpus/wow64-x-symbols.txt).
    expect.deepEqual(promptAlone('32.2: kd:x86> '), { processor: 2, machine: 'x86' });
    expect.deepEqual(promptLeading('32.0: kd:x86> gn'), {
      prompt: { processor: 0, machine: 'x86' },
      rest: 'gn',
    });
  });

  it('finds the command that lets the target run anywhere in a compound line', () => {
    expect.equal(resumingCommand('bp nt!NtCreateFile; g'), 'g');
    expect.equal(resumingCommand('~0 g'), '~0 g');
    expect.equal(resumingCommand('gu'), 'gu');
    expect.equal(resumingCommand('r rdx=1;gc'), 'gc');
    expect.equal(resumingCommand('gh'), 'gh');
    expect.equal(resumingCommand('~1 gn'), '~1 gn');
    expect.equal(resumingCommand('.echo "g; gu"'), null);
    expect.equal(resumingCommand('p'), null);
    expect.equal(resumingCommand('!analyze -v; k'), null);
    expect.equal(resumingCommand('sxe -c ".lastevent ; g" ld'), null);
  });

  it("recognises Driver Verifier's DbgPrompt questions and their choices", () => {
    expect.deepEqual(verifierQuestionChoices('Break, Ignore, Zap, Remove, Disable all (bizrd)? '), {
      choices: ['b', 'i', 'z', 'r', 'd'],
    });
    expect.deepEqual(verifierQuestionChoices('Break, Ignore, Disable all (bid)? '), {
      choices: ['b', 'i', 'd'],
    });
    expect.equal(verifierQuestionChoices('Break instruction exception - code 80000003 (first chance)'), null);
  });
});
