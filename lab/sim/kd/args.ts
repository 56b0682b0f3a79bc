/**
 * The simulated debugger's command line: the same options as kd.exe for what driverlab uses
 * (domain brief §2.1–2.2), the other documented kd options accepted and ignored, anything else
 * refused with a message (kd's own wording for that case is not documented).
 */

export type KdConnection =
  | { kind: 'net'; port: number; key: string; target: string | null }
  | { kind: 'pipe'; port: string; resets: number | null; reconnect: boolean }
  | { kind: 'dump'; path: string };

export interface KdArguments {
  connection: KdConnection;
  /** -y */
  symbols: string | null;
  /** -logo / -loga (and the Unicode forms, written as UTF-8 here). */
  log: { path: string; append: boolean } | null;
  /** -c: run at the first prompt. */
  initialCommand: string | null;
  /** -bonc: break in as soon as the session begins. */
  breakOnConnect: boolean;
  /** Lines kd prints about accepted but unusual options. */
  notes: string[];
}

export type ParsedArguments = { ok: true; args: KdArguments } | { ok: false; message: string };

/** kd options that take a value (documented in kd-command-line-options). */
const WITH_VALUE = new Set([
  'k',
  'y',
  'z',
  'logo',
  'loga',
  'logou',
  'logau',
  'c',
  'cf',
  'cfr',
  'i',
  'srcpath',
  't',
  'clines',
  'sflags',
  'zp',
  'ee',
  'kx',
  'a',
]);

/** Documented kd switches without a value; accepted, and ignored unless listed in parse(). */
const SWITCHES = new Set([
  'b',
  'bonc',
  'd',
  'x',
  'm',
  'myob',
  'lines',
  'n',
  'r',
  's',
  'v',
  'failinc',
  'noio',
  'noshell',
  'secure',
  'sdce',
  'ses',
  'sicv',
  'sins',
  'snc',
  'snul',
  'sup',
  'kqm',
  'version',
]);

const USAGE =
  'usage: kd [-y SymbolPath] [-logo LogFile] [-c "command"] [-bonc] ' +
  '(-k net:port=Port,key=Key | -k com:pipe,port=\\\\.\\pipe\\Name[,resets=0][,reconnect] | -z DumpFile)';

/** Parses kd's arguments (as the process received them, already split). */
export function parseKdArguments(argv: readonly string[]): ParsedArguments {
  let connection: KdConnection | null = null;
  let symbols: string | null = null;
  let log: KdArguments['log'] = null;
  let initialCommand: string | null = null;
  let breakOnConnect = false;
  const notes: string[] = [];

  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] ?? '';
    if (!/^[-/]/.test(token)) return { ok: false, message: `kd: unexpected argument '${token}'; ${USAGE}` };
    const option = token.slice(1).toLowerCase();
    if (option === 'remote' || option === 'server') {
      return { ok: false, message: `kd: -${option} is not available in the simulated debugger; ${USAGE}` };
    }
    if (option === 'kl') {
      return { ok: false, message: `kd: local kernel debugging (-kl) is not available here; ${USAGE}` };
    }
    if (WITH_VALUE.has(option)) {
      const value = argv[i + 1];
      if (value === undefined) return { ok: false, message: `kd: ${token} needs a value; ${USAGE}` };
      i += 1;
      switch (option) {
        case 'k': {
          const parsed = parseConnectString(value);
          if ('message' in parsed) return { ok: false, message: parsed.message };
          connection = parsed;
          break;
        }
        case 'z':
          connection = { kind: 'dump', path: value };
          break;
        case 'y':
          symbols = value;
          break;
        case 'logo':
        case 'logou':
          log = { path: value, append: false };
          break;
        case 'loga':
        case 'logau':
          log = { path: value, append: true };
          break;
        case 'c':
          initialCommand = value;
          break;
        case 'kx':
          return { ok: false, message: `kd: EXDI connections (-kx) are not available here; ${USAGE}` };
        default:
          break;
      }
      continue;
    }
    if (SWITCHES.has(option)) {
      if (option === 'bonc') breakOnConnect = true;
      if (option === 'b') notes.push('This option no longer supported.');
      continue;
    }
    return { ok: false, message: `kd: unknown option '${token}'; ${USAGE}` };
  }
  if (!connection)
    return { ok: false, message: `kd: no connection (-k) or dump file (-z) was given; ${USAGE}` };
  return { ok: true, args: { connection, symbols, log, initialCommand, breakOnConnect, notes } };
}

/** Parses the ConnectType of -k (domain brief §2.2). */
export function parseConnectString(text: string): KdConnection | { message: string } {
  const colon = text.indexOf(':');
  const transport = (colon < 0 ? text : text.slice(0, colon)).toLowerCase();
  const items = colon < 0 ? [] : text.slice(colon + 1).split(',');
  const settings = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) settings.set(item.trim().toLowerCase(), '');
    else settings.set(item.slice(0, eq).trim().toLowerCase(), item.slice(eq + 1).trim());
  }
  if (transport === 'net') {
    const portText = settings.get('port');
    const key = settings.get('key');
    if (!portText || !/^\d+$/.test(portText)) {
      return { message: `kd: -k net: needs port=<49152-65535>; ${USAGE}` };
    }
    const port = Number(portText);
    if (port < 49152 || port > 65535) {
      return { message: `kd: the KDNET port ${port} is outside 49152-65535; ${USAGE}` };
    }
    if (!key) return { message: `kd: -k net: needs key=<key>; ${USAGE}` };
    return { kind: 'net', port, key, target: settings.get('target') ?? null };
  }
  if (transport === 'com') {
    const port = settings.get('port');
    if (!settings.has('pipe')) {
      return {
        message: `kd: physical COM ports are not available here; use com:pipe,port=\\\\.\\pipe\\Name`,
      };
    }
    if (!port) return { message: `kd: -k com:pipe needs port=\\\\.\\pipe\\Name; ${USAGE}` };
    const resetsText = settings.get('resets');
    const resets = resetsText !== undefined && /^\d+$/.test(resetsText) ? Number(resetsText) : null;
    return { kind: 'pipe', port, resets, reconnect: settings.has('reconnect') };
  }
  return { message: `kd: the connection type '${transport}' is not available here; ${USAGE}` };
}
