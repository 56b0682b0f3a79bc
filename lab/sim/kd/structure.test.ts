/**
 * The simulated debugger's session has the structure of a real current kd's: the kinds of its
 * lines, in order (test/kits/sim/kd/line-kinds.testkit.ts), compared with real sessions of the replay corpus
 * (lab/kd/replay/corpus/) and the quoted capture in fixtures/ — never with the simulator's own
 * output. Addresses, dates and counts differ; the kinds of line and their order may not.
 */
import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeFields, analyzeKeys, structureOf } from '../../../test/kits/sim/kd/line-kinds.testkit.js';
import { parseRecording, type Recording } from '../../kd/replay/recording.js';
import { buildCase, SEED_CASES } from '../kernel/cases.js';
import { DumpDebugTarget } from '../kernel/dump.js';
import { bugcheckEventText, identityOf } from '../kernel/target.js';
import {
  connectedBanner,
  header,
  netWaitingBanner,
  reconnectedLine,
  refreshText,
  reloadText,
  withAnalysisHint,
} from './banners.js';
import { runKd } from './console.js';

function recording(name: string): Recording {
  const url = new URL(`../../kd/replay/corpus/${name}.txt`, import.meta.url);
  return parseRecording(readFileSync(url, 'utf8'), name);
}

function step(rec: Recording, command: string): string {
  const found = rec.steps.find((s) => s.command === command);
  if (!found) throw new Error(`${command} is not in the recording`);
  return found.output.join('\n');
}

const seedCase = (name: string) => {
  const found = SEED_CASES.find((c) => c.name === name);
  if (!found) throw new Error(name);
  return found;
};

/** `kd -z` in-process on a simulated triage dump: what it printed up to its first prompt, and `!analyze -v`. */
async function dumpSession(): Promise<{ banner: string; analyze: string }> {
  const state = buildCase(seedCase('special-pool-d6')).kernel.state;
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  const exit = runKd(
    ['-z', 'C:\\Windows\\Minidump\\120726-20828-01.dmp', '-y', 'srv*'],
    { stdin, stdout, stderr: new PassThrough(), env: {} },
    { dumpOpener: async () => new DumpDebugTarget({ state, uptimeSeconds: 129.764 }, '120726-20828-01.dmp') },
  );
  const prompts = async (n: number) => {
    for (let i = 0; i < 400 && (out.match(/\d: kd> /g) ?? []).length < n; i += 1) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect.equal((out.match(/\d: kd> /g) ?? []).length, n, out);
  };
  await prompts(1);
  const banner = out.replace(/\d: kd> $/, '');
  stdin.write('!analyze -v\n');
  await prompts(2);
  const analyze = out.slice(out.indexOf('kd> ') + 4).replace(/\d: kd> $/, '');
  stdin.write('q\n');
  expect.equal(await exit, 0);
  return { banner, analyze };
}

/** Every item of `a` that is also in `b`, in `a`'s order. */
const shared = (a: string[], b: string[]) => a.filter((x) => b.includes(x));

describe('the simulated kd, line kinds in order, against real current kd sessions', () => {
  it('opens a triage dump as kd 10.0.29617 did (dump-whea-124-gallery): gallery, header, dump kind, target lines, symbol load, hint, the stopped instruction', async () => {
    const real = recording('dump-whea-124-gallery');
    const { banner } = await dumpSession();
    expect.deepEqual(structureOf(banner), structureOf(real.preamble.join('\n')));
  });

  it("analyses the dump with a current kd's symbol reload, sections and keys, in the real order", async () => {
    const real = step(recording('dump-whea-124-gallery'), '!analyze -v');
    const { analyze } = await dumpSession();
    // Up to the title: the reload, then the analysis banner.
    const head = (text: string) => structureOf(text.slice(0, text.indexOf('Arguments:')));
    expect.deepEqual(head(analyze), head(real));
    // Every section the real analysis has, the simulated one has, and the shared ones in the real order.
    const realFields = analyzeFields(real);
    const simFields = analyzeFields(analyze);
    expect.deepEqual(
      realFields.filter((f) => !simFields.includes(f)),
      [],
      'sections missing from the simulated analysis',
    );
    expect.deepEqual(shared(simFields, realFields), realFields);
    // Keys: the real triage dump's, but for its machine's own (a BIOS revision), in the real order.
    const realKeys = analyzeKeys(real).filter((k) => !k.startsWith('WER.System.'));
    const simKeys = analyzeKeys(analyze);
    expect.deepEqual(shared(simKeys, realKeys), realKeys);
    // A current analysis sorts its keys (AV.Type, Analysis.*, Bugcheck.*, Dump.*, Failure.*, …).
    expect.deepEqual(simKeys, [...simKeys].sort());
  });

  it('stops on a live bug check as a current kd on a Windows 11 guest did (live-bugcheck-0x50-win11-26100)', () => {
    const real = recording('live-bugcheck-0x50-win11-26100');
    const state = buildCase(seedCase('special-pool-d6')).kernel.state;
    // The `g` that met the bug check: the KDNET refresh first is the link's event, not the bug check's.
    const realStop = structureOf(step(real, 'g')).filter((k, i) => !(i === 0 && k === 'kdtarget-refresh'));
    expect.deepEqual(structureOf(withAnalysisHint(bugcheckEventText(state))), realStop);
    // The first `!analyze -v` after it reaches the target again and reloads, before its banner.
    const analyze = step(real, '!analyze -v');
    const toBox = (kinds: string[]) => kinds.slice(0, kinds.indexOf('analysis-box') + 1);
    const realPreamble = toBox(structureOf(analyze));
    const identity = identityOf(state, 100);
    const simPreamble = toBox(
      structureOf(`${reconnectedLine(identity, new Date())}${reloadText(true)}${'*'.repeat(79)}\n`),
    );
    expect.deepEqual(simPreamble, realPreamble);
    // Its keys: every key of the real Hyper-V guest's analysis but the ones of its own crash
    // (an access violation in a module with symbols), in the real order.
    const simAnalyze = buildCase(seedCase('special-pool-d6')).kernel.renderCommand('!analyze -v', {
      processor: 1,
      source: 'live',
      cxr: null,
    }).text;
    const realKeys = analyzeKeys(analyze);
    const simKeys = analyzeKeys(simAnalyze);
    expect.deepEqual(
      realKeys.filter((k) => !simKeys.includes(k)),
      [],
      'keys of the real live analysis missing from the simulated one',
    );
    expect.deepEqual(shared(simKeys, realKeys), realKeys);
  });

  it("prints k with a current kd's ' # ' frame numbers and columns (live-bugcheck-0x50-win11-26100)", () => {
    const real = step(recording('live-bugcheck-0x50-win11-26100'), 'k').split('\n');
    const built = buildCase(seedCase('special-pool-d6'));
    const simulated = built.kernel.renderCommand('k', built.context).text.split('\n');
    expect.equal(simulated[0], real[0]);
    const frame = /^[0-9a-f]{2} [0-9a-f]{8}`[0-9a-f]{8} [0-9a-f]{8}`[0-9a-f]{8} {5}\S/;
    for (const line of [...real.slice(1), ...simulated.slice(1)].filter((l) => l !== ''))
      expect.match(line, frame);
  });

  it('connects over KDNET as a current kd did to Windows 10 18362 (kdnet-connect-refresh-18362)', () => {
    const real = recording('kdnet-connect-refresh-18362');
    const state = buildCase(seedCase('special-pool-d6')).kernel.state;
    const banner = connectedBanner({
      identity: { ...identityOf(state, 35.31), build: 18362, processors: 2 },
      peer: { target: '192.168.1.9', port: 50000, local: '192.168.1.1' },
      symbols: 'srv*;srv*c:\\symbols*http://msdl.microsoft.com/download/symbols',
      now: new Date(),
      initialBreak: false,
    });
    expect.deepEqual(structureOf(`${banner}${refreshText()}`), structureOf(real.preamble.join('\n')));
    // The build lab is the one that build printed.
    expect.match(banner, /^Edition build lab: 18362\.1\.amd64fre\.19h1_release\.190318-1202$/m);
  });

  it('starts over KDNET as a current kd does: header, then NET, WinSock, IPv4 only, waiting (kd 10.0.18914, fixtures/)', () => {
    const real = readFileSync(
      fileURLToPath(new URL('fixtures/startup.kdnet-18914.txt', import.meta.url)),
      'utf8',
    );
    const noBlank = (k: string) => k !== 'blank' && k !== 'gallery';
    const simulated = `${header()}${netWaitingBanner(true)}`;
    expect.deepEqual(structureOf(simulated, noBlank), structureOf(real, noBlank));
    // After a reboot it waits again without the IPv4 line (sxe-ld-reboot-19041).
    const reboot = step(recording('sxe-ld-reboot-19041'), 'g');
    const again = reboot.slice(reboot.indexOf('Using NET'), reboot.indexOf('Connected to target'));
    expect.deepEqual(structureOf(netWaitingBanner(false)), structureOf(again));
  });
});
