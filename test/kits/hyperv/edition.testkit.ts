/**
 * The edition check: operation scripts run on Windows PowerShell 5.1 as often as on PowerShell 7,
 * so they keep to the language and the cmdlet parameters both have. Checked over the syntax tree
 * (tree-sitter-powershell, whose grammar is the 5.1 language: a 7-only operator such as ??, ?. or
 * the ternary does not parse there) and over the parameters each command is given.
 */
import type { Node } from 'web-tree-sitter';

/** Parameters that exist only in PowerShell 6/7, per command ('*' = any command). */
const SEVEN_ONLY_PARAMETERS: Record<string, readonly string[]> = {
  'convertfrom-json': ['-AsHashtable', '-Depth', '-NoEnumerate', '-DateKind'],
  'convertto-json': ['-EnumsAsStrings', '-AsArray', '-EscapeHandling'],
  'foreach-object': ['-Parallel', '-ThrottleLimit'],
  'get-content': ['-AsByteStream'],
  'set-content': ['-AsByteStream'],
  'test-json': ['*'],
  'get-error': ['*'],
};

const SEVEN_ONLY_TOKENS: ReadonlyArray<[RegExp, string]> = [
  [/\?\?=?/, 'the null-coalescing operator ?? (or ??=)'],
  [/\?\./, 'the null-conditional member access ?.'],
  [/\?\s*\S.*:/, 'the ternary operator ? :'],
  [/\?\s*$/, 'the ternary operator ? :'],
];

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** Every construct in the script that Windows PowerShell 5.1 does not have, as sentences. */
export function editionProblems(root: Node, what: string): string[] {
  const problems: string[] = [];
  const visit = (node: Node): void => {
    if (node.type === 'pipeline_chain_tail') {
      problems.push(
        `${what} uses the pipeline chain operator ${node.text.trim().slice(0, 2)} on line ${lineOf(node)}, which only PowerShell 7 has; use if ($?) { … } so Windows PowerShell 5.1 runs it too.`,
      );
    }
    if (node.type === 'ERROR') {
      const found = SEVEN_ONLY_TOKENS.find(([pattern]) => pattern.test(node.text));
      problems.push(
        found
          ? `${what} uses ${found[1]} on line ${lineOf(node)}, which only PowerShell 7 has; write it with if/else so Windows PowerShell 5.1 runs it too.`
          : `${what} has text on line ${lineOf(node)} that the Windows PowerShell 5.1 language does not parse ("${node.text.slice(0, 40)}").`,
      );
      return;
    }
    if (node.type === 'command') {
      const name = node.children.find((c) => c?.type === 'command_name')?.text.toLowerCase() ?? '';
      const bare = name.replace(/^[a-z.-]+\\/, '');
      const banned = SEVEN_ONLY_PARAMETERS[bare];
      if (banned) {
        for (const p of node.descendantsOfType('command_parameter')) {
          if (!p) continue;
          const parameter = p.text.replace(/:.*$/, '');
          if (banned.includes('*') || banned.some((b) => b.toLowerCase() === parameter.toLowerCase())) {
            problems.push(
              `${what} calls ${bare}${banned.includes('*') ? '' : ` with ${parameter}`} on line ${lineOf(p)}, which only PowerShell 7 has; Windows PowerShell 5.1 would fail there.`,
            );
          }
        }
      }
    }
    for (const child of node.children) if (child) visit(child);
  };
  visit(root);
  return problems;
}
