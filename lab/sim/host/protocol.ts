/**
 * What the embedded lab host reads from its standard input, exactly as a real pwsh would receive
 * it from the PowerShell session (lab/hyperv/session.ts): the delimiter lines it writes around every command, and the
 * wire line of an operation script. The operation name and its JSON document are read out of the
 * very script text the adapter sent, and the script is checked against the builder's own output
 * for that operation: a script the builder did not make is refused here, as it would fail there.
 */
import { isOperationName, type OperationName } from '../../hyperv/ops/operations.js';
import {
  buildScript,
  OP_HEADER_PREFIX,
  type ScriptInput,
  scriptFromWireLine,
  unprotectText,
} from '../../hyperv/script.js';

export type HostLine =
  | { kind: 'write'; stream: 'stdout' | 'stderr'; text: string }
  | { kind: 'operation'; name: OperationName; input: ScriptInput }
  | { kind: 'refused'; reason: string }
  | { kind: 'blank' }
  | { kind: 'unknown'; text: string };

const CONSOLE_WRITE = /^\[Console\]::(Out|Error)\.WriteLine\("([^"]*)"\)$/;
const DATA_BLOCK = /\n\$driverlabInput = @'\n(.*)\n'@ \| ConvertFrom-Json\n/;

export function readHostLine(line: string): HostLine {
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'blank' };
  const write = CONSOLE_WRITE.exec(trimmed);
  if (write)
    return { kind: 'write', stream: write[1] === 'Out' ? 'stdout' : 'stderr', text: write[2] as string };
  const script = scriptFromWireLine(trimmed);
  if (script === null) return { kind: 'unknown', text: trimmed };
  return readOperationScript(script);
}

export function readOperationScript(script: string): HostLine {
  const firstLine = script.split('\n', 1)[0] ?? '';
  if (!firstLine.startsWith(OP_HEADER_PREFIX)) {
    return { kind: 'refused', reason: 'the script has no driverlab operation header' };
  }
  const name = firstLine.slice(OP_HEADER_PREFIX.length).trim();
  if (!isOperationName(name)) return { kind: 'refused', reason: `'${name}' is not a driverlab operation` };
  const data = DATA_BLOCK.exec(script);
  if (!data) return { kind: 'refused', reason: `the ${name} script has no JSON data block` };
  let input: ScriptInput;
  try {
    input = unprotectText(JSON.parse(data[1] as string)) as ScriptInput;
  } catch {
    return { kind: 'refused', reason: `the ${name} script's data block is not JSON` };
  }
  if (input === null || typeof input !== 'object') {
    return { kind: 'refused', reason: `the ${name} script's data block is not a JSON object` };
  }
  const target = { computerName: input.computerName ?? null, credential: input.credential ?? null };
  let expected: string;
  try {
    expected = buildScript(name, input.params, target);
  } catch (error) {
    return {
      kind: 'refused',
      reason: `the driverlab script builder cannot make the ${name} script here (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  if (expected !== script) {
    return {
      kind: 'refused',
      reason: `the ${name} script differs from what the driverlab script builder makes`,
    };
  }
  return { kind: 'operation', name, input };
}
