import { strict as expect } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findEngine } from './engines.testkit.js';

const pwsh = {
  name: 'pwsh',
  envVar: 'DRIVERLAB_PWSH',
  programs: ['pwsh'],
  enable: 'run bash .ci/engines/pwsh.sh install',
};
const dir = mkdtempSync(join(tmpdir(), 'driverlab-engines-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('finding an engine for the engine tier', () => {
  it('takes the variable first, then a program on PATH', () => {
    expect.equal(findEngine(pwsh, { env: { DRIVERLAB_PWSH: '/opt/pwsh/pwsh', PATH: '' } }), '/opt/pwsh/pwsh');
    const program = join(dir, process.platform === 'win32' ? 'pwsh.EXE' : 'pwsh');
    writeFileSync(program, '', { mode: 0o755 });
    expect.equal(findEngine(pwsh, { env: { PATH: dir, PATHEXT: '.EXE' } }), program);
  });

  it('prints one line and gives null when the engine is missing outside CI', () => {
    const lines: string[] = [];
    expect.equal(findEngine(pwsh, { env: { PATH: '' }, print: (l) => lines.push(l) }), null);
    expect.deepEqual(lines, [
      'engines: the pwsh tests did not run because DRIVERLAB_PWSH is not set and pwsh is not on PATH; to run them, run bash .ci/engines/pwsh.sh install.',
    ]);
  });

  it('fails with a sentence when the engine is missing in CI', () => {
    expect.throws(() => findEngine(pwsh, { env: { PATH: '', CI: 'true' }, print: () => {} }), {
      message:
        'The pwsh engine tests cannot run in CI because DRIVERLAB_PWSH is not set and pwsh is not on PATH; run bash .ci/engines/pwsh.sh install (see .ci/engines/README.md).',
    });
  });
});
