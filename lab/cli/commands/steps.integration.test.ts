import { deepStrictEqual, equal, match, ok } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { type CliRun, runDriverlab } from '../../../test/kits/cli/cli.testkit.js';
import { StepCatalog } from '../../catalog/steps.js';
import { paths } from '../../paths.js';

describe('driverlab steps', { timeout: 120_000 }, () => {
  let md: CliRun;
  let json: CliRun;
  before(async () => {
    [md, json] = await Promise.all([runDriverlab(['steps']), runDriverlab(['steps', '--format', 'json'])]);
  });

  test('docs/steps.md is what the command prints (regenerate it when this fails)', () => {
    equal(md.code, 0, md.stderr);
    const committed = readFileSync(join(paths.root, 'docs', 'steps.md'), 'utf8');
    ok(
      committed === md.stdout,
      'docs/steps.md is stale: run `node bin/driverlab.js steps > docs/steps.md` and commit it',
    );
  });

  test('every step has a description and an example, by domain, with the parameter types', () => {
    equal(json.code, 0, json.stderr);
    const catalog = StepCatalog.parse(JSON.parse(json.stdout));
    const domains = catalog.domains.map((d) => d.name);
    for (const d of [
      'bcd',
      'crash',
      'debugger',
      'driver',
      'eventlog',
      'filters',
      'memory',
      'network',
      'storage',
      'verifier',
      'vm',
      'vss',
    ]) {
      ok(domains.includes(d), `domain ${d}`);
    }
    deepStrictEqual(
      catalog.parameterTypes
        .map((p) => p.name)
        .filter((n) => ['vm', 'driver', 'verifierFlags', 'bugcheck', 'hex', 'port', 'duration'].includes(n)),
      ['bugcheck', 'driver', 'duration', 'hex', 'port', 'verifierFlags', 'vm'],
    );
    const verifier = catalog.domains.find((d) => d.name === 'verifier');
    deepStrictEqual(verifier?.steps[0], {
      keyword: 'Given',
      expression: 'Driver Verifier checks {driver} with {verifierFlags}',
      description:
        'Sets Driver Verifier options for one driver, reboots, and confirms the guest runs with them',
      example: 'Given Driver Verifier checks myfault.sys with special pool',
    });
    match(
      md.stdout,
      /^\| `Given Driver Verifier checks \{driver\} with \{verifierFlags\}` +\| Sets Driver Verifier options/m,
    );
  });

  test('a wrong format is a usage error', async () => {
    const r = await runDriverlab(['steps', '--format', 'yaml']);
    equal(r.code, 2);
    equal(r.stderr.trim(), "'driverlab steps' has no format 'yaml'; choose md or json.");
  });
});
