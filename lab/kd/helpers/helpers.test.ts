/**
 * The console helper a Windows lab uses to break kd in (Send-KdCtrlC.ps1) cannot run here: it is
 * held to the real PowerShell grammar, and to the calls lab/kd/README.md says it must make, in order.
 */
import { strict as expect } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { nodesOfType, parsePowerShell, syntaxProblems } from '../../hyperv/grammar.testkit.js';

const script = readFileSync(new URL('./Send-KdCtrlC.ps1', import.meta.url), 'utf8');

describe('the console helper for breaking kd in on Windows', () => {
  it('is valid PowerShell', async () => {
    expect.deepEqual(syntaxProblems(await parsePowerShell(script)), []);
  });

  it('leaves its console, attaches to kd’s, ignores CTRL+C itself, raises it, and leaves', async () => {
    const root = await parsePowerShell(script);
    const calls = nodesOfType(root, 'invokation_expression')
      .map((n) => /::(\w+)\(/.exec(n.text)?.[1])
      .filter((name): name is string => name !== undefined && /Console|CtrlEvent|CtrlHandler/.test(name));
    expect.deepEqual(calls, [
      'FreeConsole',
      'AttachConsole',
      'SetConsoleCtrlHandler',
      'GenerateConsoleCtrlEvent',
      'FreeConsole',
    ]);
    expect.match(script, /GenerateConsoleCtrlEvent\(\$CTRL_C_EVENT, 0\)/);
    expect.match(script, /\$CTRL_C_EVENT = 0\b/);
    expect.match(script, /SetConsoleCtrlHandler\(\[IntPtr\]::Zero, \$true\)/);
  });
});
