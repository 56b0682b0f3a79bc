/**
 * zod issues as sentence parts that name the dotted path and say what is allowed:
 * "vms.0.debug.port must be at most 65535 (got 70000)", "hosts.0 has an unknown key 'shel'
 * (allowed: name, computerName, credential, shell)".
 */
import type * as z from 'zod';

type Issue = z.core.$ZodIssue;

export function formatZodIssues(issues: readonly Issue[], input?: unknown): string {
  return issues
    .slice(0, 8)
    .map((issue) => formatIssue(issue, input))
    .join('; ')
    .concat(issues.length > 8 ? `; and ${issues.length - 8} more problems` : '');
}

export function dottedPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(the top level)' : path.map(String).join('.');
}

function formatIssue(issue: Issue, input: unknown): string {
  const at = dottedPath(issue.path);
  const present = valueAt(input, issue.path);
  const got = describeValue(present);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys.map((k) => `'${k}'`).join(', ');
      const plural = issue.keys.length > 1 ? 'unknown keys' : 'an unknown key';
      return `${at} has ${plural} ${keys}${allowedKeysNote(issue)}`;
    }
    case 'invalid_type': {
      const described = (issue as { description?: string }).description;
      const wanted = described ?? article(issue.expected);
      if (present === undefined) return `${at} is missing (${wanted} is required)`;
      return `${at} must be ${wanted}, not ${got}`;
    }
    case 'too_big': {
      const size = sizeOf(issue.origin, issue.inclusive === false ? 'fewer than' : 'at most', issue.maximum);
      if (size) return `${at} must ${size}${got ? ` (got ${got})` : ''}`;
      return `${at} must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}${got ? ` (got ${got})` : ''}`;
    }
    case 'too_small': {
      const atLeastOne = Number(issue.minimum) === 1 && issue.inclusive !== false;
      if (atLeastOne && issue.origin === 'string') return `${at} must not be empty`;
      const size = sizeOf(issue.origin, issue.inclusive === false ? 'more than' : 'at least', issue.minimum);
      if (size) return `${at} must ${size}${got ? ` (got ${got})` : ''}`;
      return `${at} must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}${got ? ` (got ${got})` : ''}`;
    }
    case 'invalid_format':
      return `${at} must be ${issue.message && !/^Invalid/.test(issue.message) ? issue.message : `in ${issue.format} format`}${got ? ` (got ${got})` : ''}`;
    case 'invalid_value':
      return `${at} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got ? ` (got ${got})` : ''}`;
    case 'invalid_union': {
      const detail = issue as { note?: string; options?: unknown[]; description?: string };
      if (detail.note === 'No matching discriminator') {
        const options = (detail.options ?? []).map((o) => JSON.stringify(o)).join(', ');
        if (present === undefined) return `${at} is missing (one of ${options} is required)`;
        return `${at} must be one of ${options}${got ? ` (got ${got})` : ''}`;
      }
      if (detail.description) return `${at} must be ${detail.description}${got ? ` (got ${got})` : ''}`;
      // A union of literals (1 | 2): one list of the values allowed.
      const literals = issue.errors.every(
        (b) => b.length === 1 && b[0]?.code === 'invalid_value' && b[0].path.length === 0,
      );
      if (literals && issue.errors.length > 0) {
        const values = issue.errors.flatMap((b) => (b[0]?.code === 'invalid_value' ? b[0].values : []));
        return `${at} must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}${got ? ` (got ${got})` : ''}`;
      }
      const branches = issue.errors.map((branch) =>
        branch.map((i) => formatIssue({ ...i, path: [...issue.path, ...i.path] }, input)).join(', '),
      );
      return `${at} matches none of the allowed forms (${branches.join(' | ')})`;
    }
    case 'not_multiple_of':
      return `${at} must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_key':
      return `${at} has an invalid key (${issue.issues.map((i) => formatIssue(i, input)).join(', ')})`;
    case 'invalid_element':
      return `${at} has an invalid element (${issue.issues.map((i) => formatIssue(i, input)).join(', ')})`;
    default:
      // A refinement written as what is required ("must name one of …") follows the path as a sentence.
      return /^must /.test(issue.message) ? `${at} ${issue.message}` : `${at}: ${issue.message}`;
  }
}

function allowedKeysNote(issue: Issue): string {
  const allowed = (issue as { allowed?: string[] }).allowed;
  return allowed && allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '';
}

/** What zod calls a type, as a lab file's reader calls it. */
const TYPE_WORDS: Record<string, string> = { int: 'whole number', array: 'list' };

function article(type: string): string {
  const word = TYPE_WORDS[type] ?? type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** `n` of `noun`, in the plural unless one: "1 item", "3 items". */
function counted(n: number | bigint, noun: string): string {
  return `${String(n)} ${noun}${Number(n) === 1 ? '' : 's'}`;
}

/**
 * The size limit of a text, list or set, to follow "must": "be at most 80 characters long",
 * "hold at least 1 item"; null for a number's limit, which reads "must be at least 1".
 */
function sizeOf(origin: string, bound: string, limit: number | bigint): string | null {
  if (origin === 'string') return `be ${bound} ${counted(limit, 'character')} long`;
  if (origin === 'array' || origin === 'set') return `hold ${bound} ${counted(limit, 'item')}`;
  return null;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value))
    return value.length === 0 ? 'an empty list' : `a list of ${counted(value.length, 'item')}`;
  return 'an object';
}

/**
 * Adds what is allowed to the issues by walking the schema along each issue's path: the keys an
 * object allows ("unrecognized_keys"), and the description of a union or of a described field
 * (a secret reference says it is `{ env: … }` or `{ file: … }`). Call with the schema that
 * produced the issues.
 */
export function withAllowedKeys(schema: z.ZodType, issues: readonly Issue[]): Issue[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const shape = objectShapeAt(schema, issue.path);
      return shape ? ({ ...issue, allowed: Object.keys(shape) } as Issue) : issue;
    }
    if (issue.code === 'invalid_union' || issue.code === 'invalid_type') {
      const description = descriptionAt(schema, issue.path);
      return description ? ({ ...issue, description } as unknown as Issue) : issue;
    }
    return issue;
  });
}

/** Formats the issues of `schema` with what is allowed added: the usual entry point. */
export function formatSchemaIssues(schema: z.ZodType, issues: readonly Issue[], input?: unknown): string {
  return formatZodIssues(withAllowedKeys(schema, issues), input);
}

type AnyDef = { type: string; [key: string]: unknown };

function defOf(schema: unknown): AnyDef | undefined {
  return (schema as { _zod?: { def?: AnyDef } })?._zod?.def;
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 10; i += 1) {
    const def = defOf(current);
    if (!def) return current;
    if (
      ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)
    ) {
      current = def.innerType;
    } else if (def.type === 'pipe') {
      current = def.in;
    } else if (def.type === 'lazy') {
      current = (def.getter as () => unknown)();
    } else {
      return current;
    }
  }
  return current;
}

function expand(schemas: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const s of schemas) {
    const inner = unwrap(s);
    const def = defOf(inner);
    if (def?.type === 'union') out.push(...expand(def.options as unknown[]));
    else if (def) out.push(inner);
  }
  return out;
}

function descriptionOf(schema: unknown): string | undefined {
  return (schema as { description?: string } | undefined)?.description;
}

/** The description of the (unwrapped) schema at `path`, when exactly one candidate has one. */
function descriptionAt(schema: unknown, path: readonly PropertyKey[]): string | undefined {
  const found = new Set(
    childrenAt(schema, path)
      .map((c) => descriptionOf(c) ?? descriptionOf(unwrap(c)))
      .filter((d): d is string => d !== undefined),
  );
  return found.size === 1 ? [...found][0] : undefined;
}

/** The schemas at `path`, before unions are expanded (so a union's own description is seen). */
function childrenAt(schema: unknown, path: readonly PropertyKey[]): unknown[] {
  if (path.length === 0) return [schema];
  const parents = path.length === 1 ? expand([schema]) : expand(childrenAt(schema, path.slice(0, -1)));
  const key = path[path.length - 1];
  const out: unknown[] = [];
  for (const c of parents) {
    const def = defOf(c);
    if (def?.type === 'object') {
      const child = (def.shape as Record<string, unknown>)[String(key)];
      if (child) out.push(child);
    } else if (def?.type === 'array' && typeof key === 'number') {
      out.push(def.element);
    } else if (def?.type === 'record') {
      out.push(def.valueType);
    }
  }
  return out;
}

function objectShapeAt(schema: unknown, path: readonly PropertyKey[]): Record<string, unknown> | undefined {
  for (const c of expand(childrenAt(schema, path))) {
    const def = defOf(c);
    if (def?.type === 'object') return def.shape as Record<string, unknown>;
  }
  return undefined;
}
