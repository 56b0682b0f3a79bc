import { strict as expect } from 'node:assert';
import { delimiter } from 'node:path';
import { describe, it } from 'node:test';
import { paths } from '../../paths.js';
import { embeddedHostCommand } from '../launch.js';
import { standInModulePath } from './launch.js';

describe('which shell the embedded lab starts', () => {
  it('is a real pwsh with the stand-in Hyper-V module first on its module path when DRIVERLAB_EMBEDDED_SHELL=pwsh', () => {
    const saved = { shell: process.env.DRIVERLAB_EMBEDDED_SHELL, pwsh: process.env.DRIVERLAB_PWSH };
    process.env.DRIVERLAB_EMBEDDED_SHELL = 'pwsh';
    process.env.DRIVERLAB_PWSH = '/opt/engines/pwsh';
    try {
      const command = embeddedHostCommand(paths.embeddedLab, 0);
      expect.equal(command.file, '/opt/engines/pwsh');
      expect.deepEqual(command.leadingArgs, []);
      expect.equal(command.env?.PSModulePath?.split(delimiter)[0], standInModulePath);
      const model = JSON.parse(command.env?.DRIVERLAB_STANDIN_ARGS ?? '[]') as string[];
      expect.ok(model.includes(`--lab=${paths.embeddedLab}`));
      expect.ok(model.some((a) => a.startsWith('--state=')));
    } finally {
      for (const [key, value] of [
        ['DRIVERLAB_EMBEDDED_SHELL', saved.shell],
        ['DRIVERLAB_PWSH', saved.pwsh],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('is the Node embedded host otherwise', () => {
    const saved = process.env.DRIVERLAB_EMBEDDED_SHELL;
    delete process.env.DRIVERLAB_EMBEDDED_SHELL;
    try {
      expect.equal(embeddedHostCommand(paths.embeddedLab, 0).file, process.execPath);
    } finally {
      if (saved !== undefined) process.env.DRIVERLAB_EMBEDDED_SHELL = saved;
    }
  });
});
