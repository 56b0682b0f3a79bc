/**
 * The operations the Hyper-V adapter can run on a lab host, by name: what each takes (params, one
 * JSON document) and what it answers (result, one JSON document).
 *
 * These operations are the agreement between the adapter (which turns an operation into a PowerShell
 * script, lab/hyperv/) and whatever answers it — a real Hyper-V host, or the embedded simulated lab
 * host (lab/sim/host/), which reads the same operation name and JSON out of the same script text.
 *
 * Results are described in their canonical form: enums as names, times as ISO 8601 strings. The
 * scripts produce that form themselves (Windows PowerShell 5.1 would otherwise write enums as
 * numbers and dates as "\/Date(…)\/"); the reply parser still accepts the raw 5.1 and 7.x forms
 * (see normalise.ts: psEnum and psList say which fields are enums and lists).
 *
 * Every operation carries an example of its parameters: `driverlab ops show` uses it when no
 * --params are given, and the syntax tests build every script from it.
 */
import * as z from 'zod';
import { HEARTBEATS, psEnum, psList, VM_STATES } from '../normalise.js';

const vmName = z.string().min(1).max(100).describe('the VM name as Hyper-V knows it');
const checkpointName = z.string().min(1).max(100).describe('the checkpoint (snapshot) name');
const guestPath = z.string().min(1).max(32767).describe('a path inside the guest');
const hostPath = z.string().min(1).max(32767).describe('a path on the Hyper-V host');

/** A guest credential as it travels to the script: the password is resolved from its reference. */
export const GuestCredentialParam = z.union([
  z.strictObject({ user: z.string().min(1), password: z.string().min(1) }),
  /** A PSCredential file on the Hyper-V host (Export-Clixml), imported by the script there. */
  z.strictObject({ credentialFile: z.string().min(1) }),
]);

const vmState = psEnum(VM_STATES);
const heartbeatStatus = psEnum(HEARTBEATS);

export const VmRecord = z.object({
  name: z.string(),
  id: z.string(),
  state: vmState,
  heartbeat: heartbeatStatus.nullable(),
  uptimeSeconds: z.number().nonnegative(),
  status: z.string().nullable(),
  generation: z.number().int().nullable(),
});
export type VmRecord = z.infer<typeof VmRecord>;

export const CheckpointRecord = z.object({
  name: z.string(),
  id: z.string(),
  vmName: z.string(),
  created: z.string(),
  parentName: z.string().nullable(),
  checkpointType: z.string(),
});
export type CheckpointRecord = z.infer<typeof CheckpointRecord>;

export const GuestEventRecord = z.object({
  id: z.number().int(),
  provider: z.string(),
  level: z.string(),
  logName: z.string(),
  timeCreated: z.string(),
  message: z.string(),
  properties: psList(z.string()),
  binaryHex: z.string().nullable(),
});

export interface OperationSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  /** True when the operation runs inside the guest through PowerShell Direct. */
  guest: boolean;
  params: P;
  result: R;
  /** Parameters that show what the operation takes (secrets are placeholders). */
  example: z.input<P>;
}

function op<P extends z.ZodType, R extends z.ZodType>(spec: OperationSpec<P, R>): OperationSpec<P, R> {
  return spec;
}

const withVm = { vmName };
const withGuest = { vmName, credential: GuestCredentialParam };
const exampleVm = { vmName: 'win11-a' };
const exampleGuest = {
  vmName: 'win11-a',
  credential: { user: 'Administrator', password: 'example-password' },
};

export const operations = {
  'Get-VM': op({
    name: 'Get-VM',
    description: "Reads a VM's power state, heartbeat, uptime and status.",
    guest: false,
    params: z.strictObject(withVm),
    result: VmRecord,
    example: exampleVm,
  }),
  'Start-VM': op({
    name: 'Start-VM',
    description:
      'Starts a VM that is Off or Saved (resumes a Paused one) and returns its state once Hyper-V reports it running.',
    guest: false,
    params: z.strictObject(withVm),
    result: VmRecord,
    example: exampleVm,
  }),
  'Stop-VM': op({
    name: 'Stop-VM',
    description:
      'Shuts a VM down through the guest (-Force), turning it off when the guest has not shut down within forceSeconds, or turns it off like pulling the power (-TurnOff).',
    guest: false,
    params: z.strictObject({
      ...withVm,
      turnOff: z.boolean().default(false),
      /** How long a shutdown may take before the VM is turned off (a frozen guest never answers). */
      forceSeconds: z.number().positive().max(3600).default(120),
    }),
    result: VmRecord,
    example: { ...exampleVm, turnOff: true },
  }),
  'Restart-VM': op({
    name: 'Restart-VM',
    description: 'Hard-restarts a VM (Restart-VM -Force), like powering it down and up again.',
    guest: false,
    params: z.strictObject(withVm),
    result: VmRecord,
    example: exampleVm,
  }),
  'Checkpoint-VM': op({
    name: 'Checkpoint-VM',
    description:
      "Takes a checkpoint of a VM under the given name, of the VM's checkpoint type (a Standard one keeps the running state); a name the VM has already is refused.",
    guest: false,
    params: z.strictObject({ ...withVm, checkpointName }),
    result: CheckpointRecord,
    example: { ...exampleVm, checkpointName: 'before-verifier' },
  }),
  'Get-VMCheckpoint': op({
    name: 'Get-VMCheckpoint',
    description: "Lists a VM's checkpoints, or the one with the given name.",
    guest: false,
    params: z.strictObject({ ...withVm, checkpointName: checkpointName.optional() }),
    result: z.object({ checkpoints: psList(CheckpointRecord) }),
    example: { ...exampleVm, checkpointName: 'baseline' },
  }),
  'Restore-VMCheckpoint': op({
    name: 'Restore-VMCheckpoint',
    description: 'Restores a VM to a checkpoint without asking for confirmation (-Confirm:$false).',
    guest: false,
    params: z.strictObject({ ...withVm, checkpointName }),
    result: VmRecord,
    example: { ...exampleVm, checkpointName: 'baseline' },
  }),
  'Remove-VMCheckpoint': op({
    name: 'Remove-VMCheckpoint',
    description:
      'Deletes a checkpoint of a VM and waits (at most mergeSeconds) for Hyper-V to merge its disk.',
    guest: false,
    params: z.strictObject({
      ...withVm,
      checkpointName,
      mergeSeconds: z.number().positive().max(86400).default(1800),
    }),
    result: z.object({ removed: z.string() }),
    example: { ...exampleVm, checkpointName: 'before-verifier' },
  }),
  'Get-VMHeartbeat': op({
    name: 'Get-VMHeartbeat',
    description: 'Reads the Heartbeat integration service: whether it is enabled and its status.',
    guest: false,
    params: z.strictObject(withVm),
    result: z.object({ enabled: z.boolean(), status: heartbeatStatus.nullable(), state: vmState }),
    example: exampleVm,
  }),
  'Test-VMPowerShellDirect': op({
    name: 'Test-VMPowerShellDirect',
    description: 'Runs a trivial script block in the guest through PowerShell Direct to prove it answers.',
    guest: true,
    params: z.strictObject(withGuest),
    result: z.object({ computerName: z.string(), bootTime: z.string() }),
    example: exampleGuest,
  }),
  'Wait-VMPowerShellDirect': op({
    name: 'Wait-VMPowerShellDirect',
    description:
      "Looks at the guest through PowerShell Direct on the host until it answers (with another boot time, when one is given: it came back from a reboot), waiting out PowerShell Direct's own refusals, up to a time limit.",
    guest: true,
    params: z.strictObject({
      ...withGuest,
      timeoutSeconds: z.number().positive().max(86400),
      pollMilliseconds: z.number().int().min(1).max(600_000),
      /** The fewest looks before the time limit may end the wait (a look can take longer than the limit). */
      minimumLooks: z.number().int().min(1).max(1000),
      /** After this many refusals of the credential the wait ends: a wrong password never heals. */
      credentialRefusals: z.number().int().min(1).max(1000),
      /** The guest counts as answering only with a boot time other than this one. */
      bootTimeOtherThan: z.string().min(1).nullable().default(null),
    }),
    result: z.object({
      answered: z.boolean(),
      computerName: z.string().nullable(),
      bootTime: z.string().nullable(),
      looks: z.number().int().positive(),
      waitedSeconds: z.number().nonnegative(),
      /** The refusal of the last look, when it was refused; null when the guest answered. */
      lastError: z
        .object({ error: z.string(), fqid: z.string(), type: z.string(), category: z.string() })
        .nullable(),
    }),
    example: {
      ...exampleGuest,
      timeoutSeconds: 120,
      pollMilliseconds: 1000,
      minimumLooks: 3,
      credentialRefusals: 3,
      bootTimeOtherThan: null,
    },
  }),
  'Invoke-GuestCommand': op({
    name: 'Invoke-GuestCommand',
    description:
      'Runs a program with arguments in the guest (PowerShell Direct) and returns stdout, stderr and exit code.',
    guest: true,
    params: z.strictObject({
      ...withGuest,
      file: z.string().min(1).max(32767),
      arguments: z.array(z.string().max(32767)).max(256).default([]),
      timeoutSeconds: z.number().positive().max(86400),
    }),
    result: z.object({
      stdout: z.string(),
      stderr: z.string(),
      /** The program's exit code; -1 when it was stopped at the time limit. */
      exitCode: z.number().int(),
      durationMs: z.number(),
      /**
       * True when the time limit passed and the program was stopped (stdout and stderr hold what it
       * printed until then); absent means false.
       */
      timedOut: z.boolean().optional(),
    }),
    example: {
      ...exampleGuest,
      file: 'verifier.exe',
      arguments: ['/flags', '0x1', '/driver', 'myfault.sys'],
      timeoutSeconds: 120,
    },
  }),
  'Copy-VMFile': op({
    name: 'Copy-VMFile',
    description: 'Copies a host file into the guest through the Guest Service Interface (-FileSource Host).',
    guest: false,
    params: z.strictObject({ ...withVm, sourcePath: hostPath, destinationPath: guestPath }),
    result: z.object({ copied: z.string(), bytes: z.number().int().nonnegative() }),
    example: {
      ...exampleVm,
      sourcePath: 'C:\\lab\\drivers\\myfault\\myfault.sys',
      destinationPath: 'C:\\driverlab\\myfault\\myfault.sys',
    },
  }),
  'Copy-GuestFileToHost': op({
    name: 'Copy-GuestFileToHost',
    description:
      'Copies a guest file to the host through PowerShell Direct: gzipped in the guest, read in chunks within a time budget from its size (baseSeconds + packed bytes / minBytesPerSecond), unpacked on the host.',
    guest: true,
    params: z.strictObject({
      ...withGuest,
      guestPath,
      hostPath,
      /** The time every copy may take whatever its size (sessions, packing), in seconds. */
      baseSeconds: z.number().positive().max(86400).default(120),
      /** The slowest transfer the budget allows: a copy behind it is stopped with a sentence. */
      minBytesPerSecond: z.number().positive().default(1_048_576),
      /** Bytes read from the guest per round trip. */
      chunkBytes: z.number().int().min(1).max(268_435_456).default(16_777_216),
    }),
    result: z.object({ copied: z.string(), bytes: z.number().int().nonnegative() }),
    example: {
      ...exampleGuest,
      guestPath: 'C:\\Windows\\MEMORY.DMP',
      hostPath: 'C:\\lab\\dumps\\win11-a\\MEMORY.DMP',
    },
  }),
  'Set-VMComPort': op({
    name: 'Set-VMComPort',
    description: 'Points a VM COM port at a named pipe for kernel debugging over com:pipe.',
    guest: false,
    params: z.strictObject({
      ...withVm,
      number: z.union([z.literal(1), z.literal(2)]),
      pipeName: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, 'a pipe name of letters, digits, _ . - (without \\\\.\\pipe\\)'),
    }),
    result: z.object({ number: z.number().int(), path: z.string() }),
    example: { ...exampleVm, number: 1, pipeName: 'win11-a_com1' },
  }),
  'Debug-VM': op({
    name: 'Debug-VM',
    description:
      'Injects a non-maskable interrupt into a running VM (Debug-VM -InjectNonMaskableInterrupt -Force).',
    guest: false,
    params: z.strictObject(withVm),
    result: z.object({ injected: z.boolean() }),
    example: exampleVm,
  }),
  'Get-VMNetworkAdapter': op({
    name: 'Get-VMNetworkAdapter',
    description: "Lists a VM's network adapters with the IP addresses the guest reports.",
    guest: false,
    params: z.strictObject(withVm),
    result: z.object({
      adapters: psList(
        z.object({
          name: z.string(),
          switchName: z.string().nullable(),
          macAddress: z.string(),
          ipAddresses: psList(z.string()),
        }),
      ),
    }),
    example: exampleVm,
  }),
  'Get-VMComPort': op({
    name: 'Get-VMComPort',
    description: "Lists a VM's COM ports and the named pipe each points at (empty when none).",
    guest: false,
    params: z.strictObject(withVm),
    result: z.object({
      ports: psList(z.object({ number: z.number().int(), path: z.string() })),
    }),
    example: exampleVm,
  }),
  'Get-VMIntegrationService': op({
    name: 'Get-VMIntegrationService',
    description:
      "Lists a VM's integration services (Heartbeat, Guest Service Interface, …) with their ids and whether each is enabled.",
    guest: false,
    params: z.strictObject(withVm),
    result: z.object({
      services: psList(
        z.object({
          name: z.string(),
          /** The service's id without the VM part; unlike the name it is not localized. */
          id: z.string(),
          enabled: z.boolean(),
          primaryStatus: z.string().nullable(),
        }),
      ),
    }),
    example: exampleVm,
  }),
  'Get-GuestEvents': op({
    name: 'Get-GuestEvents',
    description: 'Reads guest event-log records (Get-WinEvent) with their insertion strings and binary data.',
    guest: true,
    params: z.strictObject({
      ...withGuest,
      logName: z.string().min(1),
      // Get-WinEvent builds one XPath query from the filter, and the event log refuses a query of more
      // than about 20 expressions ("The specified query is invalid", PowerShell/PowerShell#12303).
      ids: z.array(z.number().int().nonnegative()).max(20).default([]),
      providerName: z.string().optional(),
      since: z.string().optional(),
      maxEvents: z.number().int().positive().max(10000).default(200),
    }),
    result: z.object({ events: psList(GuestEventRecord) }),
    example: {
      ...exampleGuest,
      logName: 'System',
      ids: [1001],
      providerName: 'Microsoft-Windows-WER-SystemErrorReporting',
      maxEvents: 10,
    },
  }),
  'Get-GuestRegistryValue': op({
    name: 'Get-GuestRegistryValue',
    description: 'Reads a registry value in the guest.',
    guest: true,
    params: z.strictObject({ ...withGuest, path: z.string().min(1), valueName: z.string() }),
    result: z.object({
      exists: z.boolean(),
      type: z.string().nullable(),
      value: z.union([z.string(), z.number(), z.null()]),
    }),
    example: {
      ...exampleGuest,
      path: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl',
      valueName: 'CrashDumpEnabled',
    },
  }),
  'Set-GuestRegistryValue': op({
    name: 'Set-GuestRegistryValue',
    description: 'Writes a registry value in the guest, creating the key when needed.',
    guest: true,
    params: z.strictObject({
      ...withGuest,
      path: z.string().min(1),
      valueName: z.string(),
      type: z.enum(['DWord', 'QWord', 'String']),
      value: z.union([z.string(), z.number()]),
    }),
    result: z.object({ written: z.boolean() }),
    example: {
      ...exampleGuest,
      path: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters',
      valueName: 'TrackNblOwner',
      type: 'DWord',
      value: 1,
    },
  }),
  'New-GuestItems': op({
    name: 'New-GuestItems',
    description:
      'Creates a number of new empty files, or of empty folders, in a guest directory (for scenarios about file and folder counts); a second call adds to the first.',
    guest: true,
    params: z.strictObject({
      ...withGuest,
      directory: guestPath,
      count: z.number().int().positive().max(1_000_000),
      prefix: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'a file name prefix of 1 to 32 letters, digits, _ . -')
        .default('file'),
      /** What to create: empty files, or empty folders. */
      kind: z.enum(['file', 'folder']).default('file'),
    }),
    /** The items this call made, and the files (or folders) the directory holds after it. */
    result: z.object({ created: z.number().int().nonnegative(), total: z.number().int().nonnegative() }),
    example: {
      ...exampleGuest,
      directory: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\bloat',
      count: 10001,
    },
  }),
  'Remove-GuestItem': op({
    name: 'Remove-GuestItem',
    description: 'Removes a guest file or directory, recursively.',
    guest: true,
    params: z.strictObject({ ...withGuest, path: guestPath }),
    result: z.object({ removed: z.boolean() }),
    example: {
      ...exampleGuest,
      path: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\bloat',
    },
  }),
  'Get-HostInfo': op({
    name: 'Get-HostInfo',
    description:
      'Describes the host: computer name, PowerShell edition and version, whether the Hyper-V module is there.',
    guest: false,
    params: z.strictObject({}),
    result: z.object({
      computerName: z.string(),
      psEdition: z.string(),
      psVersion: z.string(),
      hyperVModule: z.boolean(),
      osVersion: z.string(),
    }),
    example: {},
  }),
} as const;

export type OperationName = keyof typeof operations;
export type OperationParams<N extends OperationName> = z.input<(typeof operations)[N]['params']>;
export type OperationResult<N extends OperationName> = z.infer<(typeof operations)[N]['result']>;

export const operationNames = Object.keys(operations) as OperationName[];

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(operations, name);
}
