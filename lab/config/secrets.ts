/**
 * Secrets by reference. A lab file never holds a secret, only where to find it: an environment
 * variable or a secret file. Every value resolved here is registered with the redactor, so it can
 * be taken out of every transcript and attachment.
 */
import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError, sentenceStart } from '../errors.js';
import { formatBytes, INPUT_LIMITS, InputTooLargeError, readTextWithinSync } from '../util/files.js';
import type { SecretRef } from './lab-file.js';

/** Replaces every registered secret in a text with a placeholder naming what it was. */
export class Redactor {
  private readonly secrets = new Map<string, string>();
  /** The secrets longest first, as redact replaces them (null: to be sorted again). */
  private ordered: [string, string][] | null = null;

  /**
   * Registers a secret value under a label ("KDNET key of VM 'win11-a'"); short values are ignored.
   * The forms the value takes inside JSON are registered too (a password with a quote, a backslash
   * or a non-ASCII letter is escaped in an operation's data document), so no transcript keeps it.
   */
  add(value: string, label: string): void {
    if (value.length < 4) return;
    const json = JSON.stringify(value).slice(1, -1);
    const ascii = json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    for (const form of new Set([value, json, ascii])) this.secrets.set(form, label);
    this.ordered = null;
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole. A run redacts every
    // operation's script and reply: the order is kept until a secret is added, and a text is only
    // rebuilt for a secret it holds.
    this.ordered ??= [...this.secrets].sort((a, b) => b[0].length - a[0].length);
    for (const [value, label] of this.ordered) {
      if (out.includes(value)) out = out.split(value).join(`«redacted: ${label}»`);
    }
    return out;
  }

  get size(): number {
    return this.secrets.size;
  }
}

export interface SecretContext {
  /** Directory secret files are relative to (the lab file's). */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
}

/** Resolves a reference; `what` names the secret in messages ("the guest password of VM 'win11-a'"). */
export function resolveSecret(ref: SecretRef, what: string, context: SecretContext): string {
  let value: string;
  if ('env' in ref) {
    const v = context.env[ref.env];
    if (v === undefined || v === '') {
      throw new ConfigurationError(
        `${sentenceStart(what)} is read from the environment variable ${ref.env}, which is not set; set it, or point the lab file at a secret file with { file: … }.`,
      );
    }
    value = v;
  } else {
    const path = isAbsolute(ref.file) ? ref.file : resolve(context.baseDir, ref.file);
    try {
      value = readTextWithinSync(path, INPUT_LIMITS.secret).replace(/\r?\n$/, '');
    } catch (error) {
      if (error instanceof InputTooLargeError) {
        throw new ConfigurationError(
          `${sentenceStart(what)} is read from the secret file '${path}', which holds ${formatBytes(error.size)}, more than the ${formatBytes(error.limit)} a secret file may hold, so it was not read; put only the secret in it.`,
        );
      }
      throw new ConfigurationError(
        `${sentenceStart(what)} is read from the secret file '${path}', which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}); create it or fix the reference in the lab file.`,
        { cause: error },
      );
    }
    if (value === '') {
      throw new ConfigurationError(
        `${sentenceStart(what)} is read from the secret file '${path}', which is empty; put the secret in it.`,
      );
    }
  }
  context.redactor.add(value, what);
  return value;
}
