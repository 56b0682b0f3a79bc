/**
 * Reading an operation's reply: the JSON between the output markers, or the error between the
 * error markers, or whatever else the shell printed. Every outcome is either a validated result or
 * an error that says whose fault it is.
 */
import type { z } from 'zod';
import { formatZodIssues } from '../config/zod-errors.js';
import { ConfigurationError, LabCompromisedError } from '../errors.js';
import { normalisePowerShellJson } from './normalise.js';
import { MARKERS } from './script.js';
import type { ShellReply } from './session.js';

export const PsError = {
  parse(value: unknown): { error: string; fqid: string; type: string; category: string } {
    const v = (value ?? {}) as Record<string, unknown>;
    return {
      error: String(v.error ?? ''),
      fqid: String(v.fqid ?? ''),
      type: String(v.type ?? ''),
      category: String(v.category ?? ''),
    };
  },
};
export type PsError = ReturnType<typeof PsError.parse>;

/** An operation's error as the host reported it, kept as the cause of the error raised. */
export class OperationFailed extends Error {
  constructor(readonly psError: PsError) {
    super(psError.error);
    this.name = 'OperationFailed';
  }
}

function between(text: string, begin: string, end: string): string | null {
  const b = text.indexOf(begin);
  if (b < 0) return null;
  const e = text.indexOf(end, b + begin.length);
  if (e < 0) return null;
  return text.slice(b + begin.length, e).trim();
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
  const errorJson = between(reply.stdout, MARKERS.beginError, MARKERS.endError);
  if (errorJson !== null) {
    let psError: PsError;
    try {
      psError = PsError.parse(JSON.parse(errorJson));
    } catch {
      psError = { error: errorJson, fqid: '', type: '', category: '' };
    }
    throw context.classify(psError, context.what);
  }
  const outputJson = between(reply.stdout, MARKERS.beginOutput, MARKERS.endOutput);
  if (outputJson === null) {
    const said = firstLines(reply.stderr || reply.stdout);
    throw new LabCompromisedError(
      `${context.what} gave no reply between the output markers${said ? `; the shell printed: ${said}` : ' and printed nothing'}; check that the host runs PowerShell 5.1 or 7 with the Hyper-V module.`,
    );
  }
  let raw: unknown;
  try {
    raw = outputJson === '' ? null : JSON.parse(outputJson);
  } catch (error) {
    throw new LabCompromisedError(
      `${context.what} replied with text that is not JSON (${firstLines(outputJson)}); the host's reply cannot be trusted.`,
      { cause: error },
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

function firstLines(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const joined = lines.slice(0, 3).join(' | ');
  return joined.length > 300 ? `${joined.slice(0, 297)}…` : joined;
}

/** The default classification: the few texts that are configuration problems, the rest are the lab's. */
export function classifyHostError(error: PsError, what: string): Error {
  const cause = new OperationFailed(error);
  const message = error.error.replace(/\s+/g, ' ').trim();
  if (
    /unable to find a virtual machine with name/i.test(message) ||
    /does not resolve to any virtual machine/i.test(message)
  ) {
    return new ConfigurationError(
      `${what} failed: the host has no such VM ("${message}"); check the VM name in the lab file, and that the lab runs as a Hyper-V administrator (the same text appears without that right).`,
      { cause },
    );
  }
  if (/Unable to find a snapshot matching the given criteria/i.test(message)) {
    return new LabCompromisedError(
      `${what} failed: the checkpoint does not exist ("${message}"); create it on the host or fix the baseline name in the lab file.`,
      { cause },
    );
  }
  if (/The credential is invalid/i.test(message)) {
    return new LabCompromisedError(
      `${what} failed: PowerShell Direct refused the guest credential ("${message}"); check the guest account and its password reference in the lab file, or whether the guest has finished booting.`,
      { cause },
    );
  }
  if (/A remote session might have ended/i.test(message) || /PSDirectException/i.test(error.type)) {
    return new LabCompromisedError(
      `${what} failed: PowerShell Direct could not reach the guest ("${message}"); the VM is not running or its OS has not finished booting.`,
      { cause },
    );
  }
  if (/required permission/i.test(message)) {
    return new LabCompromisedError(
      `${what} failed: the host refused ("${message}"); run driverlab as a member of Hyper-V Administrators.`,
      { cause },
    );
  }
  return new LabCompromisedError(
    `${what} failed on the host: ${message || 'no message'} [${error.fqid || error.type || 'no error id'}].`,
    {
      cause,
    },
  );
}
