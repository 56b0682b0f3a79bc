/**
 * Turns an operation into the PowerShell the adapter sends.
 *
 * Every script has the same frame: a header naming the operation, the parameters as ONE JSON
 * document in a single-quoted here-string (parsed with ConvertFrom-Json), the operation's body as a
 * script block, and a reply written between markers as JSON. No value is ever spliced into code:
 * the JSON is written on one line with every character outside printable ASCII escaped, so it can
 * contain neither a line break nor anything PowerShell reads as the end of the here-string.
 *
 * On the wire the script travels as one line that decodes and runs it, because `pwsh -Command -`
 * reads standard input line by line and a multi-line statement would need a blank line to end it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../paths.js';
import { type OperationName, operations } from './ops/catalog.js';

export const OP_HEADER_PREFIX = '# driverlab-op: ';
export const MARKERS = {
  beginOutput: '===Begin-Output===',
  endOutput: '===End-Output===',
  beginError: '===Begin-Error===',
  endError: '===End-Error===',
} as const;

/** Where an operation runs: the local shell, or a remote Hyper-V host through Invoke-Command. */
export interface ScriptTarget {
  computerName: string | null;
  credential: { user: string; password: string } | null;
}

export const localTarget: ScriptTarget = { computerName: null, credential: null };

const bodies = new Map<OperationName, string>();

/** The body of an operation: lab/hyperv/ops/scripts/<Name>.ps1, a script block taking $p. */
export function operationBody(name: OperationName): string {
  let body = bodies.get(name);
  if (body === undefined) {
    body = readFileSync(join(paths.operationScripts, `${name}.ps1`), 'utf8').replace(/\r\n/g, '\n');
    bodies.set(name, body);
  }
  return body;
}

/**
 * JSON on one line with every code unit outside printable ASCII written as \uXXXX: no line break,
 * no smart quote (which PowerShell treats as a quote) and no byte the console code page could
 * mangle can reach the script text.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The data document a script reads: the operation's params and where to run it. */
export interface ScriptInput {
  params: unknown;
  computerName: string | null;
  credential: { user: string; password: string } | null;
}

/** The full, readable script for an operation with already-validated parameters. */
export function buildScript(
  name: OperationName,
  params: unknown,
  target: ScriptTarget = localTarget,
): string {
  const input: ScriptInput = { params, computerName: target.computerName, credential: target.credential };
  const body = operationBody(name)
    .trimEnd()
    .split('\n')
    .map((line) => (line.length > 0 ? `  ${line}` : line))
    .join('\n');
  return `${OP_HEADER_PREFIX}${name}
# ${operations[name].description}
# Parameters arrive as one JSON document, parsed here; no value is part of the code.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Threading.Thread]::CurrentThread.CurrentUICulture = 'en-US'
$driverlabInput = @'
${asciiJson(input)}
'@ | ConvertFrom-Json
$driverlabBody = {
  param($p)
  $ErrorActionPreference = 'Stop'
${body}
}
try {
  if ($driverlabInput.computerName) {
    $remote = @{ ComputerName = $driverlabInput.computerName; ScriptBlock = $driverlabBody; ArgumentList = @(,$driverlabInput.params) }
    if ($driverlabInput.credential) {
      $secure = ConvertTo-SecureString -String $driverlabInput.credential.password -AsPlainText -Force
      $remote.Credential = New-Object System.Management.Automation.PSCredential ($driverlabInput.credential.user, $secure)
    }
    $driverlabResult = Invoke-Command @remote
  } else {
    $driverlabResult = & $driverlabBody $driverlabInput.params
  }
  [Console]::Out.WriteLine('${MARKERS.beginOutput}')
  [Console]::Out.WriteLine((ConvertTo-Json -InputObject $driverlabResult -Depth 8 -Compress))
  [Console]::Out.WriteLine('${MARKERS.endOutput}')
} catch {
  $driverlabError = [ordered]@{
    error = $_.Exception.Message
    fqid = "$($_.FullyQualifiedErrorId)"
    type = $_.Exception.GetType().FullName
    category = "$($_.CategoryInfo.Category)"
  }
  [Console]::Out.WriteLine('${MARKERS.beginError}')
  [Console]::Out.WriteLine((ConvertTo-Json -InputObject $driverlabError -Depth 3 -Compress))
  [Console]::Out.WriteLine('${MARKERS.endError}')
}
`;
}

const WIRE_PREFIX = "& ([scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('";
const WIRE_SUFFIX = "'))))";

/** The one line sent to the shell: it decodes the script (UTF-8, base64) and runs it. */
export function wireLine(script: string): string {
  return `${WIRE_PREFIX}${Buffer.from(script, 'utf8').toString('base64')}${WIRE_SUFFIX}`;
}

/** The script inside a wire line, or null when the line is not one (used by the embedded host). */
export function scriptFromWireLine(line: string): string | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith(WIRE_PREFIX) || !trimmed.endsWith(WIRE_SUFFIX)) return null;
  const b64 = trimmed.slice(WIRE_PREFIX.length, trimmed.length - WIRE_SUFFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return null;
  return Buffer.from(b64, 'base64').toString('utf8');
}
