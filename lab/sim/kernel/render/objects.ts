/**
 * Kernel objects as the extensions print them: `!thread`, `!locks`, `!verifier 100`,
 * `!ndiskd.pendingnbls`, `!ndiskd.miniport`, `!vm`, and the symbol commands `ln`, `.fnent`, `lm`.
 */
import { addr, bare, hex16, pick, tick } from '../hex.js';
import { type ImageLayout, NT, sortedFunctions } from '../layout.js';
import type { KernelState, Miniport, Thread } from '../state.js';
import { layoutOf, neighbours, resolve, siteAddress, symbolAt, symbolName } from '../symbols.js';
import { CommandError, currentThread, type RenderContext } from './context.js';
import { evaluate } from './expr.js';
import { rawSite, renderK, rows } from './stack.js';

const MS_PER_TICK = 15.6001;

/** "0:00:04:03.002" (days:hours:minutes:seconds.ms), as !thread prints a wait's age. */
function duration(ms: number): string {
  const total = Math.floor(ms);
  const d = Math.floor(total / 86400000);
  return `${d}:${clock(total % 86400000)}`;
}

/** "00:00:26.863" (hours:minutes:seconds.ms), as !thread prints user and kernel time. */
function clock(ms: number): string {
  const total = Math.floor(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(total / 3600000);
  const m = Math.floor((total % 3600000) / 60000);
  const s = Math.floor((total % 60000) / 1000);
  return `${two(h)}:${two(m)}:${two(s)}.${String(total % 1000).padStart(3, '0')}`;
}

/** `!thread [address] [flags]`. */
export function renderThread(args: string, state: KernelState, context: RenderContext): string {
  const first = args.trim().split(/\s+/)[0] ?? '';
  let thread: Thread | undefined;
  if (first === '' || first === '-1') thread = currentThread(state);
  else {
    const at = hex16(evaluate(first, state, context));
    thread = state.threads.find((t) => t.address === at);
    if (!thread) return `${at}: Unable to get thread contents`;
  }
  if (!thread) return '';
  const process = state.processes.find((p) => p.address === thread.process);
  const running =
    thread.state === 'running' ||
    state.crash?.thread === thread.address ||
    state.breakIn?.thread === thread.address;
  const status = running
    ? `RUNNING on processor ${thread.processor}`
    : thread.wait
      ? `WAIT: (${thread.wait.reason}) ${thread.wait.mode} ${thread.wait.alertable ? 'Alertable' : 'Non-Alertable'}`
      : 'READY';
  const lines = [
    `THREAD ${thread.address}  Cid ${thread.pid.toString(16).padStart(4, '0')}.${thread.tid.toString(16).padStart(4, '0')}  Teb: ${thread.teb} Win32Thread: ${hex16(0n)} ${status}`,
  ];
  if (!running && thread.wait) lines.push(`    ${thread.wait.object}  ${thread.wait.type}`);
  if (thread.irps.length > 0) {
    lines.push('IRP List:');
    for (const irpAddress of thread.irps) {
      const irp = state.irps.find((i) => i.address === irpAddress);
      if (!irp) continue;
      lines.push(
        `    ${irp.address}: (${irp.type.toString(16).padStart(4, '0')},${irp.size.toString(16).padStart(4, '0')}) Flags: ${irp.flags.toString(16).padStart(8, '0')}  Mdl: ${irp.mdl.toString(16).padStart(8, '0')}`,
      );
    }
  }
  const ticks = running ? 0 : Math.max(0, state.tick - thread.waitStartTick);
  const start = thread.startAddress;
  const startText =
    'raw' in start
      ? `0x${start.raw}`
      : `${symbolAt(state, siteAddress(state, start))} (0x${hex16(siteAddress(state, start))})`;
  lines.push(
    'Not impersonating',
    `DeviceMap                 ${process?.deviceMap ?? hex16(0n)}`,
    `Owning Process            ${thread.process}       Image:         ${process?.image ?? 'Unknown'}`,
    'Attached Process          N/A            Image:         N/A',
    `Wait Start TickCount      ${String(thread.waitStartTick).padEnd(14)} Ticks: ${ticks}${ticks > 0 ? ` (${duration(ticks * MS_PER_TICK)})` : ''}`,
    `Context Switch Count      ${String(thread.contextSwitches).padEnd(14)} IdealProcessor: ${thread.idealProcessor}`,
    `UserTime                  ${clock(0)}`,
    `KernelTime                ${clock(thread.kernelTimeMs)}`,
    `Win32 Start Address ${startText}`,
    `Stack Init ${thread.stackInit} Current ${thread.stackCurrent}`,
    `Base ${thread.stackBase} Limit ${thread.stackLimit} Call 0`,
    `Priority ${thread.priority} BasePriority ${thread.basePriority} UnusualBoost 0 ForegroundBoost 0 IoPriority 2 PagePriority 5`,
    renderK(rows(state, thread, context)),
  );
  return lines.join('\n');
}

/** `!locks`. */
export function renderLocks(state: KernelState): string {
  const held = state.locks.filter((l) => l.owners.length > 0);
  const total = 20000 + pick(80000, state.boot.vmName, state.boot.bootCount, 'locks') + state.threads.length;
  const lines = ['', 'KD: Scanning for held locks..'];
  held.forEach((lock, i) => {
    const owners = lock.owners
      .map((o) => `${o.thread}-${o.count.toString(16).padStart(2, '0')}<*>`)
      .join(' ');
    lines.push(
      '',
      lock.mode === 'Shared'
        ? `Resource @ nt!${lock.name} (0x${lock.address})    Shared ${lock.owners.length} owning threads`
        : `Resource @ nt!${lock.name} (0x${lock.address})    Exclusively owned`,
    );
    if (lock.contention > 0) lines.push(`    Contention Count = ${lock.contention}`);
    lines.push(`     Threads: ${owners} `);
    lines.push(i === held.length - 1 ? 'KD: Scanning for held locks' : 'KD: Scanning for held locks.');
  });
  lines.push(
    '',
    held.length > 0 ? `${total} total locks, ${held.length} locks currently held` : `${total} total locks`,
  );
  return lines.join('\n');
}

/** The verifier log's frame text: "nt!IovAllocateIrp+0x28"; a module without symbols keeps KD's space ("baddriver +0x36523"). */
function logFrame(state: KernelState, at: bigint): string {
  const resolved = resolve(state, at);
  if (!resolved) return rawSite(at);
  if (!resolved.fn) return `${resolved.module.name} +0x${bare(resolved.offset)}`;
  return symbolName(resolved);
}

/** The entries of the verifier's IRP log array (the header the extension prints before walking it). */
export const IRP_LOG_ENTRIES = 0x4000;

/**
 * `!verifier 100 [address]`: the IoAllocateIrp / IoCompleteRequest / IoCancelIrp log, after the
 * line the extension prints as it walks the log array. UNCERTAIN: that line follows the documented
 * `!verifier 80 <address>` walk ("# Parsing 00004000 array entries, searching for address …."); no
 * capture of `!verifier 100`'s own header, nor of an empty IRP log, was found. An empty log (IRP
 * logging off, another driver verified, verifier off) is that line alone.
 */
export function renderVerifierIrpLog(args: string[], state: KernelState, context: RenderContext): string {
  const filter = args[1] ? hex16(evaluate(args[1], state, context)) : null;
  const entries = state.irpLog.filter((e) => filter === null || e.irp === filter || e.thread === filter);
  const count = IRP_LOG_ENTRIES.toString(16).padStart(8, '0');
  const header = `# Parsing ${count} array entries${filter === null ? '' : `, searching for address ${filter}`}.`;
  return [
    header,
    ...entries.map((e) =>
      [
        '',
        `IRP ${e.irp}, Thread ${e.thread}, IRQL = ${e.irql}, KernelApcDisable = ${e.kernelApcDisable}, SpecialApcDisable = ${e.specialApcDisable}`,
        ...e.stack.map((s) => {
          const at = siteAddress(state, s);
          return `${hex16(at)} ${logFrame(state, at)}`;
        }),
      ].join('\n'),
    ),
  ].join('\n');
}

const NBL_TRACKING_OFF = [
  '    This command requires NBL tracking to be enabled on the debugee target',
  '    machine.  (By default, client operating systems have level 1, and servers',
  '    have level 0).  To enable, set this REG_DWORD value to a nonzero value on',
  '    the target machine and reboot the target machine:',
  '',
  '    HKLM\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters ! TrackNblOwner',
  '    Possible Values (features are cumulative)',
  '    * 0:  Disable all tracking.',
  '    * 1:  Track the most recent owner of each NBL (enables !ndiskd.pendingnbls)',
  '',
  '    Show me all allocated NBLs so I can manually find the one I want',
].join('\n');

function nblAddress(miniport: Miniport, i: number): string {
  return hex16(addr(miniport.nblBase) + BigInt(i) * 0x1a0n + BigInt(pick(0x10, miniport.handle, i)) * 0x10n);
}

/** `!ndiskd.pendingnbls`. */
export function renderPendingNbls(state: KernelState): string {
  if (state.boot.trackNblOwner === 0) return NBL_TRACKING_OFF;
  const total = state.miniports.reduce((n, m) => n + m.totalNbls, 0);
  const pending = state.miniports.reduce((n, m) => n + m.pendingNbls, 0);
  const pools = Math.max(1, Math.floor(total / 150));
  const freed = Math.round((total - pending) * 0.478);
  const lines = [
    '',
    `PHASE 1/3: Found ${pools} NBL pool(s).`,
    `PHASE 2/3: Found ${freed} freed NBL(s).`,
    '',
    '    Pending Nbl        Currently held by',
  ];
  for (const miniport of state.miniports)
    for (let i = 0; i < miniport.pendingNbls; i += 1)
      lines.push(`    ${nblAddress(miniport, i)}   ${miniport.handle} - ${miniport.name}  [Miniport]`);
  lines.push('', `PHASE 3/3: Found ${pending} pending NBL(s) of ${total} total NBL(s).`, 'Search complete.');
  return lines.join('\n');
}

function versionShort(version: string): string {
  const [major = '1', minor = '0'] = version.split('.');
  return `v${major}.${minor}`;
}

/** `!ndiskd.miniport [handle]`. */
export function renderMiniport(args: string, state: KernelState, context: RenderContext): string {
  const first = args.trim().split(/\s+/)[0] ?? '';
  if (first === '') {
    if (state.miniports.length === 0) return '    No miniports found';
    return [
      '    MiniDriver         Miniport            Name',
      ...state.miniports.map((m) => `    ${m.driverHandle}   ${m.handle}    ${m.name}`),
    ].join('\n');
  }
  const handle = hex16(evaluate(first, state, context));
  const m = state.miniports.find((x) => x.handle === handle);
  if (!m) throw new CommandError(`Could not read NDIS miniport block at ${handle}`);
  return [
    '',
    '',
    `    ${m.name} `,
    '',
    `    Ndis handle        ${m.handle}`,
    '    Ndis API version   v6.20',
    `    Adapter context    ${m.adapterContext}`,
    `    Miniport driver    ${m.driverHandle} - ${m.driver}  ${versionShort(m.driverVersion)}`,
    `    Network interface  ${m.networkInterface}`,
    '',
    '    Media type         802.3',
    `    Device instance    ${m.deviceInstance}`,
    `    Device object      ${m.deviceObject}    More information`,
    `    MAC address        ${m.mac}`,
    '',
    '',
    '    Miniport           Running',
    `    Device PnP         ${m.pnp}`,
    '    Datapath           Normal',
    `    Operational status ${m.operStatus}`,
    `    Operational flags  ${m.operFlags}`,
    '    Admin status       ADMIN_UP',
    '    Media              Connected',
    '    Power              D0',
    `    References         ${m.references}`,
    '    Total resets       0',
    '    Pending OID        None',
    '',
    '                       SUPPORTS_MEDIA_SENSE, DOES_NOT_DO_LOOPBACK,',
  ].join('\n');
}

function vmLine(label: string, pages: number): string {
  const value = `${label}${String(pages).padStart(28 - label.length)}`;
  return `      ${value} (${String(pages * 4).padStart(10)} Kb)`;
}

/** `!vm [flags]`: the summary, with the commit-failure line of the seed's rule. */
export function renderVm(state: KernelState): string {
  const physical = state.boot.memory.physicalMb * 256;
  const pageFileKb = state.memory.pageFileCurrentMb * 1024;
  const minKb = state.boot.memory.pageFileInitialMb * 1024;
  const maxKb = state.boot.memory.pageFileMaximumMb * 1024;
  const committed = state.memory.committedPages;
  const limit = physical + state.memory.pageFileCurrentMb * 256;
  const usedInPageFile = Math.max(0, committed - Math.floor(physical * 0.6));
  const nonPaged0 = Math.floor(physical * 0.0016);
  const nonPaged1 = Math.floor(physical * 0.0018);
  const paged = [Math.floor(physical * 0.0134), Math.floor(physical * 0.33), Math.floor(physical * 0.0014)];
  const pagedTotal = paged.reduce((a, b) => a + b, 0);
  const [f0, f1, f2, f3] = state.memory.failures;
  // The seed's rule: members 0 and 1 always count; member 2 on Windows XP/2003, member 3 on later builds.
  const failed = f0 + f1 + (state.boot.os.family === 'xp-2003' ? f2 : f3);
  const lines = [
    '',
    '*** Virtual Memory Usage ***',
    vmLine('Physical Memory:', physical),
    '      Page File: \\??\\C:\\pagefile.sys',
    `        Current:${String(pageFileKb).padStart(10)} Kb  Free Space:${String(Math.max(0, pageFileKb - usedInPageFile * 4)).padStart(10)} Kb`,
    `        Minimum:${String(minKb).padStart(10)} Kb  Maximum:${String(maxKb).padStart(13)} Kb`,
    vmLine('Available Pages:', Math.max(0, physical - Math.floor(committed * 0.6))),
    vmLine('ResAvail Pages:', Math.floor(physical * 0.97)),
    vmLine('Locked IO Pages:', 0),
    vmLine('Free System PTEs:', 33554432 - pick(100000, state.boot.vmName, 'ptes')),
    vmLine('Modified Pages:', Math.floor(physical * 0.0016)),
    vmLine('Modified PF Pages:', Math.floor(physical * 0.0005)),
    vmLine('NonPagedPool 0 Used:', nonPaged0),
    vmLine('NonPagedPool 1 Used:', nonPaged1),
    vmLine('NonPagedPool Usage:', nonPaged0 + nonPaged1 + state.pool.pages.length),
    vmLine('NonPagedPool Max:', Math.floor(physical * 0.748)),
    vmLine('PagedPool 0 Usage:', paged[0] ?? 0),
    vmLine('PagedPool 1 Usage:', paged[1] ?? 0),
    vmLine('PagedPool 2 Usage:', paged[2] ?? 0),
    vmLine('PagedPool Usage:', pagedTotal),
    vmLine('PagedPool Maximum:', 33554432),
    vmLine('Session Commit:', 3000 + state.processes.length * 40),
    vmLine('Shared Commit:', Math.floor(physical * 0.0005)),
    vmLine('Special Pool:', state.pool.special.length * 2),
    vmLine('Shared Process:', Math.floor(physical * 0.0043)),
    vmLine('PagedPool Commit:', pagedTotal + 70),
    vmLine(
      'Driver Commit:',
      state.modules.reduce((n, m) => n + Math.ceil(m.size / 0x1000), 0),
    ),
    vmLine('Committed pages:', committed),
    vmLine('Commit limit:', limit),
  ];
  if (failed > 0) lines.push('', `      ********** ${failed} commit requests have failed  **********`);
  return lines.join('\n');
}

/** `? expr`. */
export function renderEvaluate(args: string, state: KernelState, context: RenderContext): string {
  const value = evaluate(args, state, context);
  const signed = value >= 1n << 63n ? value - (1n << 64n) : value;
  return `Evaluate expression: ${signed} = ${tick(value)}`;
}

function lnLine(state: KernelState, at: bigint): string | null {
  const n = neighbours(state, at);
  if (!n) return null;
  const base = addr(n.module.base);
  if (!n.before) return `(${tick(base)})   ${n.module.name}+0x${bare(at - base)}`;
  const start = base + BigInt(n.before.rva);
  const offset = at - start;
  const sep = n.before.name.startsWith('??') ? '! ' : '!';
  const here = `${n.module.name}${sep}${n.before.name}${offset === 0n ? '' : `+0x${bare(offset)}`}`;
  const next = n.after
    ? `   |  (${tick(base + BigInt(n.after.rva))})   ${n.module.name}!${n.after.name}`
    : '';
  return `(${tick(start)})   ${here}${next}`;
}

/** `ln <address>`. */
export function renderLn(args: string, state: KernelState, context: RenderContext): string {
  const at = evaluate(args, state, context);
  const line = lnLine(state, at);
  if (!line) return '';
  const resolved = resolve(state, at);
  if (resolved?.fn && resolved.offset === 0)
    return [line, 'Exact matches:', `    ${symbolName(resolved)} (<no parameter info>)`].join('\n');
  return line;
}

function unwindOf(layout: ImageLayout, name: string, rva: number): number {
  return layout.unwind[name] ?? 0x1b0000 + ((rva * 7) % 0x18000) - (((rva * 7) % 0x18000) % 4);
}

/** `.fnent <address>`: the function table entry, with chained info for a BBT-moved chunk. */
export function renderFnent(args: string, state: KernelState, context: RenderContext): string {
  const at = evaluate(args, state, context);
  const resolved = resolve(state, at);
  const layout = resolved ? layoutOf(resolved.module.name) : undefined;
  if (!resolved || !layout || resolved.module.symbols !== 'pdb') return `No function entry for ${tick(at)}`;
  const base = addr(resolved.module.base);
  const rva = Number(at - base);
  const entryAddress = 0xe800000000n + BigInt(pick(0x10000000, 'fnent', hex16(at))) * 8n;
  const block = (begin: number, end: number, unwind: number) => [
    `BeginAddress      = ${tick(BigInt(begin))}`,
    `EndAddress        = ${tick(BigInt(end))}`,
    `UnwindInfoAddress = ${tick(BigInt(unwind))}`,
  ];
  const out = [`Debugger function entry ${tick(entryAddress)} for:`, lnLine(state, at) ?? '', ''];
  const chunk = layout.cold.find((c) => rva >= c.begin && rva < c.end);
  if (chunk) {
    const parent = layout.functions.find((f) => f.name === chunk.parent);
    out.push(...block(chunk.begin, chunk.end, chunk.unwind), '');
    out.push(
      `Unwind info at ${tick(base + BigInt(chunk.unwind))}, 10 bytes`,
      '  version 1, flags 4, prolog 0, codes 0',
      '',
    );
    if (parent) {
      const unwind = unwindOf(layout, parent.name, parent.rva);
      out.push('Chained info:', ...block(parent.rva, parent.rva + parent.size, unwind), '');
      out.push(
        `Unwind info at ${tick(base + BigInt(unwind))}, 6 bytes`,
        '  version 1, flags 0, prolog 4, codes 1',
        '  00: offs 4, unwind op 2, op info c\tUWOP_ALLOC_SMALL.',
      );
    }
    return out.join('\n');
  }
  const fn = resolved.fn;
  if (!fn || fn.name.startsWith('??')) return `No function entry for ${tick(at)}`;
  const unwind = unwindOf(layout, fn.name, fn.rva);
  out.push(
    ...block(fn.rva, fn.rva + fn.size, unwind),
    '',
    `Unwind info at ${tick(base + BigInt(unwind))}, 6 bytes`,
    '  version 1, flags 0, prolog 4, codes 1',
    '  00: offs 4, unwind op 2, op info c\tUWOP_ALLOC_SMALL.',
  );
  return out.join('\n');
}

/** `lm`: loaded modules by address, then the unloaded ones. */
export function renderLm(state: KernelState): string {
  const line = (m: KernelState['modules'][number]) => {
    const base = addr(m.base);
    return `${tick(base)} ${tick(base + BigInt(m.size))}   ${m.name.padEnd(10)} (deferred)`;
  };
  const sorted = [...state.modules].sort((a, b) => (a.base < b.base ? -1 : 1));
  const out = ['start             end                 module name', ...sorted.map(line)];
  if (state.unloadedModules.length > 0) {
    out.push('', 'Unloaded modules:');
    for (const m of state.unloadedModules) {
      const base = addr(m.base);
      out.push(`${tick(base)} ${tick(base + BigInt(m.size))}   ${m.image}`);
    }
  }
  return out.join('\n');
}

/** For tests: the nt functions the model knows, in address order. */
export function ntFunctionNames(): string[] {
  return sortedFunctions(NT).map((f) => f.name);
}
