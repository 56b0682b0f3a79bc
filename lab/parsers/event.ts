/**
 * Windows events as they are pasted or exported: the classic text form (`Event Type:` …
 * `Description:`), the Event Viewer copy (`Log Name:` … `Description:`), `Get-WinEvent | Format-List`,
 * CSV (Event Viewer "Save as" or Export-Csv) and JSON (`ConvertTo-Json`). Events 8193/8194 (VSS),
 * 153 (disk retry), 129 (storport reset) and 1001 (bugcheck) are decoded from their message and data.
 */
import * as z from 'zod';
import { built } from './built.js';
import { Hex, hexOrNull, StopCode, stopCodeOrNull } from './hex.js';
import { SCSI_OPCODE, SCSI_STATUS, SRB_FLAGS, SRB_STATUS } from './storage-codes.js';
import { filled, type Line, prepare, Reader } from './text.js';

const NamedCode = z.object({ code: Hex, name: z.string().nullable() });

export const EventDecoded = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('vss'),
    operation: z.string().nullable(),
    writerName: z.string().nullable(),
    hr: Hex.nullable(),
    writerClassId: z.string().nullable(),
    writerInstanceId: z.string().nullable(),
  }),
  z.object({
    type: z.literal('disk-retry'),
    lba: z.string().nullable(),
    disk: z.number().int().nullable(),
    pdo: z.string().nullable(),
    /** From bytes 29, 30, 31 of the event data when the input carries it, else null. */
    scsiStatus: NamedCode.nullable(),
    srbStatus: NamedCode.extend({ flags: z.array(z.string()) }).nullable(),
    scsiOpcode: NamedCode.nullable(),
  }),
  z.object({ type: z.literal('storport-reset'), device: z.string().nullable() }),
  z.object({
    type: z.literal('bugcheck'),
    code: StopCode.nullable(),
    args: z.array(Hex),
    dumpPath: z.string().nullable(),
    reportId: z.string().nullable(),
  }),
]);
export type EventDecoded = z.infer<typeof EventDecoded>;

export const WindowsEvent = z.object({
  eventId: z.number().int(),
  provider: z.string().nullable(),
  level: z.string().nullable(),
  time: z.string().nullable(),
  computer: z.string().nullable(),
  message: z.string(),
  /** The decoded fields of a known event, null for other events or a message that does not fit. */
  decoded: EventDecoded.nullable(),
});
export type WindowsEvent = z.infer<typeof WindowsEvent>;

export const EventResult = z.object({ events: z.array(WindowsEvent) });
export type EventResult = z.infer<typeof EventResult>;

interface RawEvent {
  eventId: string | null;
  provider: string | null;
  level: string | null;
  time: string | null;
  computer: string | null;
  message: string;
  binary: string | null;
  properties: string[] | null;
  /** False when a text record shows no message field (it was cut before it). */
  messageShown?: boolean;
}

/** Parses one or more events in any of the supported forms. */
export function parseEvent(text: string): EventResult {
  const reader = new Reader('event', 'the event (text, Event Viewer copy, CSV or JSON)', text);
  const trimmed = text.trim();
  let raws: RawEvent[];
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) raws = fromJson(trimmed, reader);
  else {
    const lines = prepare(text);
    const first = filled(lines)[0];
    if (first && /,/.test(first.text) && /(?:^|,)"?(?:Event ID|Id|EventID)"?(?:,|$)/i.test(first.text))
      raws = fromCsv(filled(lines), reader);
    else raws = fromText(lines, reader);
  }
  if (raws.length === 0) throw reader.fail('it holds no event', filled(prepare(text))[0]);
  const events = raws.map((r) => {
    if (r.eventId === null || !/^\d+$/.test(r.eventId)) throw reader.fail('an event has no numeric event ID');
    if (r.messageShown === false)
      throw reader.fail(`event ${r.eventId} ends before its message field, so the text was cut off`);
    const eventId = Number(r.eventId);
    return {
      eventId,
      provider: r.provider,
      level: r.level,
      time: r.time,
      computer: r.computer,
      message: r.message,
      decoded: decode(eventId, r),
    };
  });
  return built(EventResult, { events });
}

const TEXT_FIELDS: Record<string, keyof RawEvent | 'skip'> = {
  'event type': 'level',
  level: 'level',
  leveldisplayname: 'level',
  entrytype: 'level',
  'event source': 'provider',
  source: 'provider',
  providername: 'provider',
  'event id': 'eventId',
  id: 'eventId',
  eventid: 'eventId',
  date: 'time',
  timecreated: 'time',
  timegenerated: 'time',
  computer: 'computer',
  machinename: 'computer',
  description: 'message',
  message: 'message',
};

function fromText(lines: Line[], reader: Reader): RawEvent[] {
  const events: RawEvent[] = [];
  let current: RawEvent | null = null;
  let inMessage = false;
  let inXml = false;
  // `wevtutil qe … /f:text` opens each record with `Event[N]:` and indents its fields by two.
  let wevtutil = false;
  for (const line of lines) {
    const t = line.text.trim();
    if (/^Event\[\d+\]:$/.test(t)) {
      if (current) events.push(current);
      current = null;
      wevtutil = true;
      inMessage = false;
      inXml = false;
      continue;
    }
    // A pasted record may be an item of a markdown list (`4. Log Name: …`, `- Log Name: …`).
    const base = wevtutil && !inMessage ? t : line.text;
    const text =
      current === null ? base.replace(/^\s*(?:\d{1,3}\.|[-*])\s+(?=Log Name:|Event Type:)/, '') : base;
    const field = /^([A-Za-z][A-Za-z ]*?)\s*:\s?(.*)$/.exec(text);
    const name = field ? (field[1] ?? '').toLowerCase() : null;
    const target = name === null ? undefined : TEXT_FIELDS[name];
    const starts = name === 'event type' || name === 'log name';
    if (name === 'event xml') {
      inMessage = false;
      inXml = true;
      continue;
    }
    if (
      field &&
      (target !== undefined || starts || (!inMessage && !inXml && OTHER_FIELDS.test(name ?? '')))
    ) {
      const repeated = target !== undefined && current !== null && hasField(current, target);
      if (current === null || starts || repeated) {
        if (current) events.push(current);
        current = {
          eventId: null,
          provider: null,
          level: null,
          time: null,
          computer: null,
          message: '',
          binary: null,
          properties: null,
          messageShown: false,
        };
        inXml = false;
      }
      inMessage = target === 'message';
      const value = (field[2] ?? '').trim();
      if (target === 'message') {
        current.message = value;
        current.messageShown = true;
      } else if (
        target !== undefined &&
        target !== 'skip' &&
        target !== 'binary' &&
        target !== 'properties'
      ) {
        current[target as 'eventId' | 'provider' | 'level' | 'time' | 'computer'] =
          value === '' ? null : value;
      }
      continue;
    }
    if (current === null) {
      if (t === '') continue;
      throw reader.fail('it does not start with an event field ("Event Type:", "Log Name:", "Id :")', line);
    }
    const bin = /<Binary>([0-9A-Fa-f]*)<\/Binary>/.exec(t);
    if (bin) current.binary = bin[1] ?? null;
    if (inMessage) current.message = `${current.message}\n${t}`;
  }
  if (current) events.push(current);
  return events.map((e) => ({ ...e, message: e.message.replace(/\n{3,}/g, '\n\n').trim() }));
}

/** Fields an event form prints that carry nothing decoded here. */
const OTHER_FIELDS =
  /^(?:event category|task category|time|user|user name|keyword|keywords|opcode|task|recordid|logname|containerlog|processid|threadid|version|qualifiers|userid|activityid|relatedactivityid|keywordsdisplaynames|taskdisplayname|opcodedisplayname|bookmark|properties)$/;

function hasField(event: RawEvent, key: keyof RawEvent | 'skip' | undefined): boolean {
  if (key === undefined || key === 'skip') return false;
  const v = event[key];
  return v !== null && v !== '';
}

function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

function fromCsv(lines: Line[], reader: Reader): RawEvent[] {
  // Rows may span lines when a quoted message holds newlines: join until quotes balance.
  const records: { text: string; line: Line }[] = [];
  for (const line of lines) {
    const last = records[records.length - 1];
    if (last && (last.text.match(/"/g)?.length ?? 0) % 2 === 1) last.text += `\n${line.text}`;
    else records.push({ text: line.text, line });
  }
  const [head, ...rows] = records;
  if (!head) return [];
  const header = splitCsv(head.text).map((h) => h.trim().toLowerCase());
  const at = (names: string[]) => header.findIndex((h) => names.includes(h));
  const iId = at(['event id', 'id', 'eventid']);
  const iProvider = at(['source', 'providername', 'provider']);
  const iLevel = at(['level', 'leveldisplayname', 'entrytype']);
  const iTime = at(['date and time', 'timecreated', 'timegenerated']);
  const iComputer = at(['machinename', 'computer']);
  let iMessage = at(['message', 'description']);
  if (iMessage < 0 && header[header.length - 1] === '') iMessage = header.length - 1;
  return rows.map(({ text, line }) => {
    const cells = splitCsv(text);
    if (iMessage < 0 && cells.length > header.length) iMessage = header.length;
    if (cells.length < header.filter((h) => h !== '').length)
      throw reader.fail('a CSV row has fewer cells than the header', line);
    const cell = (i: number) => (i < 0 ? null : (cells[i] ?? '').trim() || null);
    return {
      eventId: cell(iId),
      provider: cell(iProvider),
      level: cell(iLevel),
      time: cell(iTime),
      computer: cell(iComputer),
      message: cell(iMessage) ?? '',
      binary: null,
      properties: null,
    };
  });
}

function fromJson(text: string, reader: Reader): RawEvent[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw reader.fail(
      `it starts like JSON but is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const list = Array.isArray(data) ? data : [data];
  return list.map((item) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw reader.fail('a JSON event is not an object');
    const record = item as Record<string, unknown>;
    const get = (...names: string[]): unknown => {
      for (const [k, v] of Object.entries(record)) if (names.includes(k.toLowerCase())) return v;
      return undefined;
    };
    const str = (v: unknown): string | null =>
      v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
    const props = get('properties');
    const properties = Array.isArray(props)
      ? props.map((p) =>
          p !== null && typeof p === 'object' && 'Value' in p
            ? (str((p as { Value: unknown }).Value) ?? '')
            : (str(p) ?? ''),
        )
      : null;
    return {
      eventId: str(get('id', 'eventid', 'event id')),
      provider: str(get('providername', 'provider', 'source')),
      level: str(get('leveldisplayname', 'level', 'entrytype')),
      time: str(get('timecreated', 'timegenerated')),
      computer: str(get('machinename', 'computer')),
      message: str(get('message', 'description')) ?? '',
      binary: str(get('binary', 'binaryhex', 'data')),
      properties,
    };
  });
}

function named(code: number, table: Readonly<Record<number, string>>) {
  return { code: `0x${code.toString(16).padStart(2, '0')}`, name: table[code] ?? null };
}

function decode(eventId: number, e: RawEvent): EventDecoded | null {
  const flat = e.message.replace(/\s+/g, ' ').trim();
  if (eventId === 8193 || eventId === 8194) {
    if (!/Volume Shadow Copy Service/i.test(flat)) return null;
    // "Operation:" and "Context:" are section headings; flattened text keeps them in order.
    const operation = /Operation: (.+?)(?: Context:|$)/.exec(flat)?.[1]?.trim() ?? null;
    return {
      type: 'vss',
      operation,
      writerName: /Writer Name: (.+?)(?: Writer [A-Z][a-z]+ I[dD]:|$)/.exec(flat)?.[1]?.trim() ?? null,
      hr: hexOrNull(/hr = (0x[0-9a-fA-F]{8})/.exec(flat)?.[1] ?? ''),
      writerClassId: /Writer Class Id: (\{[0-9A-Fa-f-]{36}\})/.exec(flat)?.[1] ?? null,
      writerInstanceId: /Writer Instance ID: (\{[0-9A-Fa-f-]{36}\})/i.exec(flat)?.[1] ?? null,
    };
  }
  if (eventId === 153) {
    const m =
      /The IO operation at logical block address (0x[0-9a-fA-F]+|\d+) for Disk (\d+)(?: \(PDO name: ([^)]+)\))? was retried\./.exec(
        flat,
      );
    if (!m) return null;
    // UNCERTAIN (domain brief U10): bytes 29, 30, 31 counted from 0 hold SCSI status, SRB status, opcode.
    const bytes = e.binary !== null && /^(?:[0-9a-fA-F]{2})+$/.test(e.binary) ? e.binary : null;
    const byte = (n: number) =>
      bytes !== null && bytes.length >= (n + 1) * 2
        ? Number.parseInt(bytes.slice(n * 2, n * 2 + 2), 16)
        : null;
    const scsi = byte(29);
    const srb = byte(30);
    const op = byte(31);
    return {
      type: 'disk-retry',
      lba: m[1] ?? null,
      disk: Number(m[2]),
      pdo: m[3] ?? null,
      scsiStatus: scsi === null ? null : named(scsi, SCSI_STATUS),
      srbStatus:
        srb === null
          ? null
          : {
              ...named(srb, {}),
              name: SRB_STATUS[srb & ~0xc0] ?? null,
              flags: SRB_FLAGS.filter((f) => (srb & f.bit) !== 0).map((f) => f.name),
            },
      scsiOpcode: op === null ? null : named(op, SCSI_OPCODE),
    };
  }
  if (eventId === 129) {
    const m = /Reset to device, (\S+?), was issued\./.exec(flat);
    return m ? { type: 'storport-reset', device: m[1] ?? null } : null;
  }
  if (eventId === 1001) {
    const fromProps = e.properties && e.properties.length >= 1 ? e.properties[0] : null;
    const source = fromProps && /^0x[0-9a-fA-F]+ \(/.test(fromProps) ? `bugcheck was: ${fromProps}` : flat;
    const m = /bugcheck was: (0x[0-9a-fA-F]{8}) \(([^)]*)\)/.exec(source);
    if (!m) return null;
    const args = (m[2] ?? '').split(',').map((a) => hexOrNull(a.trim()));
    if (args.length !== 4 || args.some((a) => a === null)) return null;
    const saved = /saved in: (.+?)\.\s+Report Id: ([0-9a-fA-F-]+)/.exec(flat);
    const report = /Report Id: ([0-9a-fA-F-]{36})/.exec(flat);
    // An empty insertion string means the event did not carry that value ("A dump was not saved").
    const prop = (i: number): string | null => {
      const v = e.properties?.[i];
      return v === undefined || v.trim() === '' ? null : v;
    };
    return {
      type: 'bugcheck',
      code: stopCodeOrNull(m[1] ?? ''),
      args: args as string[],
      dumpPath: prop(1) ?? saved?.[1] ?? /saved in: (.+?)\.(?:\s|$)/.exec(flat)?.[1] ?? null,
      reportId: prop(2) ?? report?.[1] ?? null,
    };
  }
  return null;
}
