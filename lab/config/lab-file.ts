/**
 * The lab file (`lab/labs/*.yaml`): which hosts, which VMs, which drivers, which debugger, how
 * long things may take — and, for the embedded lab, what the simulated guests are and which lab
 * faults they inject.
 *
 * Strict zod schemas: an unknown key is an error, so a typo cannot silently fall back to a default.
 * Errors name the file and the dotted path and say what is allowed. Secrets appear only as
 * references (an environment variable or a secret file), never as values.
 */
import { dirname, isAbsolute, resolve, win32 } from 'node:path';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';
import { formatBytes, INPUT_LIMITS, InputTooLargeError, readTextWithin } from '../util/files.js';
import { Duration } from './duration.js';
import { EmbeddedDeclaration, GuestTool } from './embedded.js';
import { formatSchemaIssues } from './zod-errors.js';

/** A secret by reference: `{ env: NAME }` or `{ file: path }` (relative to the lab file). */
export const SecretRef = z
  .union([
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }),
    z.strictObject({ file: z.string().min(1) }),
  ])
  .describe(
    'a secret reference, { env: VARIABLE } or { file: path relative to the lab file }, since a lab file never holds a secret itself',
  );
export type SecretRef = z.infer<typeof SecretRef>;

export const Credential = z.strictObject({
  user: z.string().min(1),
  password: SecretRef,
});
export type Credential = z.infer<typeof Credential>;

/**
 * The guest account for PowerShell Direct: a user with a password reference, or a credential kept
 * on the Hyper-V host itself — a PSCredential written there with `Get-Credential | Export-Clixml
 * <file>` by the account driverlab runs as (DPAPI: only that account on that host can read it), so
 * driverlab never sees the password; the operation script imports it.
 */
export const GuestCredential = z
  .strictObject({
    user: z.string().min(1).optional(),
    password: SecretRef.optional(),
    credentialFile: z
      .string()
      .min(1)
      .describe('a PSCredential file on the Hyper-V host (Get-Credential | Export-Clixml)')
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (c.credentialFile !== undefined) {
      if (c.user !== undefined || c.password !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['credentialFile'],
          message: 'stands alone: the file holds the user and the password, so remove user and password',
        });
      }
      return;
    }
    for (const key of ['user', 'password'] as const) {
      if (c[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'is missing (give user and password, or a credentialFile on the Hyper-V host)',
        });
      }
    }
  })
  .transform((c): { user: string; password: SecretRef } | { credentialFile: string } =>
    c.credentialFile !== undefined
      ? { credentialFile: c.credentialFile }
      : { user: c.user as string, password: c.password as SecretRef },
  );
export type GuestCredential = z.infer<typeof GuestCredential>;

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a name of letters, digits, _ . - (at most 64)');
const ipv4 = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/,
    'an IPv4 address such as 192.168.0.2',
  );

/**
 * KDNET: the guest sends to hostIp:port; the debugger on the host listens on port. On the embedded
 * lab the port may be `auto`: a free one is chosen when a run starts (lab/endpoints.ts).
 */
export const NetDebugTransport = z.strictObject({
  transport: z.literal('net'),
  hostIp: ipv4,
  /** kd accepts 49152–65535; Microsoft recommends 50000–50039, one per target/host pair. */
  port: z
    .union([z.number().int().min(49152).max(65535), z.literal('auto')])
    .describe('a port from 49152 to 65535, or auto on the embedded lab (a free one chosen at run start)'),
  /** A pre-provisioned KDNET key; scenarios that run `bcdedit /dbgsettings` capture their own. */
  key: SecretRef.optional(),
  /** PCI bus.device.function of the debug NIC, when the guest has several. */
  busparams: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'b.d.f in decimal, such as 0.25.0')
    .optional(),
});

/** A VM COM port exposed as a named pipe (Set-VMComPort), read by kd as com:pipe. */
export const PipeDebugTransport = z.strictObject({
  transport: z.literal('pipe'),
  /** The pipe name without \\.\pipe\ — e.g. win11-a_com1. */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a pipe name of letters, digits, _ . -'),
  comPort: z.union([z.literal(1), z.literal(2)]).default(1),
});

export const DebugTransport = z.discriminatedUnion('transport', [NetDebugTransport, PipeDebugTransport]);
export type DebugTransport = z.infer<typeof DebugTransport>;

export const HostConfig = z.strictObject({
  name,
  /** 'localhost' runs the operations in the local shell; any other name goes through Invoke-Command -ComputerName. */
  computerName: z.string().min(1).default('localhost'),
  /** Credential for a remote host; the current identity is used when absent. */
  credential: Credential.optional(),
  /** The PowerShell to start: 'pwsh' (7.x), 'powershell' (Windows PowerShell 5.1) or a full path. */
  shell: z.string().min(1).default('powershell'),
});
export type HostConfig = z.infer<typeof HostConfig>;

export const VmConfig = z.strictObject({
  name,
  /** The host (by name) the VM lives on; may be left out when the lab has one host. */
  host: name.optional(),
  /** The checkpoint every scenario starts from. */
  baseline: z.string().min(1),
  /** The guest account for PowerShell Direct: a user with a password reference, or a credential file on the host. */
  guestCredential: GuestCredential,
  debug: DebugTransport.optional(),
  /**
   * What this VM offers beyond the common image ("second-nic", "arm64"): a scenario tagged
   * `@needs:<capability>` runs only on a VM that has it.
   */
  capabilities: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a capability such as second-nic'))
    .default([]),
});
export type VmConfig = z.infer<typeof VmConfig>;

/** A command line run in the guest: the program, then its arguments, each a separate string. */
export const GuestCommandLine = z.array(z.string()).min(1);

export const DriverConfig = z.strictObject({
  /** The name scenarios use: "myfault". */
  name,
  /** The driver binary: "myfault.sys". */
  binary: z.string().regex(/^[^\\/:*?"<>|]+\.sys$/i, 'a file name ending in .sys'),
  /** The service name the driver is installed under. */
  service: z.string().min(1),
  /** The package folder on the host (relative to the lab file), copied into the guest to install. */
  package: z.string().min(1),
  /** The INF inside the package, when it is installed with pnputil; sc create is used otherwise. */
  inf: z.string().optional(),
  /** Named ways to exercise the driver in the guest, e.g. overrun: [C:\Tools\notmyfault64.exe, …]. */
  triggers: z.record(z.string(), GuestCommandLine).default({}),
  /** Another entry of drivers that is the fixed build of this driver. */
  fixedBy: name.optional(),
});
export type DriverConfig = z.infer<typeof DriverConfig>;

/**
 * How KdSession stops a running target (lab/kd/break-in.ts): `break-byte` writes CTRL+C as the byte
 * 0x03 to kd's standard input (what the simulated debugger understands; unverified on kd.exe),
 * `console-ctrl` raises a console CTRL+C event (a helper program on Windows, SIGINT elsewhere),
 * `nmi` injects an NMI through the hypervisor (the guest usually bugchecks 0x80).
 */
export const BreakInStrategyName = z.enum(['break-byte', 'console-ctrl', 'nmi']);
export type BreakInStrategyName = z.infer<typeof BreakInStrategyName>;

export const ConsoleHelper = z.strictObject({
  /** The program (relative to the lab file, or absolute); kd's process id is appended to its arguments. */
  file: z.string().min(1),
  args: z.array(z.string()).default([]),
});

export const BreakInConfig = z.strictObject({
  /** Tried in order until the target stops; each is given timeouts.kdBreakIn. */
  strategies: z
    .array(BreakInStrategyName)
    .min(1)
    .superRefine((names, ctx) => {
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `lists '${twice}' twice; name each strategy once, in the order to try them`,
        });
      }
    }),
  /** Windows: the program that attaches to kd's console and raises CTRL+C (see lab/kd/README.md). */
  consoleHelper: ConsoleHelper.optional(),
});
export type BreakInConfig = z.infer<typeof BreakInConfig>;

/** Driver Verifier's "Break, Ignore, Zap, Remove, Disable all (bizrd)?": the answer a run gives. */
export const VerifierAnswer = z.enum(['b', 'i', 'z', 'r', 'd']);

export const DebuggerConfig = z.strictObject({
  /** kd.exe's full path, or 'embedded' for the simulated debugger executable. */
  executable: z.string().min(1),
  /** The symbol path passed with -y. */
  symbols: z.string().optional(),
  /** Extra environment for the debugger process (e.g. _NT_SYMBOL_PATH). */
  env: z.record(z.string(), z.string()).default({}),
  /** Where kd writes its -logo transcript; a temporary directory when absent. */
  logDir: z.string().optional(),
  /** How to break in; when absent, what the debugger understands first, then the hypervisor NMI. */
  breakIn: BreakInConfig.optional(),
  /** The answer to Driver Verifier's question when a scenario gives no policy of its own: b (break) by default. */
  verifierAnswer: VerifierAnswer.default('b'),
  /**
   * After a checkpoint restore, KDNET either connects again by itself (`reconnect`) or only once the
   * guest restarts (`reboot`); see lab/kd/restore.ts and `driverlab doctor --lab`.
   */
  afterRestore: z.enum(['reconnect', 'reboot']).default('reconnect'),
  /** The code page kd's console writes, as a WHATWG label (utf-8 when absent; windows-1252, ibm866, …). */
  outputEncoding: z
    .string()
    .min(1)
    .refine(
      (label) => {
        try {
          new TextDecoder(label);
          return true;
        } catch {
          return false;
        }
      },
      {
        message:
          "is not an encoding driverlab can decode; give a WHATWG label such as 'utf-8', 'windows-1252' or 'ibm866'",
      },
    )
    .optional(),
  /** kd's own log as Unicode (-logou) instead of the ANSI code page (-logo). */
  unicodeLog: z.boolean().default(false),
});
export type DebuggerConfig = z.infer<typeof DebuggerConfig>;

/** Timeouts: durations with their unit in the file, lab milliseconds once read. */
export const Timeouts = z.strictObject({
  boot: Duration.default(180_000),
  shutdown: Duration.default(120_000),
  restore: Duration.default(120_000),
  readiness: Duration.default(300_000),
  guestCommand: Duration.default(120_000),
  hostOperation: Duration.default(120_000),
  kdConnect: Duration.default(120_000),
  kdCommand: Duration.default(60_000),
  /** How long one break-in strategy is given to stop the target before the next is tried. */
  kdBreakIn: Duration.default(10_000),
  bugcheck: Duration.default(300_000),
  /** A scenario's time budget, past which the watchdog stops it (a `@budget:<duration>` tag overrides it). */
  scenario: Duration.default(7_200_000),
});
export type Timeouts = z.infer<typeof Timeouts>;

const common = {
  name: z.string().min(1),
  description: z.string().optional(),
  hosts: z.array(HostConfig).min(1),
  vms: z.array(VmConfig).min(1),
  drivers: z.array(DriverConfig).default([]),
  /** Test programs in every guest image, by name; scenarios find them by kind. */
  tools: z.record(z.string(), GuestTool).default({}),
  debugger: DebuggerConfig,
  timeouts: Timeouts.default(Timeouts.parse({})),
};

export const HypervLabFile = z.strictObject({
  kind: z.literal('hyperv'),
  ...common,
});

export const EmbeddedLabFile = z.strictObject({
  kind: z.literal('embedded'),
  ...common,
  /**
   * The embedded lab's time is virtual (lab/clock.ts); `wallBudget` is the least wall time a wait on
   * another process (a host operation, the debugger) is given before it counts as a lab fault.
   */
  clock: z
    .strictObject({
      wallBudget: Duration.default(30_000),
      /** Wall ms the host spends per lab ms (0): only tests of a host slow in wall time set it. */
      pace: z.number().min(0).max(1).default(0),
    })
    .default({ wallBudget: 30_000, pace: 0 }),
  /** The simulated guests and the lab faults they inject. */
  embedded: EmbeddedDeclaration,
});

export const LabFileSchema = z.discriminatedUnion('kind', [HypervLabFile, EmbeddedLabFile]);
export type LabFileData = z.infer<typeof LabFileSchema>;
export type EmbeddedLabFileData = z.infer<typeof EmbeddedLabFile>;

/** A lab file as read: its data plus where it came from (relative paths resolve against `dir`). */
export interface LabFile {
  path: string;
  dir: string;
  data: LabFileData;
}

/** Reads and validates a lab file; every problem becomes one ConfigurationError naming file and path. */
export async function loadLabFile(path: string): Promise<LabFile> {
  let text: string;
  try {
    text = await readTextWithin(path, INPUT_LIMITS.config);
  } catch (error) {
    if (error instanceof InputTooLargeError) {
      throw new ConfigurationError(
        `The lab file '${path}' holds ${formatBytes(error.size)}, more than the ${formatBytes(error.limit)} a lab file may hold, so it was not read; check that --lab or DRIVERLAB_LAB names the lab's YAML file.`,
      );
    }
    throw new ConfigurationError(
      `The lab file '${path}' cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}); check the path given with --lab or DRIVERLAB_LAB.`,
      { cause: error },
    );
  }
  return parseLabFile(text, path);
}

/** Validates lab file text; `path` is used for messages and to resolve relative paths. */
export function parseLabFile(text: string, path: string): LabFile {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const where = first.linePos?.[0]
      ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}`
      : '';
    const what = first.message
      .split('\n')[0]
      ?.replace(/ at line \d+, column \d+:?$/, '')
      .replace(/\.$/, '');
    throw new ConfigurationError(
      `The lab file '${path}' is not valid YAML${where} (${what ?? 'unknown problem'}); fix the syntax and run again.`,
      { cause: doc.errors },
    );
  }
  const input: unknown = doc.toJS();
  const parsed = LabFileSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigurationError(
      `The lab file '${path}' is not valid: ${formatSchemaIssues(LabFileSchema, parsed.error.issues, input)}; see lab/labs/README.md for every key.`,
      { cause: parsed.error },
    );
  }
  const problems = crossReferenceProblems(parsed.data);
  if (problems.length > 0) {
    throw new ConfigurationError(`The lab file '${path}' is not valid: ${problems.join('; ')}.`);
  }
  return { path, dir: dirname(path), data: parsed.data };
}

function isLocal(computerName: string): boolean {
  return /^(localhost|\.|127\.0\.0\.1|::1)$/i.test(computerName);
}

/**
 * Cross-references zod cannot see: every VM on a host that exists, names used once, one KDNET
 * endpoint and one pipe per VM, fixedBy naming another entry of drivers, the debugger an embedded
 * lab's or a real one, and an embedded lab's guests matching its VMs.
 */
export function crossReferenceProblems(data: LabFileData): string[] {
  const problems: string[] = [];
  const hostNames = data.hosts.map((h) => h.name);
  const vmNames = data.vms.map((v) => v.name);
  const driverNames = data.drivers.map((d) => d.name);
  const list = (names: string[]) => names.map((n) => `'${n}'`).join(', ');
  unique(hostNames, 'hosts', 'host name', problems);
  unique(vmNames, 'vms', 'VM name', problems);
  unique(driverNames, 'drivers', 'driver name', problems);
  data.hosts.forEach((h, i) => {
    if (h.credential && isLocal(h.computerName)) {
      problems.push(
        `hosts.${i}.credential is set, but host '${h.name}' is this computer (computerName ${h.computerName}), where the current identity is used; remove the credential or name the remote computer`,
      );
    }
  });
  const hostOf = (i: number): string | undefined => {
    const vm = data.vms[i];
    return vm?.host ?? (data.hosts.length === 1 ? data.hosts[0]?.name : undefined);
  };
  data.vms.forEach((vm, i) => {
    if (vm.host === undefined && data.hosts.length > 1) {
      problems.push(
        `vms.${i}.host is missing; with ${data.hosts.length} hosts each VM must name its host (one of ${list(hostNames)})`,
      );
    } else if (vm.host !== undefined && !hostNames.includes(vm.host)) {
      problems.push(`vms.${i}.host names '${vm.host}', which is not one of the hosts (${list(hostNames)})`);
    }
  });
  const endpoints = new Map<string, string>();
  const pipes = new Map<string, string>();
  data.vms.forEach((vm, i) => {
    if (vm.debug?.transport === 'net' && vm.debug.port === 'auto') {
      if (data.kind === 'hyperv') {
        problems.push(
          `vms.${i}.debug.port is 'auto', but a Hyper-V guest's boot settings (bcdedit /dbgsettings) fix the port its KDNET sends to, so driverlab cannot choose one; give the port the guest's debug settings name (Microsoft recommends 50000–50039)`,
        );
      }
    } else if (vm.debug?.transport === 'net') {
      // The endpoint is on the machine kd runs on, whichever Hyper-V host the VM lives on.
      const key = `${vm.debug.hostIp}:${vm.debug.port}`;
      const other = endpoints.get(key);
      if (other) {
        problems.push(
          `vms.${i}.debug: VMs '${other}' and '${vm.name}' both debug to ${key}, but KDNET needs one port per target; give each VM its own port`,
        );
      } else endpoints.set(key, vm.name);
    } else if (vm.debug?.transport === 'pipe') {
      const key = `${hostOf(i) ?? ''}|${vm.debug.name.toLowerCase()}`;
      const other = pipes.get(key);
      if (other) {
        problems.push(
          `vms.${i}.debug: VMs '${other}' and '${vm.name}' both use the pipe '${vm.debug.name}' on one host, but each COM port needs its own pipe; give each VM its own pipe name`,
        );
      } else pipes.set(key, vm.name);
    }
  });
  data.drivers.forEach((d, i) => {
    if (d.fixedBy === undefined) return;
    if (d.fixedBy.toLowerCase() === d.name.toLowerCase()) {
      problems.push(
        `drivers.${i}.fixedBy names the driver itself; name the entry of its fixed build under drivers`,
      );
    } else if (!driverNames.some((n) => n.toLowerCase() === d.fixedBy?.toLowerCase())) {
      problems.push(
        `drivers.${i}.fixedBy names '${d.fixedBy}', which is not in the drivers list (${list(driverNames) || 'empty'})`,
      );
    }
  });
  const breakIn = data.debugger.breakIn;
  if (breakIn) {
    const consoleCtrl = breakIn.strategies.includes('console-ctrl');
    if (consoleCtrl && !breakIn.consoleHelper && data.kind === 'hyperv') {
      problems.push(
        "debugger.breakIn.strategies names 'console-ctrl', but kd.exe runs on Windows, where Node cannot raise a console CTRL+C itself; give debugger.breakIn.consoleHelper (a program that attaches to kd's console and raises CTRL+C, see lab/kd/README.md) or use another strategy",
      );
    }
    if (!consoleCtrl && breakIn.consoleHelper) {
      problems.push(
        "debugger.breakIn.consoleHelper is set, but debugger.breakIn.strategies does not name 'console-ctrl', so it would never run; add 'console-ctrl' to the strategies or remove the helper",
      );
    }
  }
  if (data.kind === 'hyperv' && data.debugger.executable === 'embedded') {
    problems.push(
      "debugger.executable is 'embedded', which only an embedded lab has; give the full path of kd.exe (Windows Kits\\10\\Debuggers\\x64\\kd.exe)",
    );
  }
  if (data.kind === 'embedded') {
    const guests = Object.keys(data.embedded.guests);
    for (const vm of vmNames) {
      if (!guests.includes(vm)) {
        problems.push(`embedded.guests has no guest for VM '${vm}'; declare one (its OS, accounts, timings)`);
      }
    }
    const sections = [
      ['embedded.guests', guests, vmNames, 'VM'],
      ['embedded.faults', Object.keys(data.embedded.faults), vmNames, 'VM'],
      ['embedded.drivers', Object.keys(data.embedded.drivers), driverNames, 'driver in the drivers list'],
    ] as const;
    for (const [at, keys, known, what] of sections) {
      for (const key of keys) {
        if (!known.includes(key)) {
          problems.push(
            `${at}.${key} names no ${what} of this lab (there are: ${list([...known]) || 'none'})`,
          );
        }
      }
    }
  }
  return problems;
}

function unique(values: string[], at: string, what: string, problems: string[]): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v.toLowerCase())) problems.push(`${at}.${i}: the ${what} '${v}' is used twice`);
    seen.add(v.toLowerCase());
  });
}

/**
 * A path from the lab file, resolved against the lab file's directory; a Windows path such as
 * C:\\Debuggers\\kd.exe is absolute on any machine, so it is kept as it is.
 */
export function resolveLabPath(lab: LabFile, path: string): string {
  return isAbsolute(path) || win32.isAbsolute(path) ? path : resolve(lab.dir, path);
}
