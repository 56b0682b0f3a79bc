/**
 * Reading an operation's reply: the JSON between the output markers, or the error between the
 * error markers, or whatever else the shell printed. Every outcome is either a validated result or
 * an error that says whose fault it is.
 *
 * Anything outside the markers is noise as far as the result goes (WARNING lines, Write-Host
 * output, the CLIXML progress records Windows PowerShell writes to a redirected stderr); it stays
 * in the transcript, and it is quoted when there is no reply to read.
 */
import * as z from 'zod';
import { formatZodIssues } from '../config/zod-errors.js';
import { ConfigurationError, LabCompromisedError } from '../errors.js';
import { GuestUnreachableError } from '../ports.js';
import { normalisePowerShellJson } from './normalise.js';
import { MARKERS } from './script.js';
import type { ShellReply } from './session.js';

// The guest port's error, raised here when PowerShell Direct cannot reach the guest.
export { GuestUnreachableError };

/** An operation's error as the script reports it (Format-DriverlabReply). */
export const PsError = z.object({
  error: z.string().catch(''),
  fqid: z.string().catch(''),
  type: z.string().catch(''),
  category: z.string().catch(''),
});
export type PsError = z.infer<typeof PsError>;

/** An operation's error as the host reported it, kept as the cause of the error raised. */
export class OperationFailed extends Error {
  constructor(readonly psError: PsError) {
    super(psError.error);
    this.name = 'OperationFailed';
  }
}

type Marked = { kind: 'none' } | { kind: 'cut'; begin: string } | { kind: 'complete'; text: string };

function between(text: string, begin: string, end: string): Marked {
  const b = text.lastIndexOf(begin);
  if (b < 0) return { kind: 'none' };
  const e = text.indexOf(end, b + begin.length);
  if (e < 0) return { kind: 'cut', begin };
  return { kind: 'complete', text: text.slice(b + begin.length, e).trim() };
}

export interface ReplyContext {
  /** "Start-VM on VM 'win11-a' on host 'lab-01'". */
  what: string;
  /** Turns a host-reported error into the right driverlab error (PS Direct, VM not found, …). */
  classify: (error: PsError, what: string) => Error;
}

/** Extracts and validates the result; throws a classified error otherwise. */
export function parseReply<R extends z.ZodType>(
  reply: ShellReply,
  schema: R,
  context: ReplyContext,
): z.infer<R> {
  const error = between(reply.stdout, MARKERS.beginError, MARKERS.endError);
  if (error.kind === 'complete') {
    let psError: PsError;
    try {
      psError = PsError.parse(JSON.parse(error.text));
    } catch {
      psError = { error: error.text, fqid: '', type: '', category: '' };
    }
    throw context.classify(psError, context.what);
  }
  const output = between(reply.stdout, MARKERS.beginOutput, MARKERS.endOutput);
  if (output.kind !== 'complete') {
    const cut = output.kind === 'cut' ? output : error.kind === 'cut' ? error : undefined;
    if (cut) {
      throw new LabCompromisedError(
        `${context.what} started a reply (${cut.begin}) that never ended, so the reply was cut off; the host's PowerShell may have stopped while writing it, look at its event log.`,
      );
    }
    const said = firstLines(readableShellText(reply.stderr) || reply.stdout);
    throw new LabCompromisedError(
      `${context.what} gave no reply between the output markers${said ? `; the shell printed: ${said}` : ' and printed nothing'}; check that the host runs Windows PowerShell 5.1 or PowerShell 7 with the Hyper-V module and may run scripts.`,
    );
  }
  let raw: unknown;
  try {
    raw = output.text === '' ? null : JSON.parse(output.text);
  } catch (cause) {
    throw new LabCompromisedError(
      `${context.what} replied with text that is not JSON (${firstLines(output.text)}); the host's reply cannot be trusted.`,
      { cause },
    );
  }
  const parsed = schema.safeParse(normalisePowerShellJson(raw));
  if (!parsed.success) {
    throw new LabCompromisedError(
      `${context.what} replied with JSON of an unexpected shape (${formatZodIssues(parsed.error.issues, raw)}); the host's PowerShell or Hyper-V module may differ from what driverlab supports.`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/**
 * What a human would read in shell output: Windows PowerShell writes errors and progress to a
 * redirected stderr as CLIXML (`#< CLIXML` then `<Objs>` with `<S S="Error">` lines, `_x000D__x000A_`
 * for CR LF); the error strings are kept, progress records dropped. Other text passes as it is.
 */
export function readableShellText(text: string): string {
  if (!text.includes('#< CLIXML')) return text;
  const plain = text.replace(/#< CLIXML\r?\n?/g, '').replace(/<Objs[\s\S]*?<\/Objs>/g, (objs) => {
    const strings = [
      ...objs.matchAll(/<S S="(?:Error|warning|Warning|verbose|debug|information)">([\s\S]*?)<\/S>/g),
    ];
    return strings.map((m) => decodeXmlString(m[1] ?? '')).join('');
  });
  return plain.trim();
}

function decodeXmlString(text: string): string {
  return text
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function firstLines(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const joined = lines.slice(0, 3).join(' | ');
  return joined.length > 300 ? `${joined.slice(0, 297)}…` : joined;
}

/** The host's own words, on one line, for quoting in a sentence. */
function quoted(error: PsError): string {
  return error.error.replace(/\s+/g, ' ').trim().replace(/\.$/, '') || 'no message';
}

interface Rule {
  matches: (error: PsError, message: string) => boolean;
  raise: (what: string, said: string, cause: OperationFailed) => Error;
}

/**
 * Known host answers and whose fault each is, first match wins. The texts are Hyper-V's and
 * PowerShell Direct's (domain brief §1.6, §1.11) and the ids of driverlab's own script errors.
 */
const RULES: Rule[] = [
  {
    matches: (e, m) =>
      e.fqid.startsWith('DriverlabVmNotFound') ||
      /unable to find a virtual machine with name/i.test(m) ||
      /does not resolve to any virtual machine/i.test(m),
    raise: (what, said, cause) =>
      new ConfigurationError(
        `${what} failed because the host has no VM by that name ("${said}"); check the VM name in the lab file, and that driverlab runs as a Hyper-V administrator, since Hyper-V gives the same answer without that right.`,
        { cause },
      ),
  },
  {
    matches: (e, m) =>
      e.fqid.startsWith('DriverlabVmAmbiguous') || /does not resolve to a single virtual machine/i.test(m),
    raise: (what, said, cause) =>
      new ConfigurationError(
        `${what} failed because several VMs on the host have that name ("${said}"); give each VM a unique name in Hyper-V Manager and in the lab file.`,
        { cause },
      ),
  },
  {
    matches: (e, m) =>
      e.fqid.startsWith('DriverlabCheckpointNotFound') ||
      /Unable to find a snapshot matching the given criteria/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because the checkpoint does not exist ("${said}"); create it on the host with Checkpoint-VM or fix the checkpoint name in the lab file.`,
        { cause },
      ),
  },
  {
    matches: (e) => e.fqid.startsWith('DriverlabCheckpointAmbiguous'),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because the checkpoint name is not unique ("${said}"); remove or rename the duplicates on the host.`,
        { cause },
      ),
  },
  {
    matches: (e) => e.fqid.startsWith('DriverlabCheckpointExists'),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because the VM has a checkpoint of that name already ("${said}"); remove it on the host (a second one would make every restore by that name ambiguous), or choose another name.`,
        { cause },
      ),
  },
  {
    matches: (e) => e.fqid.startsWith('DriverlabCopyOverBudget'),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} was stopped because the copy fell behind its time budget ("${said}"); look at the host's load and the guest's disk, or give the copy more time.`,
        { cause },
      ),
  },
  {
    matches: (e) => /^Driverlab(ProgramInvalid|RegistryPathInvalid)/.test(e.fqid),
    raise: (what, said, cause) =>
      new ConfigurationError(
        `${what} was refused before the guest was asked ("${said}"); fix the value the step passes.`,
        {
          cause,
        },
      ),
  },
  {
    matches: (e) => powerShellDirectRefusal(e) === 'credential',
    raise: (what, said, cause) =>
      new GuestUnreachableError(
        `${what} failed because PowerShell Direct refused the guest credential ("${said}"); check the guest account and its password reference in the lab file, or whether the guest has finished booting.`,
        'credential',
        { cause },
      ),
  },
  {
    matches: (e) => powerShellDirectRefusal(e) === 'unreachable',
    raise: (what, said, cause) =>
      new GuestUnreachableError(
        `${what} failed because PowerShell Direct could not reach the guest ("${said}"); the VM is not running or its OS has not finished booting.`,
        'unreachable',
        { cause },
      ),
  },
  {
    matches: (_e, m) => /Cannot inject a non-maskable interrupt/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because Hyper-V refused the NMI ("${said}"); an NMI reaches only a running VM, so start it first.`,
        { cause },
      ),
  },
  {
    matches: (_e, m) => /cannot be performed while the virtual machine is in its current state/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because the VM's state does not allow it ("${said}"); the VM may still be starting, stopping or saving, so look at its state on the host.`,
        { cause },
      ),
  },
  {
    matches: (_e, m) => /required permission/i.test(m) || /Access is denied/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because the host refused access ("${said}"); run driverlab as a member of Hyper-V Administrators, and for a remote host check the credential in the lab file.`,
        { cause },
      ),
  },
  {
    matches: (e, m) =>
      /PSRemotingTransport|PSSessionOpenFailed|CannotConnect/i.test(`${e.type} ${e.fqid}`) ||
      /Connecting to remote server .* failed/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because PowerShell remoting could not reach the host ("${said}"); check that WinRM runs on the host (Enable-PSRemoting), that its name resolves from here and that the firewall lets port 5985 through.`,
        { cause },
      ),
  },
  {
    matches: (_e, m) => /Hyper-V\\[\w-]+' is not recognized|module 'Hyper-V'/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because the host has no Hyper-V PowerShell module ("${said}"); install it with Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-Management-PowerShell.`,
        { cause },
      ),
  },
  {
    matches: (e, m) =>
      /^PathNotFound/.test(e.fqid) || /ItemNotFoundException/.test(e.type) || /^Cannot find path '/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because a path it needs does not exist ("${said}"); check the path, and that what should have made the file did (an earlier step; for a crash dump, fetchNewestDump says what the guest wrote).`,
        { cause },
      ),
  },
  {
    matches: (e, m) => /^CopyFileFailed/.test(e.fqid) || /Failed to copy the source file/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because Hyper-V could not copy the file into the guest ("${said}"); check that the VM's Guest Service Interface integration service is enabled (Enable-VMIntegrationService -Name 'Guest Service Interface'), that the guest is up and that the destination is an absolute guest path.`,
        { cause },
      ),
  },
  {
    matches: (e, m) => /^CopyItemFailed/.test(e.fqid) || /Could not write the host file/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because the file could not be written on the Hyper-V host ("${said}"); check that the host folder is writable by the account driverlab runs as and that its disk has room for the file.`,
        { cause },
      ),
  },
  {
    matches: (_e, m) => /was not found in the guest/i.test(m),
    raise: (what, said, cause) =>
      new LabCompromisedError(
        `${what} failed because the program is not in the guest ("${said}"); put it in the VM's baseline image or give its full path.`,
        { cause },
      ),
  },
];

/**
 * PowerShell Direct's own refusals (domain brief §1.6): the credential refused, or the guest not
 * reached (not up yet, or the session dropped). A guest that is booting gives both for a while, so a
 * wait for it looks again after either (Wait-VMPowerShellDirect.ps1 tells them apart the same way);
 * null for any other error.
 */
export function powerShellDirectRefusal(e: PsError): 'credential' | 'unreachable' | null {
  if (/The credential is invalid/i.test(e.error)) return 'credential';
  if (
    /A remote session might have ended/i.test(e.error) ||
    /PSDirect/i.test(e.type) ||
    /PSDirect/i.test(e.fqid)
  )
    return 'unreachable';
  return null;
}

/** The default classification: which host answers are whose fault, each as one sentence. */
export function classifyHostError(error: PsError, what: string): Error {
  const cause = new OperationFailed(error);
  const said = quoted(error);
  for (const rule of RULES) {
    if (rule.matches(error, error.error)) {
      return rule.raise(what, said, cause);
    }
  }
  return new LabCompromisedError(
    `${what} failed on the host: ${said} [${error.fqid || error.type || 'no error id'}]; this answer is not one driverlab knows, so look at the operation's script and reply in the transcript and at the host's Hyper-V event log (Microsoft-Windows-Hyper-V-VMMS-Admin).`,
    { cause },
  );
}
