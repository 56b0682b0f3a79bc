/**
 * What kd prints around the commands: its header, the connection banners, the shutdown and
 * lost-link texts, the dump banner. Formats follow the domain brief §2.6 and public KDNET session
 * captures (a Windows 10 19041 target reconnecting after a reboot shows, in order: "Shutdown occurred
 * at (…)...unloading all symbol tables.", the path validation summary, "Using NET for debugging",
 * "Opened WinSock 2.0", "Waiting to reconnect...", "Connected to target A on port P on local IP B.",
 * the .kdtargetmac hint, "Connected to Windows 10 19041 x64 target at (…), ptr64 TRUE",
 * "Kernel Debugger connection established.", the symbol path, "Windows 10 Kernel Version 19041 MP
 * (1 procs) Free x64", "Built by: …", "Machine Name:", "Kernel base = … PsLoadedModuleList = …",
 * "System Uptime: 0 days 0:00:02.169").
 */

import type { PeerAddress } from '../kdnet/host.js';
import { kdProductName, osVersion, servicePackOf } from '../kernel/os.js';
import type { TargetIdentity } from '../ports.js';

/** The debugger version the simulated kd claims; its header and !analyze -v keys are that version's. */
export const DEBUGGER_VERSION = '10.0.29617.1000';

/**
 * What a current kd prints before its header: the Debugger Extensions Gallery preparation, as a kd
 * 10.0.29617.1000 printed it in a public capture (lab/kd/replay/corpus/dump-whea-124-gallery.txt).
 */
const GALLERY = `************* Preparing the environment for Debugger Extensions Gallery repositories **************
   ExtensionRepository : Implicit
   UseExperimentalFeatureForNugetShare : true
   AllowNugetExeUpdate : true
   NonInteractiveNuget : true
   AllowNugetMSCredentialProviderInstall : true
   AllowParallelInitializationOfLocalRepositories : true

   -- Configuring repositories
      ----> Repository : LocalInstalled, Enabled: true
      ----> Repository : UserExtensions, Enabled: true

>>>>>>>>>>>>> Preparing the environment for Debugger Extensions Gallery repositories completed, duration 0.000 seconds

************* Waiting for Debugger Extensions Gallery to Initialize **************

>>>>>>>>>>>>> Waiting for Debugger Extensions Gallery to Initialize completed, duration 0.016 seconds
   ----> Repository : UserExtensions, Enabled: true, Packages count: 0
   ----> Repository : LocalInstalled, Enabled: true, Packages count: 46
`;

export function header(): string {
  return `${GALLERY}\nMicrosoft (R) Windows Debugger Version ${DEBUGGER_VERSION} AMD64\nCopyright (c) Microsoft Corporation. All rights reserved.\n\n`;
}

/** What a KDNET target prints when it re-initialises its link (KdRefreshDebuggerNotPresent). */
export function refreshText(): string {
  return 'KDTARGET: Refreshing KD connection\n';
}

/**
 * The line the first command after a KDNET refresh or a bug check starts with: kd reached the
 * target again (public captures: `.reload` and `!analyze -v` print it first).
 */
export function reconnectedLine(identity: TargetIdentity, now: Date): string {
  return `Connected to ${kdProductName(identity.build)} ${identity.build} ${identity.arch} target at (${kdDate(now)}), ptr64 TRUE\n`;
}

/**
 * A live bug check's text with kd's own hint before the breakpoint it shows, as a current kd
 * prints it (lab/kd/replay/corpus/live-bugcheck-0x50-win11-26100.txt).
 */
export function withAnalysisHint(text: string): string {
  const lines = text.split('\n');
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    if (/^\S+!\S+:$/.test(lines[i] ?? '')) {
      at = i;
      break;
    }
  }
  if (at < 0) return text;
  return [...lines.slice(0, at), 'For analysis of this file, run !analyze -v', ...lines.slice(at)].join('\n');
}

/** What kd prints when a command cannot be run: an extension it does not know, or a syntax error. */
export function commandFailure(command: string): string {
  const extension = /^!(?:[\w]+\.)?([\w]+)/.exec(command.trim());
  if (extension?.[1]) return `No export ${extension[1]} found\n`;
  return `       ^ Syntax error in '${command}'\n`;
}

/** A Node error code as the Win32 error kd would show ("0n2"). */
export function win32Error(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return '0n3';
    case 'EACCES':
    case 'EPERM':
    case 'EISDIR':
      return '0n5';
    default:
      return '0n31';
  }
}

/** "Mon Dec 29 22:30:50.424 2025 (UTC - 8:00)", kd's timestamp, in the local time zone. */
export function kdDate(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  // The day of the month is padded with a space as in C's asctime; captures only show two-digit days.
  return `${days[date.getDay()]} ${months[date.getMonth()]} ${String(date.getDate()).padStart(2, ' ')} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)} ${date.getFullYear()} (UTC ${sign} ${Math.floor(abs / 60)}:${pad(abs % 60)})`;
}

/** "0 days 0:00:02.169" */
export function kdUptime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const days = Math.floor(ms / 86_400_000);
  const h = Math.floor((ms % 86_400_000) / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${days} days ${h}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/**
 * The path validation summary kd prints for a symbol path: nothing when none is set, and nothing
 * for a bare `srv*` (the captures of kd with `srv*` alone show no summary — dump-whea-124-gallery,
 * kdnet-walkthrough-16299 — while `srv*;srv*c:\symbols*…` and `cache*…;srv*https://…` print one).
 */
export function pathValidationSummary(symbols: string | null): string {
  if (!symbols) return '';
  const elements = symbols.split(';').filter((e) => e !== '');
  if (elements.every((e) => /^srv\*$/i.test(e))) return '';
  const rows = elements
    .map(
      (element) => `${(/^(srv|symsrv|cache)\*/i.test(element) ? 'Deferred' : 'OK').padEnd(47)}${element}\n`,
    )
    .join('');
  return `************* Path validation summary **************\nResponse                         Time (ms)     Location\n${rows}`;
}

/** The symbol path lines: the validation summary and "Symbol search path is:". */
export function symbolPathLines(symbols: string | null): string {
  // Without a path kd also prints a box of warnings; only its first line is rendered here.
  if (!symbols) return 'Symbol search path is: *** Invalid ***\n';
  return `${pathValidationSummary(symbols)}Symbol search path is: ${symbols}\n`;
}

/** What kd prints once a target is connected, up to System Uptime. */
export function connectedBanner(options: {
  identity: TargetIdentity;
  peer: PeerAddress | null;
  symbols: string | null;
  now: Date;
  initialBreak: boolean;
}): string {
  const { identity, peer } = options;
  const lines: string[] = [];
  if (peer) {
    lines.push(`Connected to target ${peer.target} on port ${peer.port} on local IP ${peer.local}.`);
    lines.push('You can get the target MAC address by running .kdtargetmac command.');
  }
  lines.push(
    `Connected to ${kdProductName(identity.build)} ${identity.build} ${identity.arch} target at (${kdDate(options.now)}), ptr64 TRUE`,
  );
  lines.push(
    `Kernel Debugger connection established.${options.initialBreak ? '  (Initial Breakpoint requested)' : ''}`,
  );
  lines.push('');
  return `${lines.join('\n')}\n${symbolPathLines(options.symbols)}${systemLines(identity, 'live', options.now)}`;
}

/**
 * The target's lines, as a current kd prints them (`vertarget`'s text): the kernel's name and
 * version, the product and suite, the build lab ("Edition build lab:" in current kd, "Built by:" in
 * kd before about 2019), the machine name, kernel base, session time and uptime. A minidump has no
 * build lab and no machine name (lab/kd/replay/corpus/dump-whea-124-gallery.txt); a live target
 * prints them all (kdnet-connect-refresh-18362.txt). Server SKUs print "Product: Server, suite:
 * Enterprise …" (a public Server 2008 R2 `vertarget`).
 */
function systemLines(identity: TargetIdentity, kind: 'live' | 'dump' | 'minidump', now: Date): string {
  const pack = servicePackOf(identity.build);
  const server = /server/i.test(identity.product);
  const lines = [
    'Executable search path is: ',
    `${kdProductName(identity.build)} Kernel Version ${identity.build}${pack === null ? '' : ` (Service Pack ${pack})`} MP (${identity.processors} procs) Free ${identity.arch}`,
    server
      ? 'Product: Server, suite: Enterprise TerminalServer SingleUserTS'
      : 'Product: WinNt, suite: TerminalServer SingleUserTS',
  ];
  if (kind !== 'minidump')
    lines.push(`Edition build lab: ${osVersion(identity.build).kdBuildLab}`, 'Machine Name:');
  lines.push(
    `Kernel base = ${identity.kernelBase} PsLoadedModuleList = ${identity.psLoadedModuleList}`,
    `Debug session time: ${kdDate(now)}`,
    `System Uptime: ${kdUptime(identity.uptimeSeconds)}`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * What kd prints while it waits for a KDNET target. At start a current kd says it listens on IPv4
 * only (kd 10.0.18914 in a public capture, MicrosoftDocs/windows-driver-docs#1755: "Using NET for
 * debugging", "Opened WinSock 2.0", "Using IPv4 only.", "Waiting to reconnect..."); when it waits
 * again after the target rebooted it does not repeat that line (lab/kd/replay/corpus/sxe-ld-reboot-19041.txt).
 */
export function netWaitingBanner(atStart: boolean): string {
  return `Using NET for debugging\nOpened WinSock 2.0\n${atStart ? 'Using IPv4 only.\n' : ''}Waiting to reconnect...\n`;
}

/** What kd prints while it waits on a COM pipe. */
export function pipeWaitingBanner(port: string): string {
  return `Opened ${port}\nWaiting to reconnect...\n`;
}

/** What kd prints when the target reboots (then it waits again). */
export function shutdownText(now: Date): string {
  return `Shutdown occurred at (${kdDate(now)})...unloading all symbol tables.\n`;
}

/** The lost-link text of the KDNET-USB article (domain brief §2.6). */
export function lostText(): string {
  return '\nThe transport connection between host kernel debugger and target Windows seems lost.\nplease try resync with target, recycle the host debugger, or reboot the target Windows.\n';
}

export function retryText(count: number): string {
  return `... Retry sending the same data packet for ${count} times.\n`;
}

/**
 * What `.reload` prints (symbols load lazily, so only the progress lines). With a user-mode process
 * in context — a live target stopped by a bug check in a process — the user symbols load too and
 * print their own dots (lab/kd/replay/corpus/live-bugcheck-0x50-win11-26100.txt); a dump or a
 * break in the idle loop prints an empty line there (dump-whea-124-gallery.txt, reload-lm-18362.txt).
 */
export function reloadText(userSymbols = false): string {
  return `Loading Kernel Symbols\n${'.'.repeat(63)}\n${'.'.repeat(64)}\nLoading User Symbols\n${userSymbols ? '.'.repeat(21) : ''}\nLoading unloaded module list\n${'.'.repeat(7)}\n`;
}

/** The first line kd prints for -z, before it knows whether the dump opens (right after the header's blank line). */
export function dumpLoadingLine(path: string): string {
  return `Loading Dump File [${path}]\n`;
}

/** What kd prints once the dump is open, up to its first prompt. */
export function dumpBanner(
  path: string,
  identity: TargetIdentity,
  symbols: string | null,
  now: Date,
): string {
  const full = /(^|[\\/])memory\.dmp$/i.test(path);
  const kind = full
    ? 'Kernel Bitmap Dump File: Kernel address space is available, User address space may not be available.'
    : 'Mini Kernel Dump File: Only registers and stack trace are available';
  return `${kind}\n\n${symbolPathLines(symbols)}${systemLines(identity, full ? 'dump' : 'minidump', now)}${reloadText()}For analysis of this file, run !analyze -v\n`;
}

/** kd's answer to a dump it cannot open. */
export function dumpOpenFailure(path: string, code: string | undefined): string {
  return code === 'ENOENT'
    ? `Could not open dump file [${path}], Win32 error 0n2\n    "The system cannot find the file specified."\n`
    : `Could not open dump file [${path}], HRESULT 0x80004005\n    "Unspecified error"\n`;
}

/** The prompt: "0: kd> " on a multiprocessor target, "kd> " on a uniprocessor one; never a newline. */
export function prompt(processor: number | null): string {
  return processor === null ? 'kd> ' : `${processor}: kd> `;
}

/**
 * What kd prints when it cannot bind its KDNET socket — another kd still holds the port — and then
 * quits (a public capture of kd's socket failure; HRESULT 0x80004005 is what an orphaned kd on the
 * port causes).
 */
export function socketFailure(): string {
  return 'Failed to initialize IPv4 socket.  Error 0n-2147467259\nKernel debugger failed initialization, HRESULT 0x80004005\n';
}

/** What kd prints when it cannot open its COM pipe, and then quits (the failure line of a socket failure). */
export function pipeFailure(): string {
  return 'Kernel debugger failed initialization, HRESULT 0x80004005\n';
}
