import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { editionProblems } from '../../test/kits/hyperv/edition.testkit.js';
import { parsePowerShell } from '../../test/kits/hyperv/grammar.testkit.js';
import { exampleParams } from '../../test/kits/hyperv/script.testkit.js';
import { editionRefusal } from './edition.js';
import { operationNames } from './ops/operations.js';
import { buildScript } from './script.js';

describe('the edition check (Windows PowerShell 5.1 and PowerShell 7)', () => {
  it('finds nothing 7-only in any operation script', async () => {
    for (const name of operationNames) {
      const root = await parsePowerShell(buildScript(name, exampleParams(name)));
      expect.deepEqual(editionProblems(root, `The ${name} script`), [], name);
    }
  });

  it('fails a script that uses ?? with a sentence naming the line', async () => {
    const script = buildScript('Get-VM', exampleParams('Get-VM')).replace(
      'ConvertTo-DriverlabVmRecord (Get-DriverlabVm $p.vmName)',
      '$name = $p.vmName ?? "win11-a"\nConvertTo-DriverlabVmRecord (Get-DriverlabVm $name)',
    );
    const problems = editionProblems(await parsePowerShell(script), 'The Get-VM script');
    expect.equal(problems.length >= 1, true);
    expect.match(
      problems[0] ?? '',
      /^The Get-VM script uses the null-coalescing operator \?\? \(or \?\?=\) on line \d+, which only PowerShell 7 has; write it with if\/else so Windows PowerShell 5.1 runs it too\.$/,
    );
  });

  it('fails ConvertFrom-Json -AsHashtable, the ternary and && with sentences', async () => {
    const text = [
      "$a = '{}' | ConvertFrom-Json -AsHashtable",
      "$b = $a ? 'yes' : 'no'",
      'Get-Date && Get-Date',
    ].join('\n');
    const problems = editionProblems(await parsePowerShell(text), 'The test script');
    expect.deepEqual(problems, [
      'The test script calls convertfrom-json with -AsHashtable on line 1, which only PowerShell 7 has; Windows PowerShell 5.1 would fail there.',
      'The test script uses the ternary operator ? : on line 2, which only PowerShell 7 has; write it with if/else so Windows PowerShell 5.1 runs it too.',
      'The test script uses the pipeline chain operator && on line 3, which only PowerShell 7 has; use if ($?) { … } so Windows PowerShell 5.1 runs it too.',
    ]);
  });
});

describe('the PowerShell a host may use', () => {
  it('refuses PowerShell 7 on a host older than build 17763, with a sentence', () => {
    expect.equal(
      editionRefusal({ psEdition: 'Core', psVersion: '7.4.6', osVersion: '10.0.14393.0' }, 'pwsh'),
      "runs Windows build 14393, older than 17763 (Windows Server 2019), where 'pwsh' (PowerShell 7.4.6) reaches Hyper-V only through the compatibility layer, whose objects no -VM parameter binds; set the host's shell in the lab file to powershell (Windows PowerShell 5.1).",
    );
  });

  it('accepts Windows PowerShell 5.1 there, and PowerShell 7 from build 17763 on', () => {
    expect.equal(
      editionRefusal(
        { psEdition: 'Desktop', psVersion: '5.1.14393.0', osVersion: '10.0.14393.0' },
        'powershell',
      ),
      null,
    );
    expect.equal(
      editionRefusal({ psEdition: 'Core', psVersion: '7.4.6', osVersion: '10.0.17763.0' }, 'pwsh'),
      null,
    );
  });
});
