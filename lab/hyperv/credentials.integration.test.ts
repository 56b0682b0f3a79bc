/**
 * A password file lives as long as the process that names it in its scripts: a run's two workers
 * resolve the same guest password, and the one that finishes its share first must not take the
 * other's file with it (a 200-scenario run broke a scenario on "Could not find file
 * '…/<name>.secret'" that way). These start real processes, each resolving the same credential.
 */
import { strict as expect } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { paths } from '../paths.js';
import { credentialReference } from './credentials.js';

const credential = { user: 'Administrator', password: 'P@ss w0rd – shared' };

/** The password file another process names for the same credential, after that process has ended. */
function otherProcessFile(): string {
  const module = pathToFileURL(`${paths.root}/lab/hyperv/credentials.ts`).href;
  return execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { credentialReference } = await import(${JSON.stringify(module)});
       process.stdout.write(credentialReference(${JSON.stringify(credential)}).passwordFile);`,
    ],
    { cwd: paths.root, encoding: 'utf8' },
  );
}

describe('password files shared by no two processes', () => {
  it('a process that ends removes its own file and leaves this one, which still holds the password', () => {
    const mine = credentialReference(credential).passwordFile;
    const theirs = otherProcessFile();
    expect.notEqual(theirs, mine, 'the two processes named the same file');
    expect.equal(existsSync(theirs), false, `${theirs} outlived the process that wrote it`);
    expect.equal(existsSync(mine), true, `${mine} went with the other process`);
    expect.equal(readFileSync(mine, 'utf8'), credential.password);
    expect.equal(statSync(mine).mode & 0o777, 0o600);
  });

  it('a file removed from under a process is written again at its next reference', () => {
    const first = credentialReference(credential).passwordFile;
    rmSync(first);
    const again = credentialReference(credential).passwordFile;
    expect.equal(again, first);
    expect.equal(readFileSync(again, 'utf8'), credential.password);
  });
});
