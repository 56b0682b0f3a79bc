import { strict as expect } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '../../../test/fuzz.testkit.js';
import { LabCompromisedError } from '../../errors.js';
import { buildCase, driver, GUEST, overrun, SEED_CASES } from './cases.js';
import { openDumpTarget, readDump, writeDump } from './dump.js';
import { createKernel, type Kernel } from './index.js';
import { renderCommand } from './render/index.js';
import { KernelDebugTarget, type TargetVm } from './target.js';

const caseNamed = (name: string) => {
  const found = SEED_CASES.find((c) => c.name === name);
  if (!found) throw new Error(name);
  return found;
};

/**
 * The VM around the target, reduced to what the target asks of it and recorded: the target's own
 * behaviour is under test here; the real VM's reactions are tested in lab/sim/model/vm.test.ts.
 */
function recordingVm(kernel: Kernel) {
  const calls: string[] = [];
  let stopped = false;
  const vm: TargetVm = {
    kernel: () => kernel,
    isStopped: () => stopped,
    stop: async () => {
      calls.push('stop');
      stopped = true;
    },
    resume: async () => {
      calls.push('resume');
      stopped = false;
    },
    reboot: async () => {
      calls.push('reboot');
      stopped = false;
    },
    answerVerifier: async (choice) => {
      calls.push(`answer ${choice}`);
      return '';
    },
    crashed: async (outcome) => {
      calls.push(`crashed 0x${outcome.kind === 'bugcheck' ? outcome.bugcheck.code.toString(16) : '?'}`);
    },
    changed: async () => {
      calls.push('changed');
    },
    uptimeSeconds: () => 42,
  };
  return { vm, calls };
}

function liveTarget() {
  const kernel = createKernel({ ...GUEST, verifier: { flags: 1, drivers: ['myfault.sys'] } });
  const { vm, calls } = recordingVm(kernel);
  const target = new KernelDebugTarget(vm);
  return { kernel, target, calls };
}

describe('KernelDebugTarget', () => {
  it('breaks in with the CTRL+C banner, stops, and answers commands from the kernel', async () => {
    const { target, calls } = liveTarget();
    expect.equal(target.isStopped(), false);
    const text = await target.breakIn();
    expect.match(text, /^Break instruction exception - code 80000003 \(first chance\)$/m);
    expect.match(text, /THIS IS NOT A BUG OR A SYSTEM CRASH/);
    expect.match(text, /^nt!DbgBreakPointWithStatus:\n[0-9a-f]{8}`[0-9a-f]{8} cc {14}int {5}3$/m);
    expect.equal(target.isStopped(), true);
    expect.match(await target.execute('k'), /nt!DbgBreakPointWithStatus$/m);
    expect.equal(await target.breakIn(), '', 'a stopped target has nothing more to say');
    await target.resume();
    expect.deepEqual(calls, ['stop', 'changed', 'changed', 'resume']);
    expect.equal(target.isStopped(), false);
  });

  it('reports a bugcheck as the Fatal System Error block of a live session', async () => {
    const { kernel, target } = liveTarget();
    kernel.apply({ kind: 'driver-loaded', driver: driver('myfault', [overrun()]) });
    const outcome = kernel.apply({ kind: 'trigger', driver: 'myfault', trigger: 'buffer-overflow' });
    const event = target.noteOutcome(outcome);
    expect.equal(event?.kind, 'bugcheck');
    const lines = (event?.text ?? '').split('\n');
    expect.equal(lines[1], '*** Fatal System Error: 0x000000d6');
    expect.match(
      lines[2] ?? '',
      /^ {23}\(0x[0-9A-F]{16},0x0000000000000001,0x[0-9A-F]{16},0x0000000000000000\)$/,
    );
    expect.ok(lines.includes('Debugger entered on first try; Bugcheck callbacks have not been invoked.'));
    expect.equal(target.currentProcessor(), kernel.promptProcessor());
    // A live bugcheck is still inside the debugger break.
    expect.match(
      await target.execute('kn'),
      /^00 [0-9a-f`]{17} [0-9a-f`]{17} {5}nt!DbgBreakPointWithStatus$/m,
    );
  });

  it('runs .crash as a 0xE2 bugcheck, and sends g and .reboot to the VM', async () => {
    const { target, calls } = liveTarget();
    await target.breakIn();
    const text = await target.execute('.crash');
    expect.match(text, /^\*\*\* Fatal System Error: 0x000000e2$/m);
    expect.match(await target.execute('!analyze -v'), /^MANUALLY_INITIATED_CRASH \(e2\)$/m);
    await target.execute('g');
    await target.execute('.reboot');
    expect.deepEqual(calls, ['stop', 'changed', 'crashed 0xe2', 'changed', 'resume', 'reboot']);
  });

  it('keeps the .cxr scope across commands, as a kd session does', async () => {
    const built = buildCase(caseNamed('pool-corruption-3b'));
    const target = new KernelDebugTarget(recordingVm(built.kernel).vm);
    const cxr = built.kernel.state.crash?.context?.address;
    await target.execute(`.cxr 0x${cxr}`);
    expect.match(await target.execute('r'), /^rax=4f4f4f4f4f4f4f4f /m);
    expect.equal(await target.execute('.cxr'), 'Resetting default scope');
    expect.match(await target.execute('r'), /^rax=0000000000000000 /m);
  });

  it('tells who it is the way KD prints it', () => {
    const { target, kernel } = liveTarget();
    const identity = target.identity();
    expect.equal(identity.build, 19041);
    expect.equal(identity.uptimeSeconds, 42);
    expect.equal(identity.kernelBase, `0x${kernel.state.modules[0]?.base.replace(/^(.{8})/, '$1`')}`);
    // A Windows 10 guest: nt in a fffff80x`… slot, its module list inside the image (as in real banners).
    expect.match(identity.psLoadedModuleList, /^0xfffff80[0-7]`[0-9a-f]{8}$/);
    expect.equal(identity.psLoadedModuleList.slice(0, 11), identity.kernelBase.slice(0, 11));
  });
});

describe('crash dumps', () => {
  it('round-trip the kernel state behind a real x64 kernel-dump signature', () => {
    const built = buildCase(caseNamed('special-pool-d6'));
    const state = built.kernel.state;
    const crashTime = new Date('2024-03-01T10:05:12.345Z');
    for (const kind of ['full', 'kernel', 'mini'] as const) {
      const bytes = writeDump(state, kind, { crashTime, uptimeSeconds: 312.5 });
      expect.equal(bytes.toString('latin1', 0, 8), 'PAGEDU64');
      expect.equal(bytes.readUInt32LE(0x38), 0xd6, 'the bug check code sits where DUMP_HEADER64 keeps it');
      expect.equal(
        bytes.readBigUInt64LE(0x40),
        BigInt(`0x${state.crash?.args[0]}`),
        'and its first parameter',
      );
      expect.equal(bytes.readBigUInt64LE(0xfa8), 133537611123450000n, 'SystemTime is a FILETIME');
      const back = readDump(bytes, 'MEMORY.DMP');
      expect.deepEqual([back.kind, back.crashTime, back.uptimeSeconds], [kind, crashTime, 312.5]);
      expect.deepEqual(back.state, state);
    }
    const untimed = readDump(writeDump(state, 'kernel'), 'MEMORY.DMP');
    expect.deepEqual([untimed.crashTime, untimed.uptimeSeconds], [null, 0]);
    expect.equal(
      writeDump(state, 'kernel').toString('latin1', 0xfa8, 0xfb0),
      'PAGEPAGE',
      'unset fields say PAGE',
    );
  });

  it('refuse a foreign or damaged file with one sentence', () => {
    const bytes = writeDump(buildCase(caseNamed('nmi-80')).kernel.state, 'kernel');
    expect.throws(
      () => readDump(Buffer.from('MDMP\u0093\u00a7....'), 'app.dmp'),
      (e: unknown) =>
        e instanceof LabCompromisedError &&
        e.message ===
          "The dump file 'app.dmp' cannot be opened, because it does not start with the PAGEDU64 signature of an x64 kernel dump; copy the dump the embedded lab wrote again (a partial copy or another file is not a driverlab dump).",
    );
    const damaged = Buffer.from(bytes);
    damaged[0x2000 + 10] = (damaged[0x2000 + 10] ?? 0) ^ 0xff;
    expect.throws(() => readDump(damaged, 'MEMORY.DMP'), /because its state does not match its checksum;/);
    expect.throws(
      () => readDump(bytes.subarray(0, bytes.length - 5), 'MEMORY.DMP'),
      /because it is truncated \(/,
    );
    const foreignKernelDump = Buffer.alloc(0x3000);
    foreignKernelDump.write('PAGEDU64', 0, 'latin1');
    expect.throws(
      () => readDump(foreignKernelDump, 'other.dmp'),
      /is a kernel dump that no simulated guest wrote/,
    );
  });

  it('open in -z mode: the analysis of the dump, and kd’s refusal to run it', async () => {
    const built = buildCase(caseNamed('special-pool-d6'));
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-dump-'));
    try {
      const path = join(dir, 'MEMORY.DMP');
      const crashTime = new Date('2024-03-01T10:05:12Z');
      writeFileSync(path, writeDump(built.kernel.state, 'kernel', { crashTime, uptimeSeconds: 95 }));
      const target = await openDumpTarget(path);
      expect.equal(target.isStopped(), true);
      expect.equal(target.identity().uptimeSeconds, 95);
      const analysis = await target.execute('!analyze -v');
      expect.equal(analysis, built.kernel.render('!analyze -v', built.context));
      expect.match(analysis, /^FILE_IN_CAB: {2}MEMORY\.DMP$/m);
      expect.equal(await target.execute('g'), `${' '.repeat(7)}^ No runnable debuggees error in 'g'`);
      expect.equal(readFileSync(path).toString('latin1', 0, 8), 'PAGEDU64');
      await expect.rejects(
        openDumpTarget(join(dir, 'missing.dmp')),
        /cannot be read; check that the dump was copied/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the renderer never throws', () => {
  const states = SEED_CASES.map((c) => buildCase(c));

  it('for any command string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.nat(states.length - 1), (command, i) => {
        const built = states[i];
        if (!built) return true;
        const out = renderCommand(command, built.kernel.state, built.context);
        return typeof out.text === 'string';
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('for known commands with arbitrary arguments', () => {
    const verbs = [
      '!analyze',
      'k',
      'kb',
      'u',
      'ub',
      'dq',
      'dc',
      'db',
      'dp',
      's',
      '!pool',
      '!pte',
      '!thread',
      '!verifier',
      '.cxr',
      '?',
      'ln',
      '.fnent',
      '!ndiskd.miniport',
      '!for_each_module',
      'lm',
      'r',
    ];
    const argument = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => n.toString(16)),
      fc.constantFrom(
        'nt!KeBugCheckEx',
        'NDIS!ndisTrackNblOwner',
        '.',
        '@rip',
        'L4',
        'l?ffffffff',
        '-a 0 L10 "None"',
        'nt+182f0',
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...verbs),
        fc.array(argument, { maxLength: 3 }),
        fc.nat(states.length - 1),
        (verb, args, i) => {
          const built = states[i];
          if (!built) return true;
          const out = renderCommand(`${verb} ${args.join(' ')}`, built.kernel.state, built.context);
          return typeof out.text === 'string';
        },
      ),
      { numRuns: fuzzRuns(300) },
    );
  });
});
