/**
 * The composition root: the one place that decides, from the lab file, which processes a run
 * starts. A lab of kind `hyperv` runs each host's operations in the shell its lab file names
 * (pwsh or powershell.exe) and its debuggers in the kd.exe it names; the embedded lab runs the
 * simulated lab host and the simulated debugger in their place (lab/sim/launch.ts). Nothing else
 * in lab/ outside lab/sim/ knows the simulator exists.
 */
import { existsSync } from 'node:fs';
import { type LabFile, resolveLabPath } from './config/lab-file.js';
import { type ChosenPorts, chooseAutoPorts, withChosenPorts } from './endpoints.js';
import { ConfigurationError } from './errors.js';
import { HypervLab } from './hyperv/lab.js';
import {
  embeddedDebuggerCommand,
  embeddedHostCommand,
  embeddedLabClock,
  embeddedSession,
} from './sim/launch.js';
import type { LabWiring, ProcessCommand } from './wiring.js';

export interface ComposeOptions {
  /** Where secrets given by environment variable are read (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
  /** Which Cucumber worker the lab serves (the embedded lab starts one simulated host per worker). */
  workerIndex?: number;
  /**
   * KDNET ports already chosen for the lab file's `auto` VMs (by `driverlab run`, which holds them
   * for its workers); any other `auto` VM gets a free port held by this process until the lab closes.
   */
  kdnetPorts?: ChosenPorts;
}

/** The debugger executable the lab file names; a missing kd.exe is a configuration error. */
export function debuggerCommand(file: LabFile): ProcessCommand {
  const executable = file.data.debugger.executable;
  if (executable === 'embedded') return embeddedDebuggerCommand();
  const path = resolveLabPath(file, executable);
  if (!existsSync(path)) {
    throw new ConfigurationError(
      `The lab file '${file.path}' names the debugger '${path}' (debugger.executable), which does not exist; install the Debugging Tools for Windows or correct the path (or use 'embedded' for the simulated debugger).`,
    );
  }
  return { file: path, leadingArgs: [] };
}

/** Which processes a lab file's adapters start, for one worker. */
export function wiringFor(file: LabFile, options: ComposeOptions = {}): LabWiring {
  const data = file.data;
  if (data.kind !== 'embedded') {
    return {
      hostShell: (host) => ({ file: host.shell, leadingArgs: [] }),
      debuggerExecutable: () => debuggerCommand(file),
    };
  }
  // One embedded session: the harness's clock and its host processes share its lab time.
  const session = embeddedSession();
  return {
    clock: embeddedLabClock(session, data.clock.wallBudget),
    hostShell: () => embeddedHostCommand(file.path, options.workerIndex ?? 0, session),
    debuggerExecutable: () => debuggerCommand(file),
  };
}

/**
 * The lab a lab file describes, wired to the processes it names, with a KDNET port chosen for
 * every VM whose lab file says `auto` (lab/endpoints.ts): the debugger listens on it and the
 * scenarios point the guest's KDNET at it.
 */
export function composeLab(file: LabFile, options: ComposeOptions = {}): HypervLab {
  const chosen = chooseAutoPorts(file, options.kdnetPorts ?? {});
  const settled = withChosenPorts(file, chosen.ports);
  const wiring = wiringFor(settled, options);
  return new HypervLab(settled, {
    ...(options.env === undefined ? {} : { env: options.env }),
    wiring: { ...wiring, release: chosen.release },
  });
}
