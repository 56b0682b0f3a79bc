/**
 * The simulated guest's event log and the events Windows writes in the cases driverlab cares
 * about, with their real providers, ids, levels, messages, insertion strings and binary data:
 * storport 129, disk 153 (domain brief §8), VSS 8193 (seed: the missing System Writer case),
 * WER-SystemErrorReporting 1001 after a bugcheck (§5.3) and Kernel-Power 41.
 */

export type EventLevel = 'Critical' | 'Error' | 'Warning' | 'Information';

export interface EventRecord {
  recordId: number;
  logName: 'System' | 'Application';
  provider: string;
  id: number;
  level: EventLevel;
  timeCreated: string;
  message: string;
  /** Insertion strings ($e.Properties[n].Value). */
  properties: string[];
  /** Binary data as lowercase hex, or null. */
  binaryHex: string | null;
}

export interface EventLogState {
  records: EventRecord[];
  nextRecordId: number;
}

export type NewEvent = Omit<EventRecord, 'recordId' | 'timeCreated'>;

export class EventLog {
  constructor(readonly state: EventLogState) {}

  static empty(): EventLog {
    return new EventLog({ records: [], nextRecordId: 1 });
  }

  write(event: NewEvent, timeCreated: string): EventRecord {
    const record: EventRecord = { ...event, recordId: this.state.nextRecordId, timeCreated };
    this.state.nextRecordId += 1;
    this.state.records.push(record);
    return record;
  }

  /** Get-WinEvent semantics: newest first, filtered by log, ids, provider and time. */
  query(filter: {
    logName: string;
    ids?: number[];
    providerName?: string;
    since?: string;
    maxEvents?: number;
  }): EventRecord[] {
    const since = filter.since ? Date.parse(filter.since) : Number.NEGATIVE_INFINITY;
    const out = this.state.records
      .filter((r) => r.logName.toLowerCase() === filter.logName.toLowerCase())
      .filter((r) => !filter.ids || filter.ids.length === 0 || filter.ids.includes(r.id))
      .filter((r) => !filter.providerName || r.provider.toLowerCase() === filter.providerName.toLowerCase())
      .filter((r) => Date.parse(r.timeCreated) >= since)
      .sort((a, b) => b.recordId - a.recordId);
    return out.slice(0, filter.maxEvents ?? out.length);
  }
}

/**
 * Event 129: storport timed a request out and reset the device. The source is the HBA miniport's
 * name, not a fixed provider [NTDBG-129].
 */
export function storportReset(miniport: string, port: string): NewEvent {
  return {
    logName: 'System',
    provider: miniport,
    id: 129,
    level: 'Warning',
    message: `Reset to device, ${port}, was issued.`,
    properties: [port],
    binaryHex: null,
  };
}

/**
 * Event 153: the miniport timed the request out, the disk class driver retried it. Its binary data
 * is an IO_ERROR_LOG_PACKET: MajorFunctionCode, RetryCount, DumpDataSize, NumberOfStrings,
 * StringOffset, EventCategory, ErrorCode (0x80040099 at 0x0C), UniqueErrorValue, FinalStatus,
 * SequenceNumber, IoControlCode, DeviceOffset, then dump data.
 *
 * Offsets 29, 30, 31 hold the SCSI status, the SRB status and the SCSI opcode [NTDBG-153 via the
 * seed; KNOWITLIKEPRO]. Uncertainty U10: the base of "offset 29" is not documented; this model
 * takes it as zero-based (byte index 0x1D), as Event Viewer's Bytes view numbers its rows from
 * 0000: — so bytes[29] = SCSI status, bytes[30] = SRB status, bytes[31] = opcode.
 */
export function diskRetry(options: {
  disk: number;
  pdo: string;
  lba: bigint;
  scsiStatus: number;
  srbStatus: number;
  opcode: number;
  sequence: number;
}): NewEvent {
  const bytes = Buffer.alloc(0x28 + 8);
  bytes.writeUInt8(0x0f, 0); // IRP_MJ_INTERNAL_DEVICE_CONTROL (SCSI requests)
  bytes.writeUInt8(1, 1); // retry count
  bytes.writeUInt16LE(8, 2); // dump data size
  bytes.writeUInt16LE(0, 4); // number of strings
  bytes.writeUInt16LE(0x28 + 8, 6); // string offset
  bytes.writeUInt16LE(0, 8); // event category
  bytes.writeUInt32LE(0x80040099, 0x0c); // error code: warning, id 153 (0x99)
  bytes.writeUInt32LE(0, 0x10); // unique error value
  bytes.writeUInt32LE(0xc00000b5, 0x14); // final status: STATUS_IO_TIMEOUT
  bytes.writeUInt32LE(options.sequence, 0x18);
  bytes.writeUInt8(0, 0x1c);
  bytes.writeUInt8(options.scsiStatus, 29);
  bytes.writeUInt8(options.srbStatus, 30);
  bytes.writeUInt8(options.opcode, 31);
  bytes.writeBigUInt64LE(options.lba * 512n, 0x20); // device offset in bytes
  bytes.writeBigUInt64LE(options.lba, 0x28); // dump data: the LBA
  const lba = `0x${options.lba.toString(16)}`;
  return {
    logName: 'System',
    provider: 'Disk',
    id: 153,
    level: 'Warning',
    // The PDO form of the message [MSSQL-3013].
    message: `The IO operation at logical block address ${lba} for Disk ${options.disk} (PDO name: ${options.pdo}) was retried.`,
    properties: [
      `\\Device\\Harddisk${options.disk}\\DR${options.disk}`,
      lba,
      String(options.disk),
      options.pdo,
    ],
    binaryHex: bytes.toString('hex'),
  };
}

/** The System Writer's class id and the two 8193 events the seed's case shows, verbatim. */
export const SYSTEM_WRITER_ID = 'e8132975-6f93-4464-a53e-1050253ae220';

export function vssSystemWriterFailures(instanceId: string): NewEvent[] {
  const context = `Operation: Writer Exposing its Metadata Context: Execution Context: Requestor Writer Instance ID: {${instanceId.toUpperCase()}} Writer Class Id: {${SYSTEM_WRITER_ID.toUpperCase()}} Writer Name: System Writer`;
  const event = (routine: string, hr: string): NewEvent => ({
    logName: 'Application',
    provider: 'VSS',
    id: 8193,
    level: 'Error',
    message: `Volume Shadow Copy Service error: Unexpected error calling routine ${routine}. hr = ${hr}. ${context}`,
    properties: [routine, hr, context],
    binaryHex: null,
  });
  return [
    event(
      'XML document is too long',
      '0x80070018, The program issued a command but the command length is incorrect. ',
    ),
    event(
      'CreateVssExamineWriterMetadata',
      '0x80042302, A Volume Shadow Copy Service component encountered an unexpected error. Check the Application event log for more information. ',
    ),
  ];
}

/** 16 lower-case hex digits, as event 1001 and x64 KD print bugcheck parameters. */
export function hex64(value: bigint | string): string {
  const raw = typeof value === 'bigint' ? value.toString(16) : value.replace(/^0x/i, '').replace(/`/g, '');
  return `0x${raw.toLowerCase().padStart(16, '0')}`;
}

/**
 * Event 1001 after the reboot that follows a bugcheck [SCHEATKODE; the Get-WinEvent capture in
 * the domain brief §5.3]: one sentence per line (CRLF, as the capture shows them on separate lines), parameters in 16 hex digits, the dump path
 * expanded. Uncertainty U8: the not-saved wording ("A dump was not saved.") is from the knowledge
 * base's variant list, not a capture.
 */
export function bugcheckReport(options: {
  code: number;
  args: (bigint | string)[];
  dumpPath: string | null;
  reportId: string;
}): NewEvent {
  const bugcheck = `0x${options.code.toString(16).padStart(8, '0')} (${options.args.map(hex64).join(', ')})`;
  const saved = options.dumpPath ? `A dump was saved in: ${options.dumpPath}.` : 'A dump was not saved.';
  return {
    logName: 'System',
    provider: 'Microsoft-Windows-WER-SystemErrorReporting',
    id: 1001,
    level: 'Error',
    message: [
      'The computer has rebooted from a bugcheck.',
      `The bugcheck was: ${bugcheck}.`,
      saved,
      `Report Id: ${options.reportId}.`,
    ].join('\r\n'),
    properties: [bugcheck, options.dumpPath ?? '', options.reportId],
    binaryHex: null,
  };
}

/** Kernel-Power 41: the boot after a crash or a power cut. */
export function uncleanShutdown(bugcheckCode: number): NewEvent {
  return {
    logName: 'System',
    provider: 'Microsoft-Windows-Kernel-Power',
    id: 41,
    level: 'Critical',
    message:
      'The system has rebooted without cleanly shutting down first. This error could be caused if the system stopped responding, crashed, or lost power unexpectedly.',
    properties: [String(bugcheckCode), '0', '0', '0', '0'],
    binaryHex: null,
  };
}
