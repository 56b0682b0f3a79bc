/**
 * A debugger for a lab VM (or a dump), as the lab file says: which executable (the lab's, decided
 * by lab/compose.ts: a kd.exe path or the embedded lab's stand-in), which transport and key, which symbols, which timeouts,
 * how to break in (debugger.breakIn) and how to answer Driver Verifier (debugger.verifierAnswer).
 */
import { resolveLabPath } from '../config/lab-file.js';
import { resolveSecret } from '../config/secrets.js';
import { kdnetPort } from '../endpoints.js';
import { ConfigurationError } from '../errors.js';
import type { Lab, Vm } from '../ports.js';
import { type BreakInStrategy, defaultBreakInStrategies } from './break-in.js';
import type { VerifierPolicy } from './port.js';
import { type KdConnection, type KdExecutable, KdSession, type KdSessionOptions } from './session.js';

export interface DebuggerRequest {
  /** How Driver Verifier's b/i/z/r/d question is answered (default: the lab file's debugger.verifierAnswer). */
  verifierPolicy?: VerifierPolicy;
  /** A KDNET key the scenario captured (`bcdedit /dbgsettings`); it overrides the lab file's. */
  key?: string;
  /**
   * Without the hypervisor NMI among the break-in strategies (default: as the lab file says).
   * A scenario that must not crash its guest to break in sets this to false.
   */
  nmiFallback?: boolean;
  /** Where secrets given by environment variable are read (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
}

type LabView = Pick<Lab, 'file' | 'clock' | 'redactor' | 'timeouts' | 'debuggerExecutable'>;
type VmView = Pick<Vm, 'name' | 'config' | 'injectNmi'>;

/** The verifier policy of a request, or the lab file's fixed answer. */
function verifierPolicyOf(lab: LabView, request: DebuggerRequest): VerifierPolicy {
  if (request.verifierPolicy) return request.verifierPolicy;
  const answer = lab.file.data.debugger.verifierAnswer;
  return () => answer;
}

/**
 * The break-in strategies the lab file configures (debugger.breakIn), in its order; without that
 * section, what the debugger understands first and then the hypervisor NMI.
 */
export function breakInStrategies(
  lab: Pick<LabView, 'file'>,
  vm: Pick<VmView, 'injectNmi'>,
  request: Pick<DebuggerRequest, 'nmiFallback'> = {},
  platform: NodeJS.Platform = process.platform,
): BreakInStrategy[] {
  const config = lab.file.data.debugger;
  const nmi = () => vm.injectNmi();
  const helper = config.breakIn?.consoleHelper;
  const consoleHelper = helper
    ? { file: resolveLabPath(lab.file, helper.file), args: helper.args }
    : undefined;
  const strategies: BreakInStrategy[] = config.breakIn
    ? config.breakIn.strategies.map((name): BreakInStrategy => {
        if (name === 'nmi') return { kind: 'nmi', inject: nmi };
        if (name === 'console-ctrl')
          return { kind: 'console-ctrl', ...(consoleHelper ? { helper: consoleHelper } : {}) };
        return { kind: 'break-byte' };
      })
    : defaultBreakInStrategies({ embedded: config.executable === 'embedded', platform, nmi });
  if (request.nmiFallback !== false) return strategies;
  const withoutNmi = strategies.filter((s) => s.kind !== 'nmi');
  return withoutNmi.length > 0 ? withoutNmi : [{ kind: 'break-byte' }];
}

function common(lab: LabView, subject: string, request: DebuggerRequest) {
  const config = lab.file.data.debugger;
  return {
    subject,
    executable: lab.debuggerExecutable() satisfies KdExecutable,
    ...(config.symbols === undefined ? {} : { symbols: config.symbols }),
    env: config.env,
    // Without a logDir, KdSession writes kd's log to a temporary directory (lab file README).
    ...(config.logDir === undefined ? {} : { logDir: resolveLabPath(lab.file, config.logDir) }),
    ...(config.outputEncoding === undefined ? {} : { outputEncoding: config.outputEncoding }),
    unicodeLog: config.unicodeLog,
    clock: lab.clock,
    redactor: lab.redactor,
    verifierPolicy: verifierPolicyOf(lab, request),
    timeouts: {
      connectMs: lab.timeouts.kdConnect,
      commandMs: lab.timeouts.kdCommand,
      stopMs: lab.timeouts.bugcheck,
      breakInMs: lab.timeouts.kdBreakIn,
    },
  };
}

/** The session options for a VM's debugger; configuration errors are raised before kd starts. */
export function debuggerOptions(lab: LabView, vm: VmView, request: DebuggerRequest = {}): KdSessionOptions {
  const debug = vm.config.debug;
  const index = lab.file.data.vms.findIndex((v) => v.name === vm.name);
  if (!debug) {
    throw new ConfigurationError(
      `VM '${vm.name}' has no debug transport in the lab file '${lab.file.path}' (vms.${index}.debug); add { transport: net, hostIp, port } or { transport: pipe, name }.`,
    );
  }
  let connection: KdConnection;
  if (debug.transport === 'net') {
    const what = `the KDNET key of VM '${vm.name}'`;
    const key =
      request.key ??
      (debug.key
        ? resolveSecret(debug.key, what, {
            baseDir: lab.file.dir,
            env: request.env ?? process.env,
            redactor: lab.redactor,
          })
        : undefined);
    if (key === undefined) {
      throw new ConfigurationError(
        `VM '${vm.name}' debugs over KDNET but no key is known: give vms.${index}.debug.key in the lab file '${lab.file.path}', or let the scenario capture it from bcdedit /dbgsettings.`,
      );
    }
    lab.redactor.add(key, what);
    connection = { kind: 'net', hostIp: debug.hostIp, port: kdnetPort(vm.config), key };
  } else {
    connection = { kind: 'pipe', pipe: debug.name };
  }
  return {
    ...common(lab, `VM '${vm.name}'`, request),
    connection,
    breakIn: breakInStrategies(lab, vm, request),
  };
}

/** Starts the VM's debugger and waits until it is connected. */
export function openDebugger(lab: LabView, vm: VmView, request: DebuggerRequest = {}): Promise<KdSession> {
  return KdSession.open(debuggerOptions(lab, vm, request));
}

/** Opens a crash dump (copied to the host) in the lab's debugger. */
export function openDumpDebugger(
  lab: LabView,
  dumpPath: string,
  request: DebuggerRequest = {},
): Promise<KdSession> {
  return KdSession.open({
    ...common(lab, `the dump '${dumpPath}'`, request),
    connection: { kind: 'dump', path: dumpPath },
  });
}
