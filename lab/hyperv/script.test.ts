import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import {
  nodesOfType,
  parsePowerShell,
  skeleton,
  syntaxProblems,
} from '../../test/kits/hyperv/grammar.testkit.js';
import { dataOf, exampleParams, TARGETS } from '../../test/kits/hyperv/script.testkit.js';
import { operationNames } from './ops/operations.js';
import {
  asciiJson,
  buildScript,
  functionsFor,
  OP_HEADER_PREFIX,
  type ScriptInput,
  scriptFromWireLine,
  scriptInput,
  sharedFunctionNames,
  wireLine,
} from './script.js';

const DATA = 'verbatim_here_string_characters';

describe('every script the adapter can emit', () => {
  for (const name of operationNames) {
    for (const [where, target] of Object.entries(TARGETS)) {
      it(`parses with the PowerShell grammar without an error: ${name}, ${where}`, async () => {
        const params = exampleParams(name);
        const script = buildScript(name, params, target);
        const root = await parsePowerShell(script);
        expect.deepEqual(syntaxProblems(root), []);
        // Exactly one here-string, and it holds the data document, which is the input, exactly.
        const data = nodesOfType(root, DATA);
        expect.equal(data.length, 1);
        const input: ScriptInput = scriptInput(params, target);
        expect.deepEqual(dataOf(data[0]?.text ?? ''), input);
        expect.ok(script.startsWith(`${OP_HEADER_PREFIX}${name}\n`));

        const wire = wireLine(script);
        expect.equal(wire.includes('\n'), false);
        expect.deepEqual(syntaxProblems(await parsePowerShell(wire)), []);
        expect.equal(scriptFromWireLine(wire), script);
      });
    }
  }

  it('names only shared functions that exist, and every shared function serves some operation', () => {
    const used = new Set(operationNames.flatMap((name) => functionsFor(name)));
    expect.deepEqual([...used].sort(), sharedFunctionNames());
  });

  it('defines each shared function before the functions that use it', () => {
    const order = functionsFor('Restore-VMCheckpoint');
    expect.ok(order.indexOf('New-DriverlabError') < order.indexOf('Get-DriverlabVm'));
    expect.ok(order.indexOf('New-DriverlabError') < order.indexOf('Get-DriverlabCheckpoint'));
    const script = buildScript('Restore-VMCheckpoint', exampleParams('Restore-VMCheckpoint'));
    expect.equal(script.split('function New-DriverlabError {').length, 2, 'defined exactly once');
  });
});

describe('the syntax check', () => {
  it('finds the error when a value breaks out of the data document', async () => {
    // What splicing would do: the value ends the here-string and the rest becomes code.
    const script = buildScript('Get-VM', { vmName: 'PLACEHOLDER' });
    const spliced = script.replace(
      '"PLACEHOLDER"',
      `"x"}\n'@ | ConvertFrom-Json\nRemove-Item C:\\ -Recurse -Force)\n$y = @'\n{"z":"`,
    );
    const root = await parsePowerShell(spliced);
    expect.ok(syntaxProblems(root).length > 0 || nodesOfType(root, DATA).length !== 1);
    // And the real builder writes the same value as escaped data.
    const safe = buildScript('Get-VM', {
      vmName: `x"}\n'@ | ConvertFrom-Json\nRemove-Item C:\\ -Recurse -Force)`,
    });
    const safeRoot = await parsePowerShell(safe);
    expect.deepEqual(syntaxProblems(safeRoot), []);
    expect.equal(nodesOfType(safeRoot, DATA).length, 1);
    expect.equal(
      skeleton(safeRoot, DATA),
      skeleton(await parsePowerShell(buildScript('Get-VM', { vmName: 'x' })), DATA),
    );
  });

  it('writes the data document as one line of printable ASCII', () => {
    expect.equal(
      asciiJson({ s: "a'@\n\u2028‘’“”\0é😀" }),
      '{"s":"a\'@\\n\\u2028\\u2018\\u2019\\u201c\\u201d\\u0000\\u00e9\\ud83d\\ude00"}',
    );
  });
});
