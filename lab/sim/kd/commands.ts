/**
 * How kd reads a command line: commands separated by `;`, except inside double quotes and except
 * for commands whose argument is the rest of the line; and `.echo`'s quoting rule
 * (debuggercmds/-echo--echo-comment-: an unquoted string ends at `;`, a quoted one may contain `;`
 * but not `"`).
 */

/** Commands that take the rest of the line, semicolons included (paths are `;`-separated lists). */
const REST_OF_LINE = /^(?:\.sympath\+?|\.srcpath\+?|\.exepath\+?|\.logopen|\.logappend|\$\$|!)/i;

/** Splits one input line into commands, as kd does. */
export function splitCommands(line: string): string[] {
  const commands: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted && !REST_OF_LINE.test(current.trimStart())) {
      commands.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  commands.push(current);
  return commands.map((c) => c.trim()).filter((c) => c !== '');
}

/** What `.echo <argument>` prints (without its newline). */
export function echoText(argument: string): string {
  const text = argument.trimStart();
  if (text.startsWith('"')) {
    const end = text.indexOf('"', 1);
    return end < 0 ? text.slice(1) : text.slice(1, end);
  }
  return text.trimEnd();
}

/** The command word of a command ("!analyze" of "!analyze -v", ".echo" of ".echo hi") and its argument. */
export function commandWord(command: string): { word: string; argument: string } {
  const m = /^(\S+?)(?=\s|"|$)(.*)$/s.exec(command.trim());
  return { word: (m?.[1] ?? '').toLowerCase(), argument: (m?.[2] ?? '').trim() };
}
