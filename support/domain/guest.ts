/**
 * Guest commands with their evidence: every command a scenario runs in the guest, with its output,
 * goes into the scenario's guest transcript; a command the guest never finished is kept too.
 */
import {
  type CommandKind,
  type GuestCommandResult,
  GuestCommandTimeoutError,
  type GuestRunOptions,
  GuestUnreachableError,
} from '../../lab/index.js';
import type { Keeps, TestVm } from '../capabilities.js';
import { type Parsed, readOutput } from './read.js';

export type Finished =
  | { finished: true; result: GuestCommandResult }
  | { finished: false; partial: GuestCommandResult; error: GuestCommandTimeoutError };

/** What guest commands use: the VM, and the evidence their outputs go to. */
export type GuestToolsNeeds = Pick<TestVm, 'vm'> & Keeps;

export class GuestTools {
  constructor(private readonly my: GuestToolsNeeds) {}

  /** Runs a program in the guest and keeps its output as evidence. */
  async run(command: readonly string[], options: GuestRunOptions = {}): Promise<GuestCommandResult> {
    try {
      const result = await this.my.vm.guest.run(command, options);
      this.my.evidence.guest(result);
      return result;
    } catch (error) {
      if (
        options.cutShortBy !== undefined &&
        error instanceof GuestUnreachableError &&
        error.reason === 'unreachable'
      ) {
        this.my.evidence.guest({
          command: command.join(' '),
          exitCode: null,
          stdout: '',
          stderr: '',
          note: `cut short by ${options.cutShortBy}`,
        });
      } else if (error instanceof GuestCommandTimeoutError) {
        this.my.evidence.guest({ ...this.outputOf(error.partial), note: 'stopped at its time limit' });
      } else {
        this.my.evidence.guest({
          command: command.join(' '),
          exitCode: null,
          stdout: '',
          stderr: error instanceof Error ? error.message : String(error),
          note: 'the guest did not answer',
        });
      }
      throw error;
    }
  }

  /** Runs a tool and reads its output with the parser of `kind`; both are kept as evidence. */
  async read<K extends CommandKind>(
    command: readonly string[],
    kind: K,
  ): Promise<{ result: GuestCommandResult; value: Parsed<K> }> {
    const result = await this.run(command);
    const value = await readOutput(kind, result.stdout, `'${command.join(' ')}' in ${this.my.vm.describe()}`);
    await this.my.evidence.attach(command.join(' '), result.stdout, value);
    return { result, value };
  }

  /** Runs a program that may not finish (a removal waiting on a driver): its time limit is an outcome. */
  async runBounded(command: readonly string[], timeoutMs: number): Promise<Finished> {
    try {
      return { finished: true, result: await this.run(command, { timeoutMs, limitIsData: true }) };
    } catch (error) {
      if (error instanceof GuestCommandTimeoutError)
        return { finished: false, partial: error.partial, error };
      throw error;
    }
  }

  private outputOf(r: GuestCommandResult) {
    return { command: r.command.join(' '), exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }
}
