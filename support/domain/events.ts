/**
 * The guest's event log: events as Get-WinEvent returns them, read by the event parser (which
 * decodes 129, 153, 8193 and 1001), kept as evidence raw and parsed.
 */
import {
  type GuestEvent,
  LabCompromisedError,
  ParseError,
  parsers,
  type WindowsEvent,
} from '../../lab/index.js';
import type { Expect, Keeps, Narrative, TestVm } from '../capabilities.js';

export interface ReadEvent {
  raw: GuestEvent;
  parsed: WindowsEvent;
}

/** An event as Get-WinEvent | ConvertTo-Json shows it: the shape the event parser reads. */
function asWinEventJson(e: GuestEvent) {
  return {
    Id: e.id,
    ProviderName: e.provider,
    LevelDisplayName: e.level,
    LogName: e.logName,
    TimeCreated: e.timeCreated,
    Message: e.message,
    Properties: e.properties.map((value) => ({ Value: value })),
    ...(e.binaryHex === null ? {} : { Binary: e.binaryHex }),
  };
}

/** What the event log uses: the VM (Get-WinEvent), evidence, the narrative and expectations. */
export interface EventLogNeeds extends Pick<TestVm, 'vm'>, Keeps {
  readonly narrative: Narrative;
  readonly expect: Expect;
}

export class EventLog {
  /** The newest event time of a log before the scenario acted, by log and ids ("System:129,153"). */
  private readonly marks = new Map<string, string | null>();

  constructor(private readonly my: EventLogNeeds) {}

  /** Remembers the newest event of these ids, so that `since` returns only what comes after. */
  async mark(logName: 'System' | 'Application', ids: number[]): Promise<void> {
    const key = `${logName}:${ids.join(',')}`;
    if (this.marks.has(key)) return;
    const [newest] = await this.my.vm.guest.events({ logName, ids, maxEvents: 1 });
    this.marks.set(key, newest?.timeCreated ?? null);
  }

  /** The events of these ids logged after `mark` (all of them when nothing was marked). */
  async since(logName: 'System' | 'Application', ids: number[]): Promise<ReadEvent[]> {
    const mark = this.marks.get(`${logName}:${ids.join(',')}`) ?? null;
    return (await this.read(logName, ids)).filter((e) => mark === null || e.raw.timeCreated > mark);
  }

  /** The Application log has a VSS error 8193 for this writer whose message says `says`. */
  async expectVssError(writer: string, says: string): Promise<void> {
    const events = await this.since('Application', [8193]);
    const vss = events.filter((e) => e.parsed.decoded?.type === 'vss');
    const match = vss.find(
      (e) =>
        e.parsed.decoded?.type === 'vss' &&
        e.parsed.decoded.writerName?.toLowerCase() === writer.toLowerCase() &&
        e.parsed.message.toLowerCase().includes(says.toLowerCase()),
    );
    this.my.expect.that(match !== undefined, {
      expected: `the Application log of ${this.my.vm.describe()} to have a VSS error for the ${writer} saying "${says}"`,
      because: `${this.my.narrative.lastAction ?? 'the writer failed'}, and VSS logs 8193 when a writer fails to expose its metadata`,
      actual:
        vss.length === 0
          ? 'it has no VSS error 8193'
          : `its VSS errors are for ${vss.map((e) => (e.parsed.decoded?.type === 'vss' ? (e.parsed.decoded.writerName ?? '?') : '?')).join(', ')} and say ${vss.map((e) => JSON.stringify(e.parsed.message.slice(0, 80))).join('; ')}`,
    });
  }

  /** The newest events of a log with these ids (newest first), parsed; kept as evidence. */
  async read(logName: 'System' | 'Application', ids: number[], maxEvents = 50): Promise<ReadEvent[]> {
    const events = await this.my.vm.guest.events({ logName, ids, maxEvents });
    if (events.length === 0) return [];
    const json = JSON.stringify(events.map(asWinEventJson), null, 2);
    let parsed: WindowsEvent[];
    try {
      parsed = parsers.event.parse(json).events;
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      throw new LabCompromisedError(
        `The ${logName} log of ${this.my.vm.describe()} returned events driverlab cannot read: ${error.message}`,
        { cause: error },
      );
    }
    await this.my.evidence.attach(`${logName} log events ${ids.join(', ')}`, json, parsed);
    return events.map((raw, i) => ({ raw, parsed: parsed[i] as WindowsEvent }));
  }
}
