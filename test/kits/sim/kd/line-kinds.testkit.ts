/**
 * What kind of line each line of a kd console session is — the vocabulary a reader of kd output
 * uses ("the header", "a path validation row", "Kernel base", "a `!analyze` key") — so that a
 * simulated session can be compared with a real one by its structure, line kinds in order, while
 * every address, date and count differs.
 */

/** Kinds, tried in order; the first whose pattern matches a line names it. */
const KINDS: readonly (readonly [string, RegExp])[] = [
  ['blank', /^\s*$/],
  [
    'gallery',
    /^(\*{13} (Preparing|Waiting for) .*Debugger Extensions Gallery|>{13} |\s+(ExtensionRepository|UseExperimental|AllowNuget|NonInteractive|AllowParallel)\w* : |\s+-- Configuring repositories|\s+----> Repository : )/,
  ],
  ['debugger-version', /^Microsoft \(R\) Windows Debugger Version \d+\.\d+\.\d+\.\d+ (AMD64|X86|ARM64)$/],
  ['copyright', /^Copyright \(c\) Microsoft Corporation\. All rights reserved\.$/],
  ['using-net', /^Using NET for debugging$/],
  ['winsock', /^Opened WinSock 2\.0$/],
  ['ipv4-only', /^Using IPv4 only\.$/],
  ['waiting', /^Waiting to reconnect\.\.\.$/],
  ['connected-peer', /^Connected to target [\d.]+ on port \d+ on local IP [\d.]+\.?$/],
  ['kdtargetmac', /^You can get the target MAC address by running \.kdtargetmac command\.$/],
  ['connected-os', /^Connected to Windows [\w. ]+ \d+ x(64|86) target at \(.+\), ptr64 (TRUE|FALSE)$/],
  ['established', /^Kernel Debugger connection established\.( {2}\(Initial Breakpoint requested\))?$/],
  ['path-summary', /^\*{13} Path validation summary \*{14}$/],
  ['path-header', /^Response {25}Time \(ms\) {5}Location$/],
  ['path-row', /^(Deferred|OK) {2,}\S/],
  ['symbol-path', /^Symbol search path is: /],
  ['executable-path', /^Executable search path is: ?$/],
  [
    'kernel-version',
    /^Windows [\w. ]+ Kernel Version \d+( \(Service Pack \d\))? (MP|UP) \(\d+ procs\) (Free|Checked) x(64|86)$/,
  ],
  ['product', /^Product: \w+, suite: [\w ]+$/],
  ['build-lab', /^(Edition build lab|Built by): \d+\.\d+\.\w+\.\w+\.\d{6}-\d{4}$/],
  ['machine-name', /^Machine Name:/],
  ['kernel-base', /^Kernel base = 0x[0-9a-f]{8}`[0-9a-f]{8} PsLoadedModuleList = 0x[0-9a-f]{8}`[0-9a-f]{8}$/],
  ['session-time', /^Debug session time: /],
  ['uptime', /^System Uptime: \d+ days \d+:\d\d:\d\d\.\d{3}$/],
  ['kdtarget-refresh', /^KDTARGET: Refreshing KD connection$/],
  ['shutdown', /^Shutdown occurred at \(.+\)\.\.\.unloading all symbol tables\.$/],
  ['loading-dump', /^Loading Dump File \[.+\]$/],
  ['dump-kind', /^(Mini Kernel Dump File|Kernel Bitmap Dump File|Kernel Complete Dump File): /],
  ['loading-kernel-symbols', /^Loading Kernel Symbols$/],
  ['loading-user-symbols', /^Loading User Symbols$/],
  ['loading-unloaded', /^Loading unloaded module list$/],
  ['dots', /^\.+$/],
  ['analysis-hint', /^For analysis of this file, run !analyze -v$/],
  ['fatal-error', /^\*\*\* Fatal System Error: 0x[0-9a-f]{8}$/],
  ['fatal-args', /^ {23}\(0x[0-9A-F]{16}(,0x[0-9A-F]{16}){3}\)$/],
  ['break-exception', /^Break instruction exception - code 80000003 \(first chance\)$/],
  ['fatal-occurred', /^A fatal system error has occurred\.$/],
  ['first-try', /^Debugger entered on first try; Bugcheck callbacks have not been invoked\.$/],
  ['symbol-label', /^[\w]+!\w+(\+0x[0-9a-f]+)?:$/],
  ['disassembly', /^([0-9a-f]{4}:)?[0-9a-f]{8}`[0-9a-f]{8} [0-9a-f]+ +\w+/],
  ['analysis-box', /^\*( {77})?\*?$|^\*{79}$|^\* {24}Bugcheck Analysis {36}\*$/],
  ['debugging-details', /^Debugging Details:$/],
  ['dashes', /^-{2,}$/],
  ['argument', /^Arg[1-4]: [0-9a-f]{16}/],
  ['key', /^ {4}Key {2}: \S+$/],
  ['value', /^ {4}Value: /],
  ['stack-row', /^[0-9a-f]{8}`[0-9a-f]{8} [0-9a-f]{8}`[0-9a-f]{8} +: /],
  ['followup', /^Followup: +\w+$/],
  ['field', /^[A-Z][A-Z0-9_]+: ?/],
];

/** The kind of one line of kd output ('other' when no kind describes it). */
export function lineKind(line: string): string {
  for (const [kind, pattern] of KINDS) if (pattern.test(line)) return kind;
  return 'other';
}

/**
 * The kinds of a text's lines in order, each run of one kind counted once (a real session's symbol
 * load prints four lines of dots where another prints two; the gallery box has as many lines as
 * repositories). `keep` picks what is compared.
 */
export function structureOf(text: string, keep: (kind: string) => boolean = () => true): string[] {
  const kinds = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n').map(lineKind).filter(keep);
  return kinds.filter((kind, i) => i === 0 || kinds[i - 1] !== kind);
}

/** The `NAME:` fields of an `!analyze -v` in order (BUGCHECK_CODE, FILE_IN_CAB, …). */
export function analyzeFields(text: string): string[] {
  return [...text.replace(/\r\n/g, '\n').matchAll(/^([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1] as string);
}

/** The `Key  :` names of an `!analyze -v` in order. */
export function analyzeKeys(text: string): string[] {
  return [...text.replace(/\r\n/g, '\n').matchAll(/^ {4}Key {2}: (\S+)$/gm)].map((m) => m[1] as string);
}
