/**
 * `driverlab ops`: the Hyper-V operations the adapter can run, and the exact PowerShell it sends for
 * one of them, so a lab engineer can read (or run by hand) what driverlab does on the host.
 */
import * as z from 'zod';
import { formatSchemaIssues } from '../../config/zod-errors.js';
import {
  isOperationName,
  type OperationName,
  operationNames,
  operations,
} from '../../hyperv/ops/operations.js';
import { buildScript, type ScriptTarget, wireLine } from '../../hyperv/script.js';
import { closest } from '../../util/similar.js';
import { type CliIo, type Command, EXIT, parseCommandArgs, UsageError } from '../command.js';

const HELP = `Usage: driverlab ops list [--json]
       driverlab ops show <operation> [--params JSON] [--computer NAME] [--wire]

Lists the PowerShell operations the Hyper-V adapter runs on a lab host, or prints the script it
would send for one of them. Every operation takes its parameters as one JSON document, which the
script parses; no value is ever part of the code.

Options:
  --json            list: an array of {name, description, params}, params being the JSON Schema of
                    the operation's parameters
  --params JSON     show: the operation's parameters (default: its example parameters)
  --computer NAME   show: the script as sent to a remote Hyper-V host (through a PowerShell session)
  --wire            show: the one line sent to the shell instead of the readable script
  -h, --help        this text

Passwords in the parameters are shown as <redacted>, in the script and in the wire line alike.
Exit code: 0 when the list or script was printed, 2 for a wrong command line, operation or parameters.`;

/** The JSON Schema of an operation's parameters, as a caller writes them (defaults may be left out). */
export function paramsSchema(name: OperationName): unknown {
  return z.toJSONSchema(operations[name].params, { io: 'input' });
}

function list(json: boolean, io: CliIo): number {
  if (json) {
    const entries = operationNames.map((name) => ({
      name,
      description: operations[name].description,
      params: paramsSchema(name),
    }));
    io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...operationNames.map((n) => n.length));
  io.stdout(`${operationNames.map((n) => `${n.padEnd(width)}  ${operations[n].description}`).join('\n')}\n`);
  return EXIT.ok;
}

/** The params with every password replaced, so nothing secret reaches the terminal. */
function redactPasswords(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactPasswords);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === 'password' && typeof v === 'string' ? '<redacted>' : redactPasswords(v),
      ]),
    );
  }
  return value;
}

function operationNamed(name: string | undefined): OperationName {
  if (name === undefined) {
    throw new UsageError(
      "'driverlab ops show' needs the name of an operation; run 'driverlab ops list' to see them.",
    );
  }
  if (isOperationName(name)) return name;
  const like = closest(name, operationNames);
  const hint = like.length > 0 ? ` (did you mean '${like.join("' or '")}'?)` : '';
  throw new UsageError(
    `'${name}' is not a driverlab operation${hint}; run 'driverlab ops list' to see them.`,
  );
}

function paramsFor(name: OperationName, text: string | undefined): unknown {
  if (text === undefined) return (operations[name].params as z.ZodType).parse(operations[name].example);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `The --params of 'driverlab ops show ${name}' are not JSON (${(error as Error).message.replace(/\.$/, '')}); give one JSON object such as '${JSON.stringify(operations[name].example)}'.`,
      { cause: error },
    );
  }
  const schema = operations[name].params as z.ZodType;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(
      `The --params of 'driverlab ops show ${name}' do not fit the operation: ${formatSchemaIssues(schema, parsed.error.issues, raw)}; run 'driverlab ops list --json' to see its parameters.`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

async function ops(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('ops', args, {
    json: { type: 'boolean' },
    params: { type: 'string' },
    computer: { type: 'string' },
    wire: { type: 'boolean' },
  });
  const [sub, name, ...extra] = positionals;
  if (sub === 'list') {
    if (name !== undefined) throw new UsageError(`'driverlab ops list' takes no argument '${name}'.`);
    if (values.params !== undefined || values.computer !== undefined || values.wire) {
      throw new UsageError(
        "'driverlab ops list' takes only --json; --params, --computer and --wire belong to 'driverlab ops show'.",
      );
    }
    return list(values.json ?? false, io);
  }
  if (sub === 'show') {
    const operation = operationNamed(name);
    if (extra.length > 0)
      throw new UsageError(`'driverlab ops show' takes one operation, not also '${extra[0]}'.`);
    if (values.json) throw new UsageError("'driverlab ops show' has no --json; the script is the output.");
    const params = redactPasswords(paramsFor(operation, values.params));
    const target: ScriptTarget = { computerName: values.computer ?? null, credential: null };
    const script = buildScript(operation, params, target);
    io.stdout(values.wire ? `${wireLine(script)}\n` : script);
    return EXIT.ok;
  }
  throw new UsageError(
    sub === undefined
      ? "'driverlab ops' needs 'list' or 'show'; run 'driverlab ops --help' to see its usage."
      : `'driverlab ops' has no '${sub}'; use 'list' or 'show' (run 'driverlab ops --help' to see its usage).`,
  );
}

export const opsCommand: Command = {
  name: 'ops',
  summary: 'list the Hyper-V operations, or print the PowerShell one of them sends',
  help: HELP,
  run: ops,
};
