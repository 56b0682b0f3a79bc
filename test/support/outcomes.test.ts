/**
 * Failed vs broken, and sentences built from what happened: an expected outcome that simply did
 * not happen (no crash, an empty IRP log, no failed commit requests) is data — the expectation
 * passes or fails with its sentence, it is never a lab fault — and every "because" says what the
 * scenario actually did, on both branches.
 *
 * The domain classes run against a World whose lab answers are given here: what the guest and the
 * debugger answered is the input, the expectation's verdict and sentence the output.
 */
import { equal, match, ok, rejects } from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AssertionError } from '../../lab/errors.js';
import { Expect, Narrative } from '../../support/capabilities.js';
import { composeDomain, type DomainGround } from '../../support/domain/compose.js';
import { isEmptyOutput, readOutput } from '../../support/domain/read.js';

interface FakeCrash {
  code: number;
  during: string;
}

/**
 * The domain helpers of a scenario, composed as the World composes them, on a ground whose lab
 * answers are given here; `answers` are what the lab and debugger say.
 */
function world(answers: {
  crash?: FakeCrash | null;
  debugger?: (command: string) => string;
  registry?: number;
  writers?: { name: string; state: { code: number; text: string } }[];
}) {
  const narrative = new Narrative();
  const ground = {
    lab: { redactor: { redact: (t: string) => t }, file: { path: 'lab.yaml' } },
    vm: {
      describe: () => "VM 'win11-a'",
      guest: {
        setRegistryValue: async () => {},
        reboot: async () => {},
        registryValue: async () => ({ value: answers.registry ?? 0 }),
        createFiles: async (_dir: string, count: number) => count,
        createFolders: async (_dir: string, count: number) => count,
      },
    },
    hasVm: true,
    evidence: { attach: async () => {} },
    narrative,
    expect: new Expect((t) => t),
    debuggers: { attachedDebugger: () => null, detachDebugger: async () => {} },
    scenario: { name: 'a scenario', uri: 'features/x.feature', tags: [], steps: [] },
  } as unknown as DomainGround;
  const domain = composeDomain(ground);
  Object.assign(domain.guest, {
    read: async () => ({ value: { writers: answers.writers ?? [] } }),
  });
  const analysis = {
    run: async (command: string, kind: 'verifier-irplog' | 'vm' | 'pendingnbls', options = {}) =>
      readOutput(kind, answers.debugger?.(command) ?? '', `'${command}' on the crash`, options),
  };
  Object.assign(domain.crashes, {
    record: answers.crash ?? null,
    openAnalysis: async () => analysis,
  });
  return { ...domain, did: (action: string) => narrative.did(action) };
}

async function failure(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    ok(error instanceof AssertionError, `expected a failed expectation, got ${String(error)}`);
    return error.message;
  }
  throw new Error('the expectation passed');
}

const CRASH_0A = { code: 0xa, during: 'baddriver.sys was loaded' };

describe('an outcome that did not happen is a failed expectation, not a lab fault', () => {
  test('an empty IRP log fails the IRP-log expectation with its sentence', async () => {
    const w = world({ crash: CRASH_0A, debugger: () => '' });
    const message = await failure(() => w.verifier.expectIrpLogEntry('baddriver.sys', -1));
    equal(
      message,
      'Expected the IRP log to have an entry with SpecialApcDisable = -1 issued from baddriver.sys, because Driver Verifier is off and baddriver.sys was loaded, but the IRP log has no entries (Driver Verifier is off, so no IRP is logged).',
    );
  });

  test('the sentence says why the log is empty: IRP logging off, or another driver verified', async () => {
    const w = world({ crash: CRASH_0A, debugger: () => '# Parsing 00004000 array entries.\n' });
    Object.assign(w.verifier, { settings: { flags: 0x10, drivers: ['baddriver.sys'] } });
    match(
      await failure(() => w.verifier.expectIrpLogEntry('baddriver.sys', -1)),
      /, but the IRP log has no entries \(Driver Verifier runs without IRP logging, so no IRP is logged\)\.$/,
    );
    Object.assign(w.verifier, { settings: { flags: 0x410, drivers: ['myfault.sys'] } });
    match(
      await failure(() => w.verifier.expectIrpLogEntry('baddriver.sys', -1)),
      /, but the IRP log has no entries \(Driver Verifier does not verify baddriver.sys, so its IRPs are not logged\)\.$/,
    );
  });

  test("the IRP log's header line alone is a log with no entries", async () => {
    ok(isEmptyOutput('# Parsing 00004000 array entries.\n'));
    ok(
      !isEmptyOutput(
        'IRP fffffa8004b62c10, Thread fffffa8003a5e060, IRQL = 0, KernelApcDisable = -4, SpecialApcDisable = -1\n',
      ),
    );
  });

  test('an IRP-log expectation with no crash fails: nothing crashed', async () => {
    const w = world({ crash: null });
    const message = await failure(() => w.verifier.expectIrpLogEntry('baddriver.sys', -1));
    match(
      message,
      /, but VM 'win11-a' did not bugcheck in this scenario \(it reported no bug check since the scenario began\)\.$/,
    );
  });

  test('"blamed on" with no crash fails, naming what was expected', async () => {
    const w = world({ crash: null });
    w.did('myfault.sys overran its pool allocation');
    const message = await failure(() => w.crashes.expectBlamedOn('myfault.sys'));
    equal(
      message,
      "Expected the crash of VM 'win11-a' to be blamed on myfault.sys, because myfault.sys overran its pool allocation, but VM 'win11-a' did not bugcheck in this scenario (it reported no bug check since the scenario began).",
    );
  });

  test('any other look into a crash that never happened fails too', async () => {
    const w = world({ crash: null });
    const message = await failure(() => w.crashes.analysis());
    match(message, /^Expected VM 'win11-a' to have bugchecked, so that its crash can be examined, because /);
  });

  test('"0 failed commit requests" passes when !vm prints no failure line', async () => {
    const w = world({ crash: { code: 0x50, during: 'commithog committed 8 GB' } });
    Object.assign(w.memory, { report: async () => ({ commitFailures: null }) });
    await w.memory.expectReportedFailures(0);
    const message = await failure(() => w.memory.expectReportedFailures(3));
    match(message, /, but !vm prints no "commit requests have failed" line, so none failed\.$/);
  });
});

describe('every "because" says what the scenario did', () => {
  test('NBL tracking: the expectation that the debugger asks for tracking says tracking was off, or on', async () => {
    for (const on of [false, true]) {
      const w = world({ crash: { code: 0x9f, during: 'a memory dump was taken' }, registry: on ? 1 : 0 });
      await w.network.trackNblOwners(on);
      Object.assign(w.network, { pendingNbls: async () => ({ trackingEnabled: on, rows: [] }) });
      if (on) {
        const message = await failure(() => w.network.expectTrackingRequired());
        match(
          message,
          /because with NBL owner tracking turned on \(TrackNblOwner = 1\), so NDIS records who holds each NBL, but it listed 0 pending NBL\(s\)\.$/,
        );
      } else {
        await w.network.expectTrackingRequired();
      }
    }
  });

  test('NBL tracking: the expectation that the miniport holds the NBLs says how tracking was set', async () => {
    for (const on of [true, false]) {
      const w = world({ crash: { code: 0x9f, during: 'a memory dump was taken' }, registry: on ? 1 : 0 });
      await w.network.trackNblOwners(on);
      w.did('the network adapter was removed');
      Object.assign(w.network, { pendingNbls: async () => ({ trackingEnabled: on, rows: [] }) });
      const message = await failure(() =>
        w.network.expectNblsHeldBy('My Ethernet 1Gb 4-port Adapter', 'PNP_DEVICE_REMOVING', 'PAUSED'),
      );
      match(
        message,
        on
          ? /because the network adapter was removed, with NBL owner tracking turned on \(TrackNblOwner = 1\)/
          : /because the network adapter was removed, with NBL owner tracking turned off \(TrackNblOwner = 0\), but the debugger says NBL tracking is off\.$/,
      );
    }
  });

  test('VSS: the limit named is the one for what was created, files or folders', async () => {
    const writers = [{ name: 'System Writer', state: { code: 1, text: 'Stable' } }];
    for (const [kind, count, limit] of [
      ['files', 10001, 'more than 10,000 files'],
      ['folders', 1001, 'more than 1,000 folders'],
    ] as const) {
      const w = world({ writers });
      await w.backup.bloatTemporaryAspNetFiles(count, kind);
      const message = await failure(() => w.backup.expectWriter('System Writer', false));
      equal(
        message,
        `Expected the VSS writers of VM 'win11-a' not to include the System Writer, because ${count} ${kind} were created under the Temporary ASP.NET Files, and the System Writer gives up in OnIdentify on a folder under Microsoft.NET with ${limit}, but it is listed as [1] Stable.`,
      );
    }
  });

  test('corrupt pool: "after an overrun" only when the scenario made a driver overrun', async () => {
    const noCorruption = async () => ({ corrupt: false, looked: ['0xffffa00000001000'] });
    const overrun = world({ crash: { code: 0x19, during: 'a program started' } });
    Object.assign(overrun.crashes, {
      run: async () => null,
    });
    await overrun.drivers.trigger(
      {
        name: 'myfault',
        binary: 'myfault.sys',
        triggers: { overrun: ['notmyfault64.exe', '/crash', 'overrun'] },
      } as never,
      'overrun',
      'overran its pool allocation',
    );
    Object.assign(overrun.pool, { triage: noCorruption });
    equal(
      await failure(() => overrun.pool.expectCorruption()),
      'Expected the crash to have met corrupt pool, because a program started after myfault.sys overran its pool allocation, but !pool found no corrupt page at 0xffffa00000001000.',
    );

    const nmi = world({ crash: { code: 0x80, during: 'an NMI was injected to take a dump' } });
    Object.assign(nmi.pool, { triage: noCorruption });
    equal(
      await failure(() => nmi.pool.expectCorruption()),
      'Expected the crash to have met corrupt pool, because an NMI was injected to take a dump, and the scenario made no driver overrun its pool, but !pool found no corrupt page at 0xffffa00000001000.',
    );
  });
});

test('a reading problem is still a lab fault: text that is not an IRP log is refused, not taken as empty', async () => {
  await rejects(
    () =>
      readOutput('verifier-irplog', 'garbage that no kd prints\n', "'!verifier 100' on the crash", {
        whenEmpty: { entries: [], truncated: false },
      }),
    (error: Error) => error.constructor.name === 'LabCompromisedError',
  );
});
