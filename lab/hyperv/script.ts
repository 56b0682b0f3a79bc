/**
 * Turns an operation into the PowerShell the adapter sends.
 *
 * Every script has the same frame: a header naming the operation, the parameters as ONE JSON
 * document in a single-quoted here-string (parsed with ConvertFrom-Json), the operation's body
 * inside a script block, and a reply written between markers as JSON. No value is ever spliced into
 * code: the JSON is written on one line with every character outside printable ASCII escaped, so it
 * can contain neither a line break nor anything PowerShell reads as the end of the here-string
 * (PowerShell also takes the typographic quotes ‘ ’ ‚ ‛ for ', which is why those are escaped too).
 *
 * The body runs inside `$driverlabOperation`, a script block that also turns the body's one result
 * (or its error) into the marked JSON reply. Locally the block is invoked in place; for a remote
 * Hyper-V host it is sent with Invoke-Command over a PSSession kept in the shell, so the JSON is
 * made on the host that ran the body and nothing PowerShell adds to remoted objects
 * (PSComputerName, RunspaceId) reaches the reply. Shared functions a body names in a
 * `# uses: Name` line (lab/hyperv/ops/shared/<Name>.ps1) are defined inside the block for the
 * same reason: they must travel with it.
 *
 * On the wire the script travels as one line that decodes and runs it, because `pwsh -Command -`
 * reads standard input line by line and a multi-line statement would need a blank line to end it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../paths.js';
import { type CredentialReference, credentialReference, hasPassword } from './credentials.js';
import { type OperationName, operations } from './ops/operations.js';

export const OP_HEADER_PREFIX = '# driverlab-op: ';
export const MARKERS = {
  beginOutput: '===Begin-Output===',
  endOutput: '===End-Output===',
  beginError: '===Begin-Error===',
  endError: '===End-Error===',
} as const;

/** A credential as the adapter resolves it; the script gets a reference to it, never the password. */
export interface PlainCredential {
  user: string;
  password: string;
}

/** Where an operation runs: the local shell, or a remote Hyper-V host through Invoke-Command. */
export interface ScriptTarget {
  computerName: string | null;
  credential: PlainCredential | CredentialReference | null;
}

export const localTarget: ScriptTarget = { computerName: null, credential: null };

/** The data document a script reads: the operation's params and where to run it. */
export interface ScriptInput {
  params: unknown;
  computerName: string | null;
  credential: CredentialReference | null;
}

/** The key of a text sent as its UTF-16 code units (see protectText). */
export const TEXT_KEY = 'driverlabChars';
const DATE_LIKE = /^\s*\d{4}-\d{2}-\d{2}|\/Date\(/;

/**
 * Every string that ConvertFrom-Json could read as a date (ISO-looking on 6.0–7.4, "\/Date(…)\/"
 * on 5.1) as { driverlabChars: [code units] }, which the script's frame turns back into text.
 */
export function protectText(value: unknown): unknown {
  if (typeof value === 'string') {
    return DATE_LIKE.test(value) ? { [TEXT_KEY]: [...value].flatMap((c) => codeUnits(c)) } : value;
  }
  if (Array.isArray(value)) return value.map(protectText);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, protectText(v)]));
  }
  return value;
}

function codeUnits(c: string): number[] {
  return Array.from({ length: c.length }, (_, i) => c.charCodeAt(i));
}

/** The inverse of protectText, for whoever reads a data document (the embedded lab host). */
export function unprotectText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unprotectText);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]?.[0] === TEXT_KEY && Array.isArray(entries[0][1])) {
      return String.fromCharCode(...(entries[0][1] as number[]));
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, unprotectText(v)]));
  }
  return value;
}

/** The params with a guest credential's password replaced by a reference to a host file. */
function withoutPasswords(params: unknown): unknown {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return params;
  const credential = (params as { credential?: unknown }).credential;
  if (!hasPassword(credential)) return params;
  return { ...(params as Record<string, unknown>), credential: credentialReference(credential) };
}

const sharedDir = join(paths.operationScripts, '..', 'shared');
const USES = /^#\s*uses:\s*(.*)$/;
const FUNCTION_NAME = /^[A-Z][A-Za-z]+-Driverlab[A-Za-z]+$/;

interface ScriptSource {
  /** The text with CRLF normalised and the `# uses:` lines taken out. */
  text: string;
  uses: string[];
}

const sources = new Map<string, ScriptSource>();

function readSource(path: string): ScriptSource {
  let source = sources.get(path);
  if (source === undefined) {
    const uses: string[] = [];
    const kept: string[] = [];
    for (const line of readFileSync(path, 'utf8').replace(/\r\n/g, '\n').trimEnd().split('\n')) {
      const m = USES.exec(line.trim());
      if (m) uses.push(...(m[1] ?? '').split(/[\s,]+/).filter(Boolean));
      else kept.push(line);
    }
    source = { text: kept.join('\n'), uses };
    sources.set(path, source);
  }
  return source;
}

let sharedNames: string[] | undefined;

/** The names of the shared functions there are (lab/hyperv/ops/shared/<Name>.ps1), read once per process. */
export function sharedFunctionNames(): string[] {
  sharedNames ??= readdirSync(sharedDir)
    .filter((f) => f.endsWith('.ps1'))
    .map((f) => f.slice(0, -4))
    .sort();
  return [...sharedNames];
}

function sharedFunction(name: string, neededBy: string): ScriptSource {
  if (!FUNCTION_NAME.test(name) || !sharedFunctionNames().includes(name)) {
    throw new Error(
      `${neededBy} uses '${name}', which is not a shared function in lab/hyperv/ops/shared (there are: ${sharedFunctionNames().join(', ')}).`,
    );
  }
  return readSource(join(sharedDir, `${name}.ps1`));
}

/**
 * The shared functions an operation needs, each once, a function before those that use it; a
 * cycle or an unknown name is a defect of the scripts and stops the build.
 */
export function functionsFor(name: OperationName): string[] {
  let ordered = functionsOf.get(name);
  if (ordered === undefined) {
    ordered = orderFunctions(name);
    functionsOf.set(name, ordered);
  }
  return [...ordered];
}

/** The shared functions of each operation, worked out once per process (the scripts do not change under it). */
const functionsOf = new Map<OperationName, string[]>();

function orderFunctions(name: OperationName): string[] {
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (fn: string, neededBy: string): void => {
    if (ordered.includes(fn)) return;
    if (visiting.has(fn))
      throw new Error(`The shared functions ${[...visiting, fn].join(' → ')} use each other in a cycle.`);
    visiting.add(fn);
    for (const dep of sharedFunction(fn, neededBy).uses) visit(dep, fn);
    visiting.delete(fn);
    ordered.push(fn);
  };
  for (const fn of operationSource(name).uses) visit(fn, `The ${name} script`);
  return ordered;
}

function operationSource(name: OperationName): ScriptSource {
  return readSource(join(paths.operationScripts, `${name}.ps1`));
}

/** The body of an operation: lab/hyperv/ops/scripts/<Name>.ps1 without its `# uses:` lines. */
export function operationBody(name: OperationName): string {
  return operationSource(name).text;
}

/**
 * JSON on one line with every code unit outside printable ASCII written as \uXXXX: no line break,
 * no typographic quote (which PowerShell treats as a quote) and no byte the console code page could
 * mangle can reach the script text.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line.length > 0 ? `${pad}${line}` : line))
    .join('\n');
}

/**
 * Turns the body's one result, or the error that stopped it, into the reply: JSON between markers,
 * made pure ASCII (\uXXXX) so that no console code page can change it on the way back.
 */
const FORMAT_REPLY = `function Format-DriverlabReply {
  param($Result, $Failure)
  if ($null -ne $Failure) {
    $begin = '${MARKERS.beginError}'
    $end = '${MARKERS.endError}'
    $value = [ordered]@{
      error = "$($Failure.Exception.Message)"
      fqid = "$($Failure.FullyQualifiedErrorId)"
      type = $Failure.Exception.GetType().FullName
      category = "$($Failure.CategoryInfo.Category)"
    }
  } else {
    $begin = '${MARKERS.beginOutput}'
    $end = '${MARKERS.endOutput}'
    $value = $Result
  }
  $json = ConvertTo-Json -InputObject $value -Depth 8 -Compress
  $ascii = [regex]::Replace($json, '[^\\x00-\\x7F]', { param($m) '\\u{0:x4}' -f [int][char]$m.Value })
  $begin + "\`n" + $ascii + "\`n" + $end
}`;

/** The data document of a script: the params and target, every password replaced by a reference. */
export function scriptInput(params: unknown, target: ScriptTarget = localTarget): ScriptInput {
  return {
    params: protectText(withoutPasswords(params)),
    computerName: target.computerName,
    credential: hasPassword(target.credential) ? credentialReference(target.credential) : target.credential,
  };
}

/** The full, readable script for an operation with already-validated parameters. */
export function buildScript(
  name: OperationName,
  params: unknown,
  target: ScriptTarget = localTarget,
): string {
  const input = scriptInput(params, target);
  const functions = functionsFor(name).map((fn) => readSource(join(sharedDir, `${fn}.ps1`)).text);
  return `${OP_HEADER_PREFIX}${name}
# ${operations[name].description}
# Parameters arrive as one JSON document, parsed here; no value is part of the code.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$driverlabInput = @'
${asciiJson(input)}
'@ | ConvertFrom-Json
# Text that looks like a date travels as its character codes: PowerShell 6.0 to 7.4 turn an
# ISO-looking string into a [datetime] and 5.1 a "/Date(...)/" one, so a checkpoint name, an
# argument or a registry value would change on the way in. Here it becomes text again.
function ConvertFrom-DriverlabData {
  param($Value)
  if ($Value -is [System.Management.Automation.PSCustomObject]) {
    $names = @($Value.PSObject.Properties | ForEach-Object { $_.Name })
    if ($names.Count -eq 1 -and $names[0] -eq '${TEXT_KEY}') {
      return (-join [char[]]@($Value.${TEXT_KEY} | ForEach-Object { [int]$_ }))
    }
    foreach ($property in @($Value.PSObject.Properties)) { $property.Value = ConvertFrom-DriverlabData $property.Value }
    return $Value
  }
  if ($Value -is [array]) { return ,@($Value | ForEach-Object { ConvertFrom-DriverlabData $_ }) }
  $Value
}
$driverlabInput = ConvertFrom-DriverlabData $driverlabInput
# A credential arrives as a reference to a host file; it becomes a PSCredential here, on this host.
function ConvertFrom-DriverlabCredentialReference {
  param($Reference)
  if ($null -ne $Reference.PSObject.Properties['credentialFile']) {
    # A PSCredential the operator saved on this host with Export-Clixml (DPAPI-protected).
    $imported = Import-Clixml -LiteralPath "$($Reference.credentialFile)"
    if ($imported -isnot [System.Management.Automation.PSCredential]) {
      throw "The credential file '$($Reference.credentialFile)' holds no PSCredential; write it with Get-Credential | Export-Clixml."
    }
    return $imported
  }
  $secret = ConvertTo-SecureString -String ([IO.File]::ReadAllText("$($Reference.passwordFile)")) -AsPlainText -Force
  New-Object System.Management.Automation.PSCredential ("$($Reference.user)", $secret)
}
if ($driverlabInput.params -is [psobject] -and $null -ne $driverlabInput.params.PSObject.Properties['credential']) {
  $driverlabInput.params.credential = ConvertFrom-DriverlabCredentialReference $driverlabInput.params.credential
}
$driverlabOperation = {
  param($p)
  Set-StrictMode -Version Latest
  $ErrorActionPreference = 'Stop'
  $ProgressPreference = 'SilentlyContinue'
  [Threading.Thread]::CurrentThread.CurrentUICulture = 'en-US'
${indent([FORMAT_REPLY, ...functions].join('\n'), 2)}
  try {
    $driverlabResult = @(& {
${indent(operationBody(name), 6)}
    })
    if ($driverlabResult.Count -ne 1) {
      throw "The ${name} script produced $($driverlabResult.Count) results instead of one."
    }
    Format-DriverlabReply -Result $driverlabResult[0]
  } catch {
    Format-DriverlabReply -Failure $_
  }
}
${FORMAT_REPLY}
try {
  if ($driverlabInput.computerName) {
    # A remote Hyper-V host: one PSSession per host, kept in this shell and opened again when broken.
    if ($null -eq $global:DriverlabRemoteSessions) { $global:DriverlabRemoteSessions = @{} }
    $driverlabSession = $global:DriverlabRemoteSessions[$driverlabInput.computerName]
    if ($null -eq $driverlabSession -or "$($driverlabSession.State)" -ne 'Opened') {
      $driverlabConnect = @{ ComputerName = $driverlabInput.computerName }
      if ($driverlabInput.credential) {
        $driverlabConnect.Credential = ConvertFrom-DriverlabCredentialReference $driverlabInput.credential
      }
      # A broken session is removed, not only replaced: it would hold its server-side resources.
      if ($null -ne $driverlabSession) { Remove-PSSession -Session $driverlabSession -ErrorAction SilentlyContinue }
      $driverlabSession = New-PSSession @driverlabConnect
      $global:DriverlabRemoteSessions[$driverlabInput.computerName] = $driverlabSession
    }
    $driverlabReply = Invoke-Command -Session $driverlabSession -ScriptBlock $driverlabOperation -ArgumentList @(,$driverlabInput.params)
  } else {
    $driverlabReply = & $driverlabOperation $driverlabInput.params
  }
} catch {
  $driverlabReply = Format-DriverlabReply -Failure $_
}
[Console]::Out.WriteLine([string]$driverlabReply)
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
