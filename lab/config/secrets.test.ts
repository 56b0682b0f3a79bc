import { strict as expect } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../errors.js';
import { asciiJson } from '../hyperv/script.js';
import { Redactor, resolveSecret } from './secrets.js';

describe('a secret reference', () => {
  it('resolves from the environment and is redacted from then on', () => {
    const redactor = new Redactor();
    const value = resolveSecret({ env: 'WIN10_A_PASSWORD' }, "the guest password of VM 'win10-a'", {
      baseDir: '.',
      env: { WIN10_A_PASSWORD: 'Pa55word!' },
      redactor,
    });
    expect.equal(value, 'Pa55word!');
    expect.equal(
      redactor.redact('net use \\\\host Pa55word! /user:x'),
      "net use \\\\host «redacted: the guest password of VM 'win10-a'» /user:x",
    );
  });

  it('resolves from a secret file relative to the lab file, without its final line break', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-secret-'));
    try {
      writeFileSync(join(dir, 'key'), '1.2.3.4\r\n');
      const redactor = new Redactor();
      expect.equal(
        resolveSecret({ file: 'key' }, "the KDNET key of VM 'win10-a'", { baseDir: dir, env: {}, redactor }),
        '1.2.3.4',
      );
      expect.equal(redactor.size > 0, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('that cannot be resolved says which secret, where it was looked for, and what to do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driverlab-secret-'));
    try {
      const context = { baseDir: dir, env: { EMPTY: '' }, redactor: new Redactor() };
      expect.throws(
        () => resolveSecret({ env: 'WIN10_A_PASSWORD' }, "the guest password of VM 'win10-a'", context),
        {
          name: 'ConfigurationError',
          message:
            "The guest password of VM 'win10-a' is read from the environment variable WIN10_A_PASSWORD, which is not set; set it, or point the lab file at a secret file with { file: … }.",
        },
      );
      expect.throws(() => resolveSecret({ env: 'EMPTY' }, 'the password', context), ConfigurationError);
      expect.throws(() => resolveSecret({ file: 'nope' }, "the KDNET key of VM 'win10-a'", context), {
        message: `The KDNET key of VM 'win10-a' is read from the secret file '${join(dir, 'nope')}', which cannot be read (ENOENT); create it or fix the reference in the lab file.`,
      });
      writeFileSync(join(dir, 'empty'), '\n');
      expect.throws(() => resolveSecret({ file: 'empty' }, 'the password', context), {
        message: `The password is read from the secret file '${join(dir, 'empty')}', which is empty; put the secret in it.`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the redactor', () => {
  it('also finds a secret in the escaped form it takes inside a JSON data document', () => {
    const redactor = new Redactor();
    const secret = 'p"ä\\ss’';
    redactor.add(secret, 'the password');
    // How the operation scripts carry it: JSON with everything outside printable ASCII as \\uXXXX.
    const inScript = asciiJson({ password: secret });
    expect.equal(inScript, '{"password":"p\\"\\u00e4\\\\ss\\u2019"}');
    expect.equal(redactor.redact(inScript), '{"password":"«redacted: the password»"}');
    expect.equal(
      redactor.redact(JSON.stringify({ password: secret })),
      '{"password":"«redacted: the password»"}',
    );
  });

  it('replaces the longest secret first and leaves values shorter than 4 characters alone', () => {
    const redactor = new Redactor();
    redactor.add('abc', 'short');
    redactor.add('secret', 'inner');
    redactor.add('secret-and-more', 'outer');
    expect.equal(redactor.redact('abc secret-and-more secret'), 'abc «redacted: outer» «redacted: inner»');
  });
});
