import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { type CliRun, runDriverlab } from '../../../test/kits/cli/cli.testkit.js';
import { operationNames, operations } from '../../hyperv/ops/operations.js';
import { buildScript, scriptFromWireLine } from '../../hyperv/script.js';

const driverlab = (...argv: string[]): Promise<CliRun> => runDriverlab(argv);

describe('driverlab ops', () => {
  it('list prints every operation with its description', async () => {
    const r = await driverlab('ops', 'list');
    expect.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    expect.equal(lines.length, operationNames.length);
    expect.match(lines[0] ?? '', /^Get-VM {2,}Reads a VM's power state, heartbeat, uptime and status\.$/);
    for (const name of operationNames)
      expect.ok(
        lines.some((l) => l.startsWith(`${name} `)),
        name,
      );
  });

  it('list --json gives each operation its parameters as JSON Schema', async () => {
    const r = await driverlab('ops', 'list', '--json');
    expect.equal(r.code, 0);
    const entries = JSON.parse(r.stdout) as {
      name: string;
      description: string;
      params: Record<string, unknown>;
    }[];
    expect.deepEqual(
      entries.map((e) => e.name),
      operationNames,
    );
    const stop = entries.find((e) => e.name === 'Stop-VM');
    expect.deepEqual(stop?.params, {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        vmName: {
          type: 'string',
          minLength: 1,
          maxLength: 100,
          description: 'the VM name as Hyper-V knows it',
        },
        turnOff: { type: 'boolean', default: false },
        forceSeconds: { type: 'number', default: 120, exclusiveMinimum: 0, maximum: 3600 },
      },
      required: ['vmName'],
      additionalProperties: false,
    });
    const command = entries.find((e) => e.name === 'Invoke-GuestCommand')?.params as {
      required: string[];
      properties: Record<string, unknown>;
    };
    expect.deepEqual(command.required, ['vmName', 'credential', 'file', 'timeoutSeconds']);
    expect.equal(entries.find((e) => e.name === 'Debug-VM')?.description, operations['Debug-VM'].description);
  });

  it('show prints the exact script the adapter sends, from --params or the example', async () => {
    const r = await driverlab(
      'ops',
      'show',
      'Restore-VMCheckpoint',
      '--params',
      '{"vmName":"win10-a","checkpointName":"baseline"}',
    );
    expect.equal(r.code, 0);
    expect.equal(
      r.stdout,
      buildScript('Restore-VMCheckpoint', { vmName: 'win10-a', checkpointName: 'baseline' }),
    );
    expect.match(r.stdout, /Hyper-V\\Restore-VMSnapshot -VMSnapshot \$checkpoint -Confirm:\$false/);
    const example = await driverlab('ops', 'show', 'Stop-VM');
    expect.equal(
      example.stdout,
      buildScript('Stop-VM', { vmName: 'win11-a', turnOff: true, forceSeconds: 120 }),
    );
  });

  it('show fills in defaults and can show the script for a remote host', async () => {
    const r = await driverlab(
      'ops',
      'show',
      'Stop-VM',
      '--params',
      '{"vmName":"win10-a"}',
      '--computer',
      'hv-02',
    );
    expect.equal(
      r.stdout,
      buildScript(
        'Stop-VM',
        { vmName: 'win10-a', turnOff: false, forceSeconds: 120 },
        { computerName: 'hv-02', credential: null },
      ),
    );
  });

  it('show never prints a password: the script names a host file that holds it', async () => {
    const params = JSON.stringify({
      vmName: 'win10-a',
      credential: { user: 'Administrator', password: 'Pa55word!' },
    });
    const script = await driverlab('ops', 'show', 'Test-VMPowerShellDirect', '--params', params);
    expect.equal(script.code, 0);
    expect.equal(script.stdout.includes('Pa55word!'), false);
    expect.match(script.stdout, /"credential":\{"user":"Administrator","passwordFile":"[^"]+\.secret"\}/);
    const wire = await driverlab('ops', 'show', 'Test-VMPowerShellDirect', '--params', params, '--wire');
    expect.equal(wire.stdout.trimEnd().split('\n').length, 1);
    expect.equal(scriptFromWireLine(wire.stdout.trim()), script.stdout);
  });

  it('refuses a name that is no operation with one sentence and exit code 2', async () => {
    const r = await driverlab('ops', 'show', 'Get-Vm');
    expect.equal(r.code, 2);
    expect.equal(r.stdout, '');
    expect.equal(
      r.stderr,
      "'Get-Vm' is not a driverlab operation (did you mean 'Get-VM'?); run 'driverlab ops list' to see them.\n",
    );
    expect.equal(
      (await driverlab('ops', 'show')).stderr,
      "'driverlab ops show' needs the name of an operation; run 'driverlab ops list' to see them.\n",
    );
  });

  it('refuses --params that are not JSON, or that the operation does not take, with exit code 2', async () => {
    const notJson = await driverlab('ops', 'show', 'Get-VM', '--params', '{vmName: win10-a}');
    expect.equal(notJson.code, 2);
    expect.match(
      notJson.stderr,
      /^The --params of 'driverlab ops show Get-VM' are not JSON \(.+\); give one JSON object such as '\{"vmName":"win11-a"\}'\.\n$/,
    );
    const wrong = await driverlab(
      'ops',
      'show',
      'Set-VMComPort',
      '--params',
      '{"vmName":"win10-a","number":3,"pipeName":"a b","extra":1}',
    );
    expect.equal(wrong.code, 2);
    expect.equal(
      wrong.stderr,
      "The --params of 'driverlab ops show Set-VMComPort' do not fit the operation: number must be one of 1, 2 (got 3); pipeName must be a pipe name of letters, digits, _ . - (without \\\\.\\pipe\\) (got \"a b\"); (the top level) has an unknown key 'extra' (allowed: vmName, number, pipeName); run 'driverlab ops list --json' to see its parameters.\n",
    );
  });

  it('refuses a missing or unknown subcommand and options of the other subcommand', async () => {
    expect.deepEqual(await driverlab('ops'), {
      code: 2,
      stdout: '',
      stderr: "'driverlab ops' needs 'list' or 'show'; run 'driverlab ops --help' to see its usage.\n",
    });
    expect.equal((await driverlab('ops', 'run', 'Get-VM')).code, 2);
    expect.equal((await driverlab('ops', 'list', '--wire')).code, 2);
    expect.equal((await driverlab('ops', 'show', 'Get-VM', '--bogus')).code, 2);
  });
});
