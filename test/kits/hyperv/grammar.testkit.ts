/**
 * The real PowerShell grammar (tree-sitter-powershell, loaded as WebAssembly by web-tree-sitter), for
 * tests and benchmarks that prove what the adapter emits without a PowerShell to run it.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { Language, type Node, Parser, type Point, type Tree } from 'web-tree-sitter';

let parser: Parser | undefined;

/** A parser for PowerShell; the WebAssembly grammar is loaded once per process. */
export async function powershellParser(): Promise<Parser> {
  if (parser) return parser;
  // The grammar's lexer is one very large WebAssembly function. V8 compiles it quickly for a first
  // run (Liftoff) and then optimizes it in the background (TurboFan), which takes 20 s of CPU and
  // holds the process at exit; the quick code is fast enough, so the optimizing tier is left out.
  setFlagsFromString('--liftoff-only');
  await Parser.init();
  const wasm = createRequire(import.meta.url).resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
  const language = await Language.load(wasm);
  const p = new Parser();
  p.setLanguage(language);
  parser = p;
  return p;
}

/** Parses a script from scratch. */
export async function parseTree(text: string): Promise<Tree> {
  const tree = (await powershellParser()).parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

/** Parses a script from scratch; the tree's root node. */
export async function parsePowerShell(text: string): Promise<Node> {
  return (await parseTree(text)).rootNode;
}

interface Visited {
  type: string;
  isMissing: boolean;
  isLeaf: boolean;
  startIndex: number;
  endIndex: number;
  depth: number;
}

/**
 * Visits every node in document order with a tree cursor (Node.children and Node.childCount make
 * new objects on every call, which costs ten times the parse); `visit` returns false to skip a
 * node's children.
 */
function walk(root: Node, visit: (node: Visited) => boolean): void {
  const cursor = root.walk();
  let depth = 0;
  try {
    for (;;) {
      const node = {
        type: cursor.nodeType,
        isMissing: cursor.nodeIsMissing,
        isLeaf: true,
        startIndex: cursor.startIndex,
        endIndex: cursor.endIndex,
        depth,
      };
      const hasChild = cursor.gotoFirstChild();
      node.isLeaf = !hasChild;
      const descend = visit(node);
      if (hasChild) {
        if (descend) {
          depth += 1;
          continue;
        }
        cursor.gotoParent();
      }
      while (!cursor.gotoNextSibling()) {
        if (depth === 0 || !cursor.gotoParent()) return;
        depth -= 1;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** The 1-based line and column of an index. */
function lineAndColumn(source: string, index: number): string {
  const before = source.slice(0, index).split('\n');
  return `${before.length}:${(before[before.length - 1]?.length ?? 0) + 1}`;
}

/** Every ERROR or MISSING node, as "ERROR at 12:4: text" lines. */
export function syntaxProblems(root: Node): string[] {
  const source = root.text;
  const problems: string[] = [];
  walk(root, (n) => {
    if (n.type === 'ERROR' || n.isMissing) {
      problems.push(
        `${n.isMissing ? `MISSING ${n.type}` : 'ERROR'} at ${lineAndColumn(source, n.startIndex)}: ${JSON.stringify(source.slice(n.startIndex, n.endIndex).slice(0, 80))}`,
      );
    }
    return true;
  });
  return problems;
}

/** Every node of a type, in document order, as its text and where it is. */
export function nodesOfType(
  root: Node,
  type: string,
): { text: string; startIndex: number; endIndex: number }[] {
  const source = root.text;
  const found: { text: string; startIndex: number; endIndex: number }[] = [];
  walk(root, (n) => {
    if (n.type === type) found.push({ text: source.slice(n.startIndex, n.endIndex), ...n });
    return true;
  });
  return found;
}

/**
 * The tree as text (node types, and the source text of every leaf), with the text of the nodes
 * of `maskedType` replaced by a placeholder: two scripts whose skeletons are equal differ only
 * inside those nodes.
 */
export function skeleton(root: Node, maskedType: string): string {
  const source = root.text;
  const parts: string[] = [];
  walk(root, (n) => {
    const pad = ' '.repeat(n.depth);
    if (n.type === maskedType) {
      parts.push(`${pad}${n.type} «masked»`);
      return false;
    }
    parts.push(
      `${pad}${n.type}${n.isLeaf ? ` ${JSON.stringify(source.slice(n.startIndex, n.endIndex))}` : ''}`,
    );
    return true;
  });
  return parts.join('\n');
}

function pointAt(source: string, index: number): Point {
  const lines = source.slice(0, index).split('\n');
  return { row: lines.length - 1, column: lines[lines.length - 1]?.length ?? 0 };
}

/**
 * Parses `text` incrementally from the tree of `baseText`, which differs from it in one region,
 * the way an editor reparses after a change (tree-sitter's result is the tree a fresh parse gives;
 * tests that use this also compare it with a fresh parse on a sample). Returns the new tree, the
 * edited region in `text`, and the ranges whose syntactic structure differs from the base tree.
 */
export async function reparse(
  baseTree: Tree,
  baseText: string,
  text: string,
): Promise<{
  tree: Tree;
  edit: { start: number; end: number };
  changed: { startIndex: number; endIndex: number }[];
}> {
  const parser = await powershellParser();
  let start = 0;
  while (start < baseText.length && start < text.length && baseText[start] === text[start]) start += 1;
  let tail = 0;
  while (
    tail < baseText.length - start &&
    tail < text.length - start &&
    baseText[baseText.length - 1 - tail] === text[text.length - 1 - tail]
  ) {
    tail += 1;
  }
  const edited = baseTree.copy();
  edited.edit({
    startIndex: start,
    oldEndIndex: baseText.length - tail,
    newEndIndex: text.length - tail,
    startPosition: pointAt(baseText, start),
    oldEndPosition: pointAt(baseText, baseText.length - tail),
    newEndPosition: pointAt(text, text.length - tail),
  });
  const tree = parser.parse(text, edited);
  if (!tree) throw new Error('tree-sitter returned no tree');
  const changed = edited
    .getChangedRanges(tree)
    .map((r) => ({ startIndex: r.startIndex, endIndex: r.endIndex }));
  edited.delete();
  return { tree, edit: { start, end: text.length - tail }, changed };
}
