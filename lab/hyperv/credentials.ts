/**
 * Credentials by reference on the host. An operation script never holds a password: Script Block
 * Logging (event 4104) records every script a host runs, on hosts that enable it. The adapter
 * writes each password it resolved to a file of its own, readable by this user only, in a folder of
 * this user (one per password and process, removed by that process when it ends, written again when
 * missing: a file two processes shared was removed by the first to end, a run's worker that finished
 * its share, while the other still named it in its scripts); the
 * script's data document names the file, and the script reads it into a PSCredential on the host
 * that runs the shell (before anything is sent on to a remote host, so the credential travels as a
 * PSCredential, encrypted by remoting). A lab file can instead name a DPAPI credential file on the
 * Hyper-V host (guestCredential.credentialFile), which driverlab never reads.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A credential as it travels in an operation's data document. */
export interface CredentialReference {
  user: string;
  /** The host file holding the password (this user only). */
  passwordFile: string;
}

/** The password files this process wrote: removed when it ends. */
const written = new Set<string>();
process.once('exit', () => {
  for (const file of written) rmSync(file, { force: true });
});

/**
 * One folder per user (mode 0700), with a random key made once: a file's name is a keyed hash of
 * the password and the process's id, so the name tells nothing of the password, and no process
 * ever removes a file another one is using.
 */
function credentialFolder(): { folder: string; key: Buffer } {
  // Made and read once per process: every operation names its credential, and the key never changes.
  if (folderAndKey && existsSync(folderAndKey.folder)) return folderAndKey;
  folderAndKey = makeCredentialFolder();
  return folderAndKey;
}

let folderAndKey: { folder: string; key: Buffer } | undefined;

function makeCredentialFolder(): { folder: string; key: Buffer } {
  const folder = join(tmpdir(), `driverlab-credentials-${process.getuid?.() ?? 'user'}`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  const keyFile = join(folder, 'key');
  if (!existsSync(keyFile)) {
    // Made whole, then linked into place: a parallel worker never reads half a key, and when
    // another made it first, theirs is used.
    const partial = `${keyFile}.${process.pid}.tmp`;
    writeFileSync(partial, randomBytes(32), { mode: 0o600 });
    try {
      linkSync(partial, keyFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(partial, { force: true });
    }
  }
  return { folder, key: readFileSync(keyFile) };
}

/** The reference for a resolved credential; the file is written once per password and process. */
export function credentialReference(credential: { user: string; password: string }): CredentialReference {
  const { folder, key } = credentialFolder();
  const name = createHmac('sha256', key).update(credential.password).digest('hex').slice(0, 24);
  const passwordFile = join(folder, `${name}-${process.pid}.secret`);
  if (!existsSync(passwordFile)) {
    // Written whole under another name, then moved into place: the host shell never reads half.
    const partial = `${passwordFile}.tmp`;
    writeFileSync(partial, credential.password, { mode: 0o600 });
    renameSync(partial, passwordFile);
    written.add(passwordFile);
  }
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
