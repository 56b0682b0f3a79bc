/**
 * The embedded lab with a real PowerShell engine: the host shell is a real pwsh whose module path
 * starts with the stand-in Hyper-V module (lab/sim/pwsh/Hyper-V/), which starts the lab's model
 * (lab/sim/pwsh/bridge.ts) on first use. The adapter sends it the very scripts it sends a Hyper-V
 * host. Which pwsh: DRIVERLAB_PWSH, else `pwsh` on PATH.
 */
import { randomBytes } from 'node:crypto';
import { delimiter, join } from 'node:path';
import { projectRoot } from '../../paths.js';
import type { ProcessCommand } from '../../wiring.js';

export const standInModulePath = join(projectRoot, 'lab', 'sim', 'pwsh');

/** The pwsh this machine would use for the real-engine tier, or null when none is named. */
export function pwshExecutable(env: NodeJS.ProcessEnv = process.env): string {
  return env.DRIVERLAB_PWSH || 'pwsh';
}

/** True when the embedded lab should run its operations in a real pwsh (DRIVERLAB_EMBEDDED_SHELL=pwsh). */
export function embeddedShellIsPwsh(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DRIVERLAB_EMBEDDED_SHELL === 'pwsh';
}

/**
 * The command that starts a real pwsh with the stand-in Hyper-V module for one embedded lab file;
 * `statePath` is where the model keeps the VMs between pwsh processes (after a timeout).
 */
export function standInShellCommand(
  labFile: string,
  statePath: string,
  env: NodeJS.ProcessEnv = process.env,
  timePath: string | null = null,
): ProcessCommand {
  const modelArgs = [
    '--import',
    'tsx',
    join(standInModulePath, 'bridge.ts'),
    `--lab=${labFile}`,
    `--state=${statePath}`,
    ...(timePath ? [`--time=${timePath}`] : []),
  ];
  return {
    file: pwshExecutable(env),
    leadingArgs: [],
    // pwsh starts, compiles the stand-in's types and starts the model: seconds on a loaded machine.
    startupMs: 60_000,
    env: {
      ...env,
      PSModulePath: [standInModulePath, env.PSModulePath ?? ''].filter(Boolean).join(delimiter),
      DRIVERLAB_STANDIN_NODE: process.execPath,
      DRIVERLAB_STANDIN_ARGS: JSON.stringify(modelArgs),
      DRIVERLAB_STANDIN_CWD: projectRoot,
      // pwsh's own telemetry and update check would reach for the network on every start.
      POWERSHELL_TELEMETRY_OPTOUT: '1',
      POWERSHELL_UPDATECHECK: 'Off',
      // No terminal: pwsh would otherwise write keypad-mode escapes around every command.
      TERM: 'dumb',
      NO_COLOR: '1',
    },
  };
}

/** A state file name for one lab session (the model's VMs live there between pwsh processes). */
export function standInStateName(): string {
  return `pwsh-${process.pid}-${randomBytes(6).toString('hex')}.json`;
}
