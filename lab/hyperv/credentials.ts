/**
 * Credentials by reference on the host. An operation script never holds a password: Script Block
 * Logging (event 4104) records every script a host runs, on hosts that enable it. The adapter
 * writes each password to a file of its own, readable by this user only, in a folder made for this
 * process and removed when it ends; the script's data document names the file, and the script
 * reads it into a PSCredential on the host that runs the shell (before anything is sent on to a
 * remote host, so the credential travels as a PSCredential, encrypted by remoting).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A credential as it travels in an operation's data document. */
export interface CredentialReference {
  user: string;
  /** The host file holding the password (this user only). */
  passwordFile: string;
}

let folder: string | undefined;
const salt = randomBytes(16);

function credentialFolder(): string {
  if (folder && existsSync(folder)) return folder;
  folder = mkdtempSync(join(tmpdir(), 'driverlab-credentials-'));
  chmodSync(folder, 0o700);
  const made = folder;
  process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  return made;
}

/** The reference for a resolved credential; the file is written once per password and process. */
export function credentialReference(credential: { user: string; password: string }): CredentialReference {
  const name = createHash('sha256').update(salt).update(credential.password).digest('hex').slice(0, 24);
  const passwordFile = join(credentialFolder(), `${name}.secret`);
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, credential.password, { mode: 0o600 });
  return { user: credential.user, passwordFile };
}

/** True for a value that is a credential with a password in it (which no script may carry). */
export function hasPassword(value: unknown): value is { user: string; password: string } {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { password?: unknown }).password === 'string' &&
    typeof (value as { user?: unknown }).user === 'string'
  );
}
