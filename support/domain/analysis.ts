/**
 * Examining a crash in the debugger: the kernel dump the guest wrote, copied to the host and opened
 * the way `kd -z` opens it (KdSession through the Debugger port). Every command's output is read by
 * the parser of its kind and kept as evidence, raw and parsed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnalyzeResult,
  type CommandKind,
  type Debugger,
  LabCompromisedError,
  openDumpDebugger,
} from '../../lab/index.js';
import type { Keeps, LabAccess, TestVm } from '../capabilities.js';
import { labelAnalysis } from '../report-labels.js';
import { type Parsed, readOutput } from './read.js';

/** Where dumps copied from the guests wait for the debugger (removed when the scenario ends). */
const DUMP_DIR = join(tmpdir(), 'driverlab-dumps');

/** What an analysis uses: the lab (its debugger), the crashed VM, the evidence. */
export type AnalysisNeeds = LabAccess & Pick<TestVm, 'vm'> & Keeps;

/** The crash an analysis examines: its code (for the crash's bucket) and its dump, if the guest wrote one. */
export interface ExaminedCrash {
  code: number;
  dumpPath: string | null;
}

export class Analysis {
  private analyzed: AnalyzeResult | null = null;

  private constructor(
    private readonly my: AnalysisNeeds,
    private readonly crash: ExaminedCrash,
    private readonly debuggerSession: Debugger,
    /** "the dump of 0x000000D6 from VM 'win11-a'" */
    readonly source: string,
    private readonly cleanup: () => void,
    /** Whether the session is this analysis's own (a dump's), to be ended with it. */
    readonly ownsSession = true,
  ) {}

  /** Copies the crash's kernel dump to the host and opens it in the lab's debugger. */
  static async ofDump(my: AnalysisNeeds, crash: ExaminedCrash): Promise<Analysis> {
    const vm = my.vm;
    if (!crash.dumpPath) {
      throw new LabCompromisedError(
        `${vm.describe()} wrote no dump for its bug check 0x${crash.code.toString(16)} (event 1001 says none was saved), so the crash cannot be examined; check the guest's free disk space and its CrashControl settings.`,
      );
    }
    mkdirSync(DUMP_DIR, { recursive: true });
    const hostPath = join(DUMP_DIR, `${vm.name}-${Date.now()}-${randomBytes(3).toString('hex')}.dmp`);
    const remove = () => rmSync(hostPath, { force: true });
    try {
      await vm.guest.copyOut(crash.dumpPath, hostPath);
      const session = await openDumpDebugger(my.lab, hostPath, { verifierPolicy: () => 'b' });
      return new Analysis(my, crash, session, `the dump of ${vm.describe()}`, remove);
    } catch (error) {
      remove();
      throw error;
    }
  }

  /** The VM's live debugger, stopped at the crash; its session outlives the scenario. */
  static live(my: AnalysisNeeds, crash: ExaminedCrash, session: Debugger): Analysis {
    return new Analysis(my, crash, session, `the live debugger of ${my.vm.describe()}`, () => {}, false);
  }

  /** Runs a debugger command and returns its raw output (for readers outside lab/parsers). */
  async raw(command: string): Promise<string> {
    const { output } = await this.debuggerSession.execute(command);
    return output;
  }

  /** Runs a debugger command, reads its output with the parser of `kind`, and keeps both as evidence. */
  async run<K extends CommandKind>(
    command: string,
    kind: K,
    options: { whenEmpty?: Parsed<K> } = {},
  ): Promise<Parsed<K>> {
    const raw = await this.raw(command);
    const value = await readOutput(kind, raw, `'${command}' on ${this.source}`, options);
    await this.my.evidence.attach(`kd ${command}`, raw, value);
    return value;
  }

  /** `!analyze -v`, once per crash. */
  async analyze(): Promise<AnalyzeResult> {
    if (this.analyzed === null) {
      this.analyzed = await this.run('!analyze -v', 'analyze');
      await labelAnalysis(this.analyzed, this.crash.code);
    }
    return this.analyzed;
  }

  /** The NT version of the crashed OS as !analyze reports it ("10.0.19041.1"). */
  async osVersion(): Promise<string> {
    const kv = (await this.analyze()).keyValues;
    const version = kv.OS_VERSION ?? kv['WER.OS.Version'];
    if (!version) {
      throw new LabCompromisedError(
        `!analyze -v on ${this.source} names no OS version (OS_VERSION), so the rules that depend on it cannot be applied; check the debugger's symbols.`,
      );
    }
    return version;
  }

  /** Ends the debugger session, attaching its transcript, and removes the dump copy. */
  async close(): Promise<void> {
    // A live session is the VM's: its transcript is attached after each scenario (support/hooks.ts).
    if (!this.ownsSession) return;
    try {
      await this.my.evidence.text(
        `kd transcript (${this.source}).txt`.replace(/[^A-Za-z0-9 ()._-]+/g, '_'),
        this.debuggerSession.transcript(),
      );
    } finally {
      await this.debuggerSession.close();
      this.cleanup();
    }
  }
}
