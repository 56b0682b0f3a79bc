/**
 * What a lab's adapters start, as the composition root (lab/compose.ts) decides it from the lab
 * file. The Hyper-V adapter and the debugger opener receive these commands and start them; they
 * never know whether a command is a real pwsh/kd.exe or the embedded lab's stand-in.
 */
import type { LabClock } from './clock.js';
import type { HostConfig } from './config/lab-file.js';

/** A program to start: the executable, and the arguments that come before the program's own. */
export interface ProcessCommand {
  file: string;
  leadingArgs: string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Wall milliseconds a new shell may take to start, on top of its first command's time limit (a
   * real pwsh with the stand-in module loads its types and its model).
   */
  startupMs?: number;
}

/** Which processes a lab's adapters start. */
export interface LabWiring {
  /** The lab's clock, when it is not the wall clock (the embedded lab's virtual, shared lab time). */
  clock?: LabClock;
  /** The shell that runs a host's PowerShell operations (pwsh, powershell.exe or a stand-in). */
  hostShell(host: HostConfig): ProcessCommand;
  /**
   * The debugger executable (kd.exe or a stand-in); a ConfigurationError when the lab file names
   * one that is not there. Asked only when a debugger is opened.
   */
  debuggerExecutable(): ProcessCommand;
  /** Gives back what the composition root took for the lab (its chosen KDNET ports) when it closes. */
  release?(): void;
}
