/**
 * The simulated BCD store and `bcdedit`: /enum, /dbgsettings, /set, /deletevalue, /copy, /debug,
 * /default, /bootsequence. Changes are written at once (bcdedit shows them) and take effect at
 * the next boot, when the VM reads the boot entry's debug settings (bootDebugSettings).
 *
 * Output follows the samples in the domain brief §3.1: entries under a heading and a dashed line,
 * each element's name left-justified in a 24-character field; errors on stdout with exit code 1.
 */
import { KDNET_KEY, newKdnetKey, randomGuid, stableGuid } from './ids.js';
import { fail, ok, type ToolResult, text } from './tool.js';

export interface BcdEntry {
  /** GUID without braces. */
  guid: string;
  /** The well-known name ({bootmgr}, {dbgsettings}, …) without braces, when it has one. */
  wellKnown?: string;
  heading: string;
  /** Elements in display order: [name, values]; a multi-valued element has several values. */
  elements: [string, string[]][];
}

export interface BcdState {
  entries: BcdEntry[];
  /** The GUID of the loader the running OS booted from ({current}). */
  current: string;
  /** A one-time boot entry set with /bootsequence, consumed by the next boot. */
  bootSequence: string | null;
}

/** What the boot reads from the BCD: the debug transport the kernel opens, as of that boot. */
export interface BootDebugSettings {
  debug: boolean;
  debugtype: 'Local' | 'NET' | 'Serial' | '1394' | 'USB';
  hostip: string | null;
  port: number | null;
  key: string | null;
  busparams: string | null;
  dhcp: boolean;
  debugport: number | null;
  baudrate: number | null;
  /** loadoptions of the boot entry (NO_KDNIC …). */
  loadoptions: string | null;
  /** The boot entry's description, for the record. */
  entry: string;
}

const RUN_HELP = 'Run "bcdedit /?" for command line assistance.';
const SUCCESS = 'The operation completed successfully.';

function bcdError(...lines: string[]): ToolResult {
  return fail(text(...lines));
}

const invalidSwitch = (s: string) =>
  bcdError(`Invalid command line switch: ${s}`, RUN_HELP, 'The parameter is incorrect.');
const unknownCommand = () => bcdError('An unknown command was specified.', RUN_HELP);
const badInteger = () =>
  bcdError('The integer data is not valid as specified.', RUN_HELP, 'The parameter is incorrect.');
const notApplicable = () =>
  bcdError(
    'The element data type specified is not recognized, or does not apply to the',
    'specified entry.',
    RUN_HELP,
    'Element not found.',
  );
const noSuchEntry = () =>
  bcdError(
    'An error occurred while attempting to reference the specified entry.',
    'The system cannot find the file specified.',
  );
const badIdentifier = () =>
  bcdError('The specified entry identifier is invalid.', RUN_HELP, 'The parameter is incorrect.');
const badParameter = () => bcdError('The parameter is incorrect.', RUN_HELP);

const LOADER_ORDER = [
  'identifier',
  'device',
  'path',
  'description',
  'locale',
  'inherit',
  'loadoptions',
  'recoverysequence',
  'displaymessageoverride',
  'integrityservices',
  'recoveryenabled',
  'bootdebug',
  'testsigning',
  'nointegritychecks',
  'isolatedcontext',
  'flightsigning',
  'allowedinmemorysettings',
  'osdevice',
  'systemroot',
  'kernel',
  'hal',
  'resumeobject',
  'nx',
  'bootmenupolicy',
  'hypervisorlaunchtype',
  'debug',
];
const DBG_ORDER = [
  'busparams',
  'key',
  'debugtype',
  'debugport',
  'baudrate',
  'channel',
  'targetname',
  'hostip',
  'port',
  'dhcp',
  'debugstart',
  'noumex',
];

const LOADER_BOOLEANS = new Set([
  'debug',
  'bootdebug',
  'testsigning',
  'nointegritychecks',
  'recoveryenabled',
  'isolatedcontext',
  'flightsigning',
]);
const LOADER_STRINGS = new Set([
  'description',
  'loadoptions',
  'kernel',
  'hal',
  'locale',
  'bootmenupolicy',
  'nx',
  'hypervisorlaunchtype',
  'path',
  'systemroot',
]);
const DBG_ELEMENTS = new Set(DBG_ORDER);

/** The BCD store of a fresh Generation 2 Windows VM (GUIDs stable per VM). */
export function baselineBcd(vmName: string, product: string): BcdState {
  const g = (what: string) => stableGuid(`${vmName}/bcd/${what}`);
  const current = g('current');
  const resume = g('resume');
  return {
    current,
    bootSequence: null,
    entries: [
      {
        guid: '9dea862c-5cdd-4e70-acc1-f32b344d4795',
        wellKnown: 'bootmgr',
        heading: 'Windows Boot Manager',
        elements: [
          ['device', ['partition=\\Device\\HarddiskVolume1']],
          ['path', ['\\EFI\\Microsoft\\Boot\\bootmgfw.efi']],
          ['description', ['Windows Boot Manager']],
          ['locale', ['en-US']],
          ['inherit', ['{globalsettings}']],
          ['default', [`{${current}}`]],
          ['resumeobject', [`{${resume}}`]],
          ['displayorder', [`{${current}}`]],
          ['toolsdisplayorder', ['{memdiag}']],
          ['timeout', ['30']],
        ],
      },
      {
        guid: current,
        heading: 'Windows Boot Loader',
        elements: [
          ['device', ['partition=C:']],
          ['path', ['\\Windows\\system32\\winload.efi']],
          ['description', [product]],
          ['locale', ['en-US']],
          ['inherit', ['{bootloadersettings}']],
          ['recoverysequence', [`{${g('recovery')}}`]],
          ['displaymessageoverride', ['Recovery']],
          ['recoveryenabled', ['Yes']],
          ['isolatedcontext', ['Yes']],
          ['allowedinmemorysettings', ['0x15000075']],
          ['osdevice', ['partition=C:']],
          ['systemroot', ['\\Windows']],
          ['resumeobject', [`{${resume}}`]],
          ['nx', ['OptIn']],
          ['bootmenupolicy', ['Standard']],
        ],
      },
      {
        guid: 'b2721d73-1db4-4c62-bf78-c548a880142d',
        wellKnown: 'memdiag',
        heading: 'Windows Memory Tester',
        elements: [
          ['device', ['partition=\\Device\\HarddiskVolume1']],
          ['path', ['\\EFI\\Microsoft\\Boot\\memtest.efi']],
          ['description', ['Windows Memory Diagnostic']],
          ['locale', ['en-US']],
          ['inherit', ['{globalsettings}']],
          ['badmemoryaccess', ['Yes']],
        ],
      },
      {
        guid: '0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9',
        wellKnown: 'emssettings',
        heading: 'EMS Settings',
        elements: [['bootems', ['No']]],
      },
      {
        guid: '4636856e-540f-4170-a130-a84776f4c654',
        wellKnown: 'dbgsettings',
        heading: 'Debugger Settings',
        // A fresh install: debugtype Local, debugstart Active, noumex Yes (domain brief §3.1).
        elements: [
          ['debugtype', ['Local']],
          ['debugstart', ['Active']],
          ['noumex', ['Yes']],
        ],
      },
      {
        guid: '5189b25c-5558-4bf2-bca4-289b11bd29e2',
        wellKnown: 'badmemory',
        heading: 'RAM Defects',
        elements: [],
      },
      {
        guid: '7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e',
        wellKnown: 'globalsettings',
        heading: 'Global Settings',
        elements: [['inherit', ['{dbgsettings}', '{emssettings}', '{badmemory}']]],
      },
      {
        guid: '6efb52bf-1766-41db-a6b3-0ee5eff72bd7',
        wellKnown: 'bootloadersettings',
        heading: 'Boot Loader Settings',
        elements: [['inherit', ['{globalsettings}', '{hypervisorsettings}']]],
      },
      {
        guid: '7ff607e0-4395-11db-b0de-0800200c9a66',
        wellKnown: 'hypervisorsettings',
        heading: 'Hypervisor Settings',
        elements: [
          ['hypervisordebugtype', ['Serial']],
          ['hypervisordebugport', ['1']],
          ['hypervisorbaudrate', ['115200']],
        ],
      },
    ],
  };
}

function value(entry: BcdEntry, name: string): string | undefined {
  return entry.elements.find(([n]) => n === name)?.[1][0];
}

function setElement(entry: BcdEntry, name: string, values: string[], order: string[]): void {
  const existing = entry.elements.find(([n]) => n === name);
  if (existing) {
    existing[1] = values;
    return;
  }
  const rank = (n: string) => {
    const i = order.indexOf(n);
    return i < 0 ? order.length : i;
  };
  const at = entry.elements.findIndex(([n]) => rank(n) > rank(name));
  if (at < 0) entry.elements.push([name, values]);
  else entry.elements.splice(at, 0, [name, values]);
}

function deleteElement(entry: BcdEntry, name: string): boolean {
  const at = entry.elements.findIndex(([n]) => n === name);
  if (at < 0) return false;
  entry.elements.splice(at, 1);
  return true;
}

function yesNo(v: string): string | undefined {
  const lower = v.toLowerCase();
  if (['on', 'yes', 'true', '1'].includes(lower)) return 'Yes';
  if (['off', 'no', 'false', '0'].includes(lower)) return 'No';
  return undefined;
}

export class Bcd {
  constructor(readonly state: BcdState) {}

  private wellKnown(name: string): BcdEntry | undefined {
    return this.state.entries.find((e) => e.wellKnown === name);
  }

  private get bootmgr(): BcdEntry {
    return this.wellKnown('bootmgr') as BcdEntry;
  }

  get dbgsettings(): BcdEntry {
    return this.wellKnown('dbgsettings') as BcdEntry;
  }

  private defaultGuid(): string | undefined {
    return value(this.bootmgr, 'default')?.replace(/[{}]/g, '');
  }

  /** An entry by identifier as bcdedit takes it: {current}, {default}, {dbgsettings}, {GUID}. */
  resolve(id: string): BcdEntry | 'invalid' | 'missing' {
    const m = /^\{([^}]+)\}$/.exec(id.trim());
    if (!m) return 'invalid';
    const name = (m[1] as string).toLowerCase();
    if (name === 'current') return this.byGuid(this.state.current) ?? 'missing';
    if (name === 'default') return this.byGuid(this.defaultGuid() ?? '') ?? 'missing';
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(name))
      return this.byGuid(name) ?? 'missing';
    return this.wellKnown(name) ?? 'invalid';
  }

  private byGuid(guid: string): BcdEntry | undefined {
    return this.state.entries.find((e) => e.guid === guid.toLowerCase());
  }

  private displayId(guid: string): string {
    const entry = this.byGuid(guid);
    if (guid === this.state.current) return '{current}';
    if (guid === this.defaultGuid()) return '{default}';
    return entry?.wellKnown ? `{${entry.wellKnown}}` : `{${guid}}`;
  }

  /** A value in an element, with GUIDs shown as bcdedit shows them ({current}, {default}). */
  private displayValue(v: string): string {
    const m = /^\{([0-9a-f-]{36})\}$/.exec(v);
    return m ? this.displayId(m[1] as string) : v;
  }

  renderEntry(entry: BcdEntry, withIdentifier = true): string[] {
    const lines: string[] = [];
    const row = (name: string, values: string[]) => {
      values.forEach((v, i) => {
        lines.push(`${(i === 0 ? name : '').padEnd(24)}${this.displayValue(v)}`);
      });
    };
    if (withIdentifier) row('identifier', [`{${entry.guid}}`]);
    for (const [name, values] of entry.elements) row(name, values);
    return lines;
  }

  private renderEntries(entries: BcdEntry[]): string {
    const out: string[] = [''];
    entries.forEach((e, i) => {
      if (i > 0) out.push('');
      out.push(e.heading, '-'.repeat(e.heading.length), ...this.renderEntry(e));
    });
    return text(...out);
  }

  /** `bcdedit [/enum [ACTIVE|ALL|BOOTMGR|OSLOADER|{id}]]`. */
  enumerate(what: string | undefined): ToolResult {
    const loaders = this.state.entries.filter((e) => e.heading === 'Windows Boot Loader');
    const key = (what ?? 'active').toLowerCase();
    if (key === 'active') {
      const order = (this.bootmgr.elements.find(([n]) => n === 'displayorder')?.[1] ?? [])
        .map((v) => this.byGuid(v.replace(/[{}]/g, '')))
        .filter((e): e is BcdEntry => e !== undefined);
      return ok(this.renderEntries([this.bootmgr, ...order]));
    }
    if (key === 'all') return ok(this.renderEntries(this.state.entries));
    if (key === 'bootmgr') return ok(this.renderEntries([this.bootmgr]));
    if (key === 'osloader') return ok(this.renderEntries(loaders));
    const entry = this.resolve(what ?? '');
    if (entry === 'invalid')
      return bcdError('The specified entry type is invalid.', RUN_HELP, 'The parameter is incorrect.');
    if (entry === 'missing') return noSuchEntry();
    return ok(this.renderEntries([entry]));
  }

  /** Runs `bcdedit <args>` against the store. */
  run(args: readonly string[]): ToolResult {
    const [command, ...rest] = args;
    if (command === undefined) return this.enumerate(undefined);
    if (!/^[/-]/.test(command)) return invalidSwitch(command);
    switch (command.slice(1).toLowerCase()) {
      case 'enum':
        return rest.length > 1 ? badParameter() : this.enumerate(rest[0]);
      case 'v':
        return this.enumerate(rest[0]);
      case 'dbgsettings':
        return this.dbgsettings_(rest);
      case 'set':
        return this.set(rest);
      case 'deletevalue':
        return this.deleteValue(rest);
      case 'copy':
        return this.copy(rest);
      case 'debug':
        return this.debug(rest);
      case 'default':
        return this.setBootmgrPointer('default', rest);
      case 'bootsequence':
        return this.setBootmgrPointer('bootsequence', rest);
      case '?':
      case 'help':
        return ok(
          text(
            'BCDEDIT - Boot Configuration Data Store Editor',
            '',
            'The Bcdedit.exe command-line tool modifies the boot configuration data store.',
          ),
        );
      default:
        return unknownCommand();
    }
  }

  private dbgsettings_(args: readonly string[]): ToolResult {
    if (args.length === 0 || (args.length === 1 && args[0]?.toLowerCase() === 'show')) {
      return ok(text(...this.renderEntry(this.dbgsettings, false), SUCCESS));
    }
    const [type, ...options] = args;
    const kind = (type as string).toUpperCase();
    const fields = new Map<string, string>();
    let start: string | undefined;
    let noumex = false;
    let nodhcp = false;
    let newkey = false;
    for (let i = 0; i < options.length; i += 1) {
      const option = options[i] as string;
      const lower = option.toLowerCase();
      if (lower === '/start') {
        const policy = (options[i + 1] ?? '').toUpperCase();
        if (!['ACTIVE', 'AUTOENABLE', 'DISABLE'].includes(policy)) return badParameter();
        start = policy.charAt(0) + policy.slice(1).toLowerCase();
        i += 1;
      } else if (lower === '/noumex') noumex = true;
      else if (lower === 'nodhcp') nodhcp = true;
      else if (lower === 'newkey') newkey = true;
      else {
        const m = /^([a-z]+):(.*)$/i.exec(option);
        if (!m) return badParameter();
        fields.set((m[1] as string).toLowerCase(), m[2] as string);
      }
    }
    const entry = this.dbgsettings;
    const previous = new Map(entry.elements.map(([n, v]) => [n, v[0] as string]));
    const allowed: Record<string, string[]> = {
      NET: ['hostip', 'port', 'key', 'busparams'],
      SERIAL: ['debugport', 'baudrate'],
      '1394': ['channel'],
      USB: ['targetname'],
    };
    const names = allowed[kind];
    if (!names) return badParameter();
    for (const f of fields.keys()) if (!names.includes(f)) return badParameter();
    const next: [string, string[]][] = [];
    let printedKey: string | undefined;
    if (kind === 'NET') {
      const hostip = fields.get('hostip');
      const port = fields.get('port');
      if (hostip === undefined || port === undefined) return badParameter();
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(hostip)) return badParameter();
      if (!/^\d+$/.test(port)) return badInteger();
      const key = fields.get('key');
      if (key !== undefined && newkey) return badParameter();
      if (key !== undefined && !KDNET_KEY.test(key)) return badParameter();
      const finalKey = key ?? (newkey ? undefined : previous.get('key')) ?? newKdnetKey();
      if (key === undefined) printedKey = finalKey;
      const busparams =
        fields.get('busparams') ??
        (previous.get('debugtype') === 'NET' ? previous.get('busparams') : undefined);
      if (busparams !== undefined) {
        if (!/^\d+\.\d+\.\d+$/.test(busparams)) return badParameter();
        next.push(['busparams', [busparams]]);
      }
      next.push(
        ['key', [finalKey]],
        ['debugtype', ['NET']],
        ['hostip', [hostip]],
        ['port', [String(Number(port))]],
        ['dhcp', [nodhcp ? 'No' : 'Yes']],
      );
    } else if (kind === 'SERIAL') {
      const port = fields.get('debugport') ?? '1';
      const baud = fields.get('baudrate') ?? '115200';
      if (!/^\d+$/.test(port) || !/^\d+$/.test(baud)) return badInteger();
      if (!['9600', '19200', '38400', '57600', '115200'].includes(baud)) return badParameter();
      next.push(['debugtype', ['Serial']], ['debugport', [port]], ['baudrate', [baud]]);
    } else if (kind === '1394') {
      next.push(['debugtype', ['1394']], ['channel', [fields.get('channel') ?? '0']]);
    } else {
      next.push(['debugtype', ['USB']], ['targetname', [fields.get('targetname') ?? 'DEBUGGING']]);
    }
    if (start) next.push(['debugstart', [start]]);
    if (noumex) next.push(['noumex', ['Yes']]);
    entry.elements = next;
    // With no KEY given bcdedit displays the key (generated or kept); the success line is not
    // printed after it in the captured English session (domain brief §3.1, U12).
    return ok(printedKey !== undefined ? text(`Key=${printedKey}`) : text(SUCCESS));
  }

  private set(args: readonly string[]): ToolResult {
    let [id, name, ...values] = args;
    if (id === undefined) return badParameter();
    if (!id.startsWith('{')) {
      // /set <element> <value> applies to {current}.
      values = name === undefined ? [] : [name, ...values];
      name = id;
      id = '{current}';
    }
    if (name === undefined || values.length === 0) return badParameter();
    const entry = this.resolve(id);
    if (entry === 'invalid') return badIdentifier();
    if (entry === 'missing') return noSuchEntry();
    const element = name.toLowerCase();
    const v = values.join(' ');
    if (entry.wellKnown === 'dbgsettings') {
      if (!DBG_ELEMENTS.has(element)) return notApplicable();
      if (element === 'busparams' && !/^\d+\.\d+\.\d+$/.test(v)) return badParameter();
      if (['port', 'debugport', 'baudrate', 'channel'].includes(element) && !/^\d+$/.test(v))
        return badInteger();
      if (element === 'key' && !KDNET_KEY.test(v)) return badParameter();
      if (['dhcp', 'noumex'].includes(element)) {
        const b = yesNo(v);
        if (!b) return badParameter();
        setElement(entry, element, [b], DBG_ORDER);
      } else {
        setElement(
          entry,
          element,
          [element === 'debugtype' ? (v.toUpperCase() === 'NET' ? 'NET' : v) : v],
          DBG_ORDER,
        );
      }
      return ok(text(SUCCESS));
    }
    if (entry.heading !== 'Windows Boot Loader') return notApplicable();
    if (LOADER_BOOLEANS.has(element)) {
      const b = yesNo(v);
      if (!b) return badParameter();
      setElement(entry, element, [b], LOADER_ORDER);
    } else if (LOADER_STRINGS.has(element)) {
      setElement(entry, element, [v], LOADER_ORDER);
    } else {
      return notApplicable();
    }
    return ok(text(SUCCESS));
  }

  private deleteValue(args: readonly string[]): ToolResult {
    let [id, name] = args;
    if (id === undefined) return badParameter();
    if (!id.startsWith('{')) {
      name = id;
      id = '{current}';
    }
    if (name === undefined || args.length > 2) return badParameter();
    const entry = this.resolve(id);
    if (entry === 'invalid') return badIdentifier();
    if (entry === 'missing') return noSuchEntry();
    if (!deleteElement(entry, name.toLowerCase())) {
      return bcdError(
        'An error occurred while attempting to delete the specified data element.',
        'Element not found.',
      );
    }
    return ok(text(SUCCESS));
  }

  private copy(args: readonly string[]): ToolResult {
    const [id, d, description, ...extra] = args;
    if (id === undefined || d?.toLowerCase() !== '/d' || description === undefined || extra.length > 0)
      return badParameter();
    const source = this.resolve(id);
    if (source === 'invalid') return badIdentifier();
    if (source === 'missing') return noSuchEntry();
    if (source.wellKnown) return notApplicable();
    const guid = randomGuid();
    const copy: BcdEntry = structuredClone(source);
    copy.guid = guid;
    setElement(copy, 'description', [description], LOADER_ORDER);
    this.state.entries.splice(this.state.entries.indexOf(source) + 1, 0, copy);
    const order = this.bootmgr.elements.find(([n]) => n === 'displayorder');
    if (order) order[1].push(`{${guid}}`);
    return ok(text(`The entry was successfully copied to {${guid}}.`));
  }

  private debug(args: readonly string[]): ToolResult {
    const [first, second, ...extra] = args;
    if (first === undefined || extra.length > 0) return badParameter();
    const id = second === undefined ? '{current}' : first;
    const onOff = second === undefined ? first : second;
    const b = yesNo(onOff);
    if (!b || !['on', 'off'].includes(onOff.toLowerCase())) return badParameter();
    const entry = this.resolve(id);
    if (entry === 'invalid') return badIdentifier();
    if (entry === 'missing') return noSuchEntry();
    if (entry.heading !== 'Windows Boot Loader') return notApplicable();
    setElement(entry, 'debug', [b], LOADER_ORDER);
    return ok(text(SUCCESS));
  }

  private setBootmgrPointer(name: 'default' | 'bootsequence', args: readonly string[]): ToolResult {
    const [id, ...extra] = args;
    if (id === undefined || extra.length > 0) return badParameter();
    const entry = this.resolve(id);
    if (entry === 'invalid') return badIdentifier();
    if (entry === 'missing') return noSuchEntry();
    if (entry.heading !== 'Windows Boot Loader') return notApplicable();
    if (name === 'default') setElement(this.bootmgr, 'default', [`{${entry.guid}}`], []);
    else this.state.bootSequence = entry.guid;
    return ok(text(SUCCESS));
  }

  /**
   * A boot: picks the entry (a pending /bootsequence, else the default), makes it {current}, and
   * returns the debug settings this boot uses.
   */
  boot(): BootDebugSettings {
    const guid = this.state.bootSequence ?? this.defaultGuid() ?? this.state.current;
    this.state.bootSequence = null;
    if (this.byGuid(guid)) this.state.current = guid;
    const entry = this.byGuid(this.state.current) as BcdEntry;
    const dbg = this.dbgsettings;
    const get = (n: string) => value(dbg, n) ?? null;
    const num = (n: string) => {
      const v = get(n);
      return v !== null && /^\d+$/.test(v) ? Number(v) : null;
    };
    const type = (get('debugtype') ?? 'Local').toUpperCase();
    const debugtype: BootDebugSettings['debugtype'] =
      type === 'NET'
        ? 'NET'
        : type === 'SERIAL'
          ? 'Serial'
          : type === '1394'
            ? '1394'
            : type === 'USB'
              ? 'USB'
              : 'Local';
    return {
      debug: value(entry, 'debug') === 'Yes',
      debugtype,
      hostip: get('hostip'),
      port: num('port'),
      key: get('key'),
      busparams: get('busparams'),
      dhcp: get('dhcp') !== 'No',
      debugport: num('debugport'),
      baudrate: num('baudrate'),
      loadoptions: value(entry, 'loadoptions') ?? null,
      entry: value(entry, 'description') ?? '',
    };
  }
}
