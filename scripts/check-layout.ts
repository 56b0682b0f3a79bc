/**
 * The layout check: the import rules of docs/architecture.md (scripts/layout-rules.json) applied
 * to every source file. Prints one sentence per violation naming the file, the import and the rule,
 * and exits 1; prints a one-line confirmation and exits 0 when the tree keeps the rules.
 *
 * Usage: node --import tsx scripts/check-layout.ts [root]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

const Room = z.strictObject({
  room: z.string(),
  mayImport: z.array(z.string()).optional(),
  mayNotImport: z.array(z.string()).optional(),
  allowedExtensions: z.array(z.string()).optional(),
  /** File names (regular expressions) the room may not hold. */
  forbiddenNames: z.array(z.string()).optional(),
  /** Why the room forbids those names, where that is not the room's `why`. */
  namesWhy: z.string().optional(),
  /** File names (regular expressions) this room's import rules do not bind (tests, which wire the real code to the simulator). */
  exemptNames: z.array(z.string()).optional(),
  why: z.string(),
  /** What to do about a forbidden import (default: move the code that needs it elsewhere). */
  fix: z.string().optional(),
});
export const LayoutRules = z.strictObject({
  $comment: z.string().optional(),
  sourceExtensions: z.array(z.string()),
  skip: z.array(z.string()),
  rooms: z.array(Room),
  forbiddenPathWords: z.array(z.strictObject({ word: z.string(), why: z.string() })),
  /** Rooms whose files may not import each other in a circle (type-only imports count too). */
  acyclic: z.array(z.strictObject({ room: z.string(), why: z.string(), fix: z.string() })).optional(),
});
export type LayoutRules = z.infer<typeof LayoutRules>;

export interface Violation {
  file: string;
  message: string;
}

const IMPORT_PATTERNS = [
  /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** The specifiers a source file imports (static, side-effect, dynamic with a literal, require). */
export function importsOf(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    for (const m of withoutComments.matchAll(pattern)) found.add(m[1] as string);
  }
  return [...found];
}

function* walk(root: string, dir: string, skip: string[]): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const rel = relative(root, full).split(sep).join('/');
    const isDir = statSync(full).isDirectory();
    if (skip.some((s) => `${rel}/`.startsWith(s) || (name.startsWith('.') && name !== '.ci'))) continue;
    if (isDir) yield* walk(root, full, skip);
    else yield rel;
  }
}

/** What an import names, as a project path ("lab/errors.ts") or a package name ("zod", "node:fs"). */
function target(file: string, specifier: string): string {
  if (specifier.startsWith('.'))
    return normalize(join(dirname(file), specifier))
      .split(sep)
      .join('/');
  return specifier;
}

function matches(targetPath: string, pattern: string): boolean {
  return targetPath === pattern.replace(/\/$/, '') || targetPath.startsWith(pattern);
}

export function checkLayout(root: string, rules: LayoutRules): Violation[] {
  const violations: Violation[] = [];
  const rooms = [...rules.rooms].sort((a, b) => b.room.length - a.room.length);
  for (const file of walk(root, root, rules.skip)) {
    for (const { word, why } of rules.forbiddenPathWords) {
      if (file.toLowerCase().includes(word)) {
        violations.push({
          file,
          message: `${file} has '${word}' in its path, which the layout forbids because ${why}; rename it.`,
        });
      }
    }
    // The most specific room decides what a file may be and import; the prohibitions of every
    // room around it hold too (lab/hyperv/ keeps lab/'s).
    const enclosing = rooms.filter((r) => file.startsWith(r.room));
    const room = enclosing[0];
    if (!room) continue;
    const ext = extname(file);
    if (room.allowedExtensions && !room.allowedExtensions.includes(ext)) {
      violations.push({
        file,
        message: `${file} is a '${ext || 'no extension'}' file in ${room.room}, which may hold only ${room.allowedExtensions.join(', ')} files, because ${room.why}; move it out.`,
      });
      continue;
    }
    const name = file.slice(file.lastIndexOf('/') + 1);
    // A name a room forbids is forbidden in every room inside it too (lab/ holds no test helper, nor does lab/kd/).
    const forbidding = enclosing
      .flatMap((r) => (r.forbiddenNames ?? []).map((pattern) => ({ r, pattern })))
      .find(({ pattern }) => new RegExp(pattern).test(name));
    if (forbidding !== undefined) {
      const { r, pattern } = forbidding;
      violations.push({
        file,
        message: `${file} is named like '${pattern}', which ${r.room} may not hold, because ${r.namesWhy ?? r.why}; move it out.`,
      });
      continue;
    }
    if (!rules.sourceExtensions.includes(ext)) continue;
    const binds = (r: (typeof rooms)[number]) =>
      !r.exemptNames?.some((pattern) => new RegExp(pattern).test(name));
    for (const specifier of importsOf(readFileSync(join(root, file), 'utf8'))) {
      const to = target(file, specifier);
      const local = specifier.startsWith('.');
      if (room.mayImport && binds(room)) {
        const ownRoom = local && matches(to, room.room);
        const allowed = ownRoom || room.mayImport.some((p) => matches(to, p));
        if (!allowed) {
          violations.push({
            file,
            message: `${file} imports '${specifier}', but files in ${room.room} may import only ${room.mayImport.join(', ')}, because ${room.why}; ${room.fix ?? 'move the code that needs it elsewhere'}.`,
          });
        }
      }
      for (const r of enclosing.filter(binds)) {
        for (const p of r.mayNotImport ?? []) {
          if (matches(to, p)) {
            violations.push({
              file,
              message: `${file} imports '${specifier}', but files in ${r.room} may not import ${p}, because ${r.why}; ${r.fix ?? 'move the code that needs it elsewhere'}.`,
            });
          }
        }
      }
    }
  }
  return violations;
}

/** A project path an import names, as the source file on disk ('./world.js' is world.ts). */
function sourceFile(root: string, path: string, extensions: readonly string[]): string | null {
  const stem = path.replace(/\.[cm]?js$/, '');
  for (const candidate of [path, ...extensions.map((ext) => `${stem}${ext}`)]) {
    const full = join(root, candidate);
    if (existsSync(full) && statSync(full).isFile()) return candidate;
  }
  return null;
}

/**
 * The import circles among the files of one room: each strongly connected set of files (two or more
 * files that reach each other through their imports, or a file that imports itself), with one
 * circle through it to show. Sorted by their first file.
 */
export function importCircles(
  root: string,
  room: string,
  rules: Pick<LayoutRules, 'skip' | 'sourceExtensions'>,
): { files: string[]; circle: string[] }[] {
  const files = [...walk(root, root, rules.skip)].filter(
    (f) => f.startsWith(room) && rules.sourceExtensions.includes(extname(f)),
  );
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const to = importsOf(readFileSync(join(root, file), 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => sourceFile(root, target(file, s), rules.sourceExtensions))
      .filter((t): t is string => t?.startsWith(room) === true);
    edges.set(file, [...new Set(to)].sort());
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (;;) {
        const w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      const selfImport = component.length === 1 && (edges.get(v) ?? []).includes(v);
      if (component.length > 1 || selfImport) components.push(component.sort());
    }
  };
  for (const f of [...files].sort()) if (!index.has(f)) visit(f);
  return components
    .map((component) => ({ files: component, circle: circleThrough(component, edges) }))
    .sort((a, b) => (a.files[0] as string).localeCompare(b.files[0] as string));
}

/** One circle through a strongly connected set: from its first file back to it, shortest first. */
function circleThrough(component: string[], edges: Map<string, string[]>): string[] {
  const start = component[0] as string;
  const inside = new Set(component);
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of edges.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(from.get(path[0] as string) as string);
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** One violation per import circle in the rooms the rules keep acyclic. */
export function checkCircles(root: string, rules: LayoutRules): Violation[] {
  const violations: Violation[] = [];
  for (const { room, why, fix } of rules.acyclic ?? []) {
    for (const { files, circle } of importCircles(root, room, rules)) {
      violations.push({
        file: files[0] as string,
        message: `${files.length} files in ${room} import each other in a circle (${circle.join(' → ')}${files.length > circle.length - 1 ? `, and ${files.filter((f) => !circle.includes(f)).join(', ')} with them` : ''}), which the layout forbids because ${why}; ${fix}.`,
      });
    }
  }
  return violations;
}

export function loadRules(path: string): LayoutRules {
  return LayoutRules.parse(JSON.parse(readFileSync(path, 'utf8')));
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === normalize(process.argv[1]);
if (isMain) {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = process.argv[2] ?? join(here, '..');
  const rules = loadRules(join(here, 'layout-rules.json'));
  const violations = [...checkLayout(root, rules), ...checkCircles(root, rules)];
  for (const v of violations) console.error(v.message);
  if (violations.length > 0) {
    console.error(`The layout check found ${violations.length} violation(s) of docs/architecture.md.`);
    process.exit(1);
  }
  console.log('The layout check passed: every import keeps the rules of docs/architecture.md.');
}
