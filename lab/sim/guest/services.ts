/**
 * Kernel services of the simulated guest and `sc.exe` (create, start, stop, delete, query, qc),
 * printing what sc prints: the status block with its numeric codes, and `[SC] … FAILED n:` plus
 * the Win32 message for errors, with the error code as the exit code.
 */
import { ok, type ToolResult, text } from './tool.js';

export type StartType = 'boot' | 'system' | 'auto' | 'demand' | 'disabled';

export interface ServiceState {
  name: string;
  displayName: string;
  /** kernel: SERVICE_KERNEL_DRIVER (1); filesys: SERVICE_FILE_SYSTEM_DRIVER (2). */
  type: 'kernel' | 'filesys';
  start: StartType;
  errorControl: number;
  /** The guest path of the binary (C:\Windows\System32\drivers\x.sys). */
  binaryPath: string;
  group: string;
  state: 'running' | 'stopped';
  /** WIN32_EXIT_CODE: 1077 never started since boot, 0 after a clean start/stop. */
  exitCode: number;
  /** Marked for deletion while running; removed at the next boot. */
  deletePending: boolean;
  /** The order services were created in (the load order within a group). */
  order: number;
  /** Set when the driver is a file-system filter: how it attaches. */
  filter?: { kind: 'minifilter' | 'legacy'; altitude: string; volumes?: string[]; instance?: string };
}

export const START_CODES: Record<StartType, number> = { boot: 0, system: 1, auto: 2, demand: 3, disabled: 4 };
const START_NAMES: Record<StartType, string> = {
  boot: 'BOOT_START',
  system: 'SYSTEM_START',
  auto: 'AUTO_START',
  demand: 'DEMAND_START',
  disabled: 'DISABLED',
};

export function startTypeOf(code: number): StartType {
  return (['boot', 'system', 'auto', 'demand', 'disabled'] as const)[code] ?? 'demand';
}

/** Win32 errors sc reports, with their messages. */
export const WIN32 = {
  fileNotFound: { code: 2, message: 'The system cannot find the file specified.' },
  invalidParameter: { code: 87, message: 'The parameter is incorrect.' },
  invalidControl: { code: 1052, message: 'The requested control is not valid for this service.' },
  alreadyRunning: { code: 1056, message: 'An instance of the service is already running.' },
  disabled: {
    code: 1058,
    message:
      'The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.',
  },
  noSuchService: { code: 1060, message: 'The specified service does not exist as an installed service.' },
  notStarted: { code: 1062, message: 'The service has not been started.' },
  exists: { code: 1073, message: 'The specified service already exists.' },
  markedForDelete: { code: 1072, message: 'The specified service has been marked for deletion.' },
} as const;

export type Win32Error = { code: number; message: string };

function scFailure(what: string, error: Win32Error): ToolResult {
  return {
    stdout: text(`[SC] ${what} FAILED ${error.code}:`, '', error.message, ''),
    stderr: '',
    exitCode: error.code,
  };
}

function typeLine(s: ServiceState): string {
  return s.type === 'kernel' ? '1  KERNEL_DRIVER' : '2  FILE_SYSTEM_DRIVER';
}

/** The status block of sc query / start / stop. */
export function statusBlock(s: ServiceState, options: { started?: boolean; stoppable: boolean }): string {
  const running = s.state === 'running';
  const lines = [
    '',
    `SERVICE_NAME: ${s.name}`,
    `        TYPE               : ${typeLine(s)}`,
    `        STATE              : ${running ? '4  RUNNING' : '1  STOPPED'}`,
  ];
  if (running) {
    lines.push(
      `                                (${options.stoppable ? 'STOPPABLE' : 'NOT_STOPPABLE'}, NOT_PAUSABLE, IGNORES_SHUTDOWN)`,
    );
  }
  lines.push(
    `        WIN32_EXIT_CODE    : ${s.exitCode}  (0x${s.exitCode.toString(16)})`,
    '        SERVICE_EXIT_CODE  : 0  (0x0)',
    '        CHECKPOINT         : 0x0',
    '        WAIT_HINT          : 0x0',
  );
  if (options.started) lines.push('        PID                : 0', '        FLAGS              :');
  return text(...lines);
}

function configBlock(s: ServiceState): string {
  return text(
    '[SC] QueryServiceConfig SUCCESS',
    '',
    `SERVICE_NAME: ${s.name}`,
    `        TYPE               : ${typeLine(s)}`,
    `        START_TYPE         : ${START_CODES[s.start]}   ${START_NAMES[s.start]}`,
    `        ERROR_CONTROL      : ${s.errorControl}   ${['IGNORE', 'NORMAL', 'SEVERE', 'CRITICAL'][s.errorControl] ?? 'NORMAL'}`,
    `        BINARY_PATH_NAME   : ${s.binaryPath.replace(/^C:\\Windows\\/i, '\\SystemRoot\\')}`,
    `        LOAD_ORDER_GROUP   : ${s.group}`,
    '        TAG                : 0',
    `        DISPLAY_NAME       : ${s.displayName}`,
    '        DEPENDENCIES       :',
    '        SERVICE_START_NAME :',
  );
}

export interface ScContext {
  services: Record<string, ServiceState>;
  nextOrder(): number;
  /** A service was created: the guest fills in what it knows of its binary (a filter's altitude). */
  created(service: ServiceState): void;
  /** Loads the driver of a service (the guest decides what that means); an error or null. */
  start(service: ServiceState): Promise<Win32Error | null>;
  stop(service: ServiceState): Promise<Win32Error | null>;
  isStoppable(service: ServiceState): boolean;
}

/** sc's `option= value` pairs, given as separate arguments or joined ("start=demand"). */
function readOptions(args: readonly string[]): Map<string, string> | null {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const m = /^([A-Za-z]+)=(.*)$/.exec(arg);
    if (!m) return null;
    if (m[2] !== '') out.set((m[1] as string).toLowerCase(), m[2] as string);
    else {
      const v = args[i + 1];
      if (v === undefined) return null;
      out.set((m[1] as string).toLowerCase(), v);
      i += 1;
    }
  }
  return out;
}

const USAGE = text(
  'DESCRIPTION:',
  '        SC is a command line program used for communicating with the',
  '        Service Control Manager and services.',
  'USAGE:',
  '        sc <server> [command] [service name] <option1> <option2>...',
);

/** Runs `sc <args>`. */
export async function sc(args: readonly string[], ctx: ScContext): Promise<ToolResult> {
  const [command, name, ...rest] = args;
  if (!command) return ok(USAGE);
  const find = (n: string) => ctx.services[n.toLowerCase()];
  switch (command.toLowerCase()) {
    case 'create': {
      if (!name) return ok(USAGE, 1639);
      const options = readOptions(rest);
      const binPath = options?.get('binpath');
      if (!options || !binPath) return scFailure('CreateService', WIN32.invalidParameter);
      if (find(name)) return scFailure('CreateService', WIN32.exists);
      const type = (options.get('type') ?? 'own').toLowerCase();
      if (!['kernel', 'filesys'].includes(type)) return scFailure('CreateService', WIN32.invalidParameter);
      const start = (options.get('start') ?? 'demand').toLowerCase();
      if (!(start in START_CODES)) return scFailure('CreateService', WIN32.invalidParameter);
      const service: ServiceState = {
        name,
        displayName: options.get('displayname') ?? name,
        type: type as 'kernel' | 'filesys',
        start: start as StartType,
        errorControl: 1,
        binaryPath: binPath,
        group: options.get('group') ?? '',
        state: 'stopped',
        exitCode: 1077,
        deletePending: false,
        order: ctx.nextOrder(),
      };
      ctx.created(service);
      ctx.services[name.toLowerCase()] = service;
      return ok(text('[SC] CreateService SUCCESS'));
    }
    case 'start': {
      if (!name) return ok(USAGE, 1639);
      const s = find(name);
      if (!s) return scFailure('StartService: OpenService', WIN32.noSuchService);
      if (s.deletePending) return scFailure('StartService', WIN32.markedForDelete);
      if (s.state === 'running') return scFailure('StartService', WIN32.alreadyRunning);
      if (s.start === 'disabled') return scFailure('StartService', WIN32.disabled);
      const error = await ctx.start(s);
      if (error) return scFailure('StartService', error);
      return ok(statusBlock(s, { started: true, stoppable: ctx.isStoppable(s) }));
    }
    case 'stop': {
      if (!name) return ok(USAGE, 1639);
      const s = find(name);
      if (!s) return scFailure('ControlService: OpenService', WIN32.noSuchService);
      if (s.state !== 'running') return scFailure('ControlService', WIN32.notStarted);
      if (!ctx.isStoppable(s)) return scFailure('ControlService', WIN32.invalidControl);
      const error = await ctx.stop(s);
      if (error) return scFailure('ControlService', error);
      return ok(statusBlock(s, { stoppable: true }));
    }
    case 'delete': {
      if (!name) return ok(USAGE, 1639);
      const s = find(name);
      if (!s) return scFailure('OpenService', WIN32.noSuchService);
      if (s.deletePending) return scFailure('DeleteService', WIN32.markedForDelete);
      if (s.state === 'running') s.deletePending = true;
      else delete ctx.services[name.toLowerCase()];
      return ok(text('[SC] DeleteService SUCCESS'));
    }
    case 'query':
    case 'queryex': {
      if (!name) return ok(USAGE, 1639);
      const s = find(name);
      if (!s) return scFailure('EnumQueryServicesStatus:OpenService', WIN32.noSuchService);
      return ok(statusBlock(s, { stoppable: ctx.isStoppable(s) }));
    }
    case 'qc': {
      if (!name) return ok(USAGE, 1639);
      const s = find(name);
      if (!s) return scFailure('OpenService', WIN32.noSuchService);
      return ok(configBlock(s));
    }
    default:
      return ok(USAGE, 1639);
  }
}
